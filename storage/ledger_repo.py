"""The ledger's rows: a judged week stored at once by `refresh`, and read back by surfaces.

`save_ledger` replaces a week's rows in the caller's transaction (run it twice: the same
rows); suggestions are upserted by run and kind, keeping their state. `load_ledger` gives
back the same `Ledger` that was stored, with each suggestion's id and current state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session, col

from domain.ledger import ClusterWeek, JobLine, Ledger, RealizedSaving, TeamWeek
from domain.types import Cost, JobRecord, RunWeek, Suggestion, UsagePart, Verdict
from domain.weeks import week_bounds
from storage.models import (
    ApprovalEvent,
    LedgerRun,
    LedgerTeam,
    LedgerWeek,
    RollupDirty,
)
from storage.models import Suggestion as SuggestionRow
from storage.suggestions_repo import save_suggestions_bulk

HIDDEN_STATES = ("dismissed", "expired")  # suggestions people no longer see


_RUN_FIELDS = [f.name for f in fields(RunWeek) if f.name != "parts"]
_RECORD_FIELDS = [f.name for f in fields(JobRecord)]
_COST_FIELDS = [f.name for f in fields(Cost)]


def _shallow(obj: Any, names: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}  # asdict() deep-copies: 3x slower


def _run_json(line: JobLine) -> dict[str, Any]:
    run = _shallow(line.job, _RUN_FIELDS)
    run["parts"] = [[p.day.isoformat(), p.gpu_type, p.gpu_s, p.energy_j] for p in line.job.parts]
    return {"run": run, "record": _shallow(line.record, _RECORD_FIELDS),
            "cost": _shallow(line.cost, _COST_FIELDS),
            "verdict": line.verdict.to_json(), "label": line.label,
            "projected": {s.kind: s.projected_cost_usd_week for s in line.suggestions
                          if s.projected_cost_usd_week is not None}}


def save_ledger(*, session: Session, ledger: Ledger, now: datetime) -> None:
    """Store a judged week, replacing what was stored for it."""
    week = ledger.week
    items = [(line.job.job_id, line.job.run_key, line.suggestions, line.verdict.task)
             for line in ledger.lines()]
    save_suggestions_bulk(session=session, week=week, now=now,
                          items=[i for i in items if i[2]])
    kept = {s.id for line in ledger.lines() for s in line.suggestions if s.id is not None}
    # Open suggestions of runs that are gone (a run that new data merged into another)
    # disappear; any a person acted on stay, with their audit trail.
    acted = select(col(ApprovalEvent.suggestion_id))
    stale = [i for (i,) in session.execute(
        select(col(SuggestionRow.id)).where(col(SuggestionRow.week) == week,
                                            col(SuggestionRow.state) == "open",
                                            col(SuggestionRow.id).not_in(acted)))
             if i not in kept]
    for start in range(0, len(stale), 500):
        session.execute(delete(SuggestionRow).where(
            col(SuggestionRow.id).in_(stale[start:start + 500])))
    session.execute(delete(LedgerRun).where(col(LedgerRun.week) == week))
    session.execute(delete(LedgerTeam).where(col(LedgerTeam.week) == week))
    session.execute(delete(LedgerWeek).where(col(LedgerWeek.week) == week))
    runs = [{"week": week, "run_key": line.job.run_key, "job_id": line.job.job_id,
             "team": line.job.team, "user": line.job.user, "workload": line.job.workload,
             "external_id": line.job.external_id, "cost_usd": line.cost.cost_usd,
             "energy_j": line.cost.energy_j, "data": _run_json(line)}
            for line in ledger.lines()]
    if runs:
        session.execute(insert(LedgerRun), runs)
    teams = []
    for name, team in ledger.teams.items():
        cost = team.cost
        teams.append({"week": week, "team": name, "label": team.label, "score": team.score,
                      "rank": team.rank, "teams_ranked": team.teams_ranked,
                      "cost_usd": cost.cost_usd, "energy_j": cost.energy_j,
                      "co2e_kg": cost.co2e_kg, "gpu_hours": cost.gpu_hours,
                      "realized": [asdict(r) for r in ledger.realized.get(name, [])],
                      "defaults": sorted(team.defaults)})
    if teams:
        session.execute(insert(LedgerTeam), teams)
    session.execute(insert(LedgerWeek).values(
        week=week, judge=ledger.judge, refreshed_at=now.timestamp(),
        data_through_ts=ledger.data_through_ts, hours=ledger.hours, stale=False,
        clusters=[asdict(c) for c in ledger.clusters.values()]))


def mark_stale(*, session: Session, weeks: Sequence[str]) -> None:
    """Note that data of `weeks` changed after they were judged."""
    if weeks:
        session.execute(update(LedgerWeek).where(col(LedgerWeek.week).in_(list(weeks)))
                        .values(stale=True))


def stale_weeks(*, session: Session) -> list[str]:
    """Judged weeks whose data changed since, oldest first."""
    return sorted(w for (w,) in session.execute(
        select(col(LedgerWeek.week)).where(col(LedgerWeek.stale))))


def judged_weeks(*, session: Session) -> list[str]:
    """Weeks with a ledger, oldest first."""
    return sorted(w for (w,) in session.execute(select(col(LedgerWeek.week))))


def _line(data: dict[str, Any], suggestions: list[Suggestion]) -> JobLine:
    run = dict(data["run"])
    run["parts"] = tuple(UsagePart(day=date.fromisoformat(d), gpu_type=t, gpu_s=g, energy_j=e)
                         for d, t, g, e in run["parts"])
    projected = data.get("projected", {})
    for s in suggestions:
        s.projected_cost_usd_week = projected.get(s.kind)
    v = data["verdict"]
    return JobLine(job=RunWeek(**run), record=JobRecord(**data["record"]),
                   cost=Cost(**data["cost"]),
                   verdict=Verdict(job_id=v["job_id"], task=v["task"], oversized=v["oversized"],
                                   score=v["score"], reasons=list(v["reasons"])),
                   suggestions=suggestions, label=data["label"])


def _suggestion(row: SuggestionRow) -> Suggestion:
    return Suggestion(kind=row.kind, title=row.title, change=dict(row.change),
                      saved_energy_j_week=row.saved_energy_j_week,
                      saved_cost_usd_week=row.saved_cost_usd_week,
                      saved_co2e_kg_week=row.saved_co2e_kg_week, confidence=row.confidence,
                      id=row.id, state=row.state)


def load_ledger(*, session: Session, week: str, teams: Sequence[str] | None = None,
                with_hidden: bool = False) -> Ledger | None:
    """The stored ledger of `week` (only `teams` when given), None if it was never judged.

    Suggestions come with their current state; dismissed and expired ones are left out
    unless `with_hidden`.
    """
    head = session.get(LedgerWeek, week)
    if head is None:
        return None
    runs = select(LedgerRun).where(col(LedgerRun.week) == week)
    team_rows = select(LedgerTeam).where(col(LedgerTeam.week) == week)
    if teams is not None:
        runs = runs.where(col(LedgerRun.team).in_(list(teams)))
        team_rows = team_rows.where(col(LedgerTeam.team).in_(list(teams)))
    stored = session.execute(runs.order_by(col(LedgerRun.id))).scalars().all()
    by_run: dict[tuple[int, str], list[Suggestion]] = {}
    query = select(SuggestionRow).where(col(SuggestionRow.week) == week)
    if not with_hidden:
        query = query.where(col(SuggestionRow.state).not_in(HIDDEN_STATES))
    if teams is not None:
        query = query.where(col(SuggestionRow.job_id).in_({r.job_id for r in stored}))
    for row in session.execute(query.order_by(col(SuggestionRow.saved_cost_usd_week).desc(),
                                              col(SuggestionRow.id))).scalars():
        by_run.setdefault((row.job_id, row.run_key), []).append(_suggestion(row))
    result: dict[str, TeamWeek] = {}
    realized: dict[str, list[RealizedSaving]] = {}
    for t in session.execute(team_rows.order_by(col(LedgerTeam.id))).scalars():
        result[t.team] = TeamWeek(team=t.team, week=week, label=t.label, score=t.score,
                                  rank=t.rank, teams_ranked=t.teams_ranked,
                                  defaults=list(t.defaults))
        if t.realized:
            realized[t.team] = [RealizedSaving(**r) for r in t.realized]
    for r in stored:
        line = _line(r.data, by_run.get((r.job_id, r.run_key), []))
        result.setdefault(r.team, TeamWeek(team=r.team, week=week)).jobs.append(line)
    monday, sunday = week_bounds(week)
    dirty = session.execute(select(func.count()).select_from(RollupDirty).where(
        col(RollupDirty.day) >= monday, col(RollupDirty.day) <= sunday)).scalar()
    return Ledger(week=week, judge=head.judge, teams=result,
                  clusters={c["cluster"]: ClusterWeek(**c) for c in head.clusters},
                  realized=realized, refreshed_at=head.refreshed_at,
                  data_through_ts=head.data_through_ts, hours=head.hours,
                  stale=bool(head.stale or dirty))


def workload_costs(*, session: Session, weeks: Sequence[str]) -> dict[tuple[str, str], Cost]:
    """Each workload's cost per judged week, summed over its runs."""
    out: dict[tuple[str, str], Cost] = {}
    rows = session.execute(select(LedgerRun.week, LedgerRun.workload, LedgerRun.data)
                           .where(col(LedgerRun.week).in_(list(weeks))))
    for week, workload, data in rows:
        cost = Cost(**data["cost"])
        key = (workload, week)
        out[key] = out[key] + cost if key in out else cost
    return out
