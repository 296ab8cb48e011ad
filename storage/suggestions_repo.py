"""Stored suggestions: saved per job and week, counted per team, and followed once applied."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from analyzers.accounting import Rates, account, carbon_intensity_g_per_kwh
from analyzers.suggestions import SECONDS_PER_WEEK
from analyzers.suggestions import Suggestion as Proposed
from config.organisation import Organisation
from storage.models import ApprovalEvent, Cluster, Job, Suggestion, Verdict
from storage.queries import JobWeek, iso_week, job_weeks, week_bounds

STATES = ("open", "approved", "applied", "dismissed")
ESTIMATE_OFF_SHARE = 0.5  # measured differs from the estimate by more than half: flag it
_CHUNK = 500  # ids per IN (...): under every driver's bound-parameter limit

# Random parts schedulers add to names: pod hashes, run ids, dates, uuids, array indices.
_RANDOM_PARTS = (
    re.compile(r"[-_.][0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$"),
    re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}$"),
    re.compile(r"[-_.]?20\d\d-?[01]\d-?[0-3]\d(t?[0-2]\d[0-5]\d([0-5]\d)?z?)?"),
    re.compile(r"[-_.](?=[0-9a-f]*\d)[0-9a-f]{7,}(?=$|[-_.])"),
    re.compile(r"[-_.]\d+$"),
)


def workload_name(name: str) -> str:
    """A job's name without the random suffixes that differ from run to run."""
    text = name.strip().lower()
    changed = True
    while changed:
        changed = False
        for pattern in _RANDOM_PARTS:
            stripped = pattern.sub("", text)
            if stripped != text and stripped:
                text, changed = stripped, True
    return text


def _target(kind: str, change: dict[str, Any]) -> Any:
    """What a change moves to: the same target on the same workload is the same change."""
    for key in ("model", "gpu_type", "precision"):
        if isinstance(change.get(key), dict):
            return change[key].get("to")
    return None


def fingerprint(*, team: str, name: str, task: str | None, kind: str,
                change: dict[str, Any]) -> str:
    """Hash of workload and change, stable across weeks and runs of the same workload."""
    key = json.dumps([team, workload_name(name), task, kind, _target(kind, change)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _task_of(session: Session, job: Job, week: str) -> str | None:
    task = session.execute(
        select(col(Verdict.task))
        .where(col(Verdict.job_id) == job.id, col(Verdict.week) == week).limit(1)
    ).scalar()
    return task if task is not None else job.task


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def _stored(session: Session, week: str,
            job_ids: list[int]) -> tuple[dict[int, tuple[str, str, str | None]],
                                         dict[tuple[int, str], dict[str, Any]]]:
    """Per job id (team, name, task of the week); stored suggestions by (job id, kind)."""
    jobs: dict[int, tuple[str, str, str | None]] = {}
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    tasks: dict[int, str] = {}
    for chunk in _chunks(job_ids):
        for job_id, team, name, task in session.execute(
                select(col(Job.id), col(Job.team), col(Job.name), col(Job.task))
                .where(col(Job.id).in_(chunk))):
            jobs[job_id] = (team, name, task)
        for job_id, task in session.execute(
                select(col(Verdict.job_id), col(Verdict.task))
                .where(col(Verdict.week) == week, col(Verdict.job_id).in_(chunk))):
            tasks.setdefault(job_id, task)
        for row_id, job_id, kind, state, mark in session.execute(
                select(col(Suggestion.id), col(Suggestion.job_id), col(Suggestion.kind),
                       col(Suggestion.state), col(Suggestion.fingerprint))
                .where(col(Suggestion.week) == week, col(Suggestion.job_id).in_(chunk))):
            rows[(job_id, kind)] = {"id": row_id, "state": state, "fingerprint": mark}
    for job_id, task in tasks.items():
        if job_id in jobs and task is not None:
            jobs[job_id] = (*jobs[job_id][:2], task)
    return jobs, rows


def save_suggestions_bulk(*, session: Session, week: str,
                          items: Sequence[tuple[int, Sequence[Proposed], str | None]],
                          now: datetime) -> list[list[Proposed]]:
    """Upsert many jobs' suggestions for `week` at once; per item, those not dismissed.

    Each item is (job id, suggestions, task or None for the week's verdict). Stores the same
    rows and ids as `save_suggestions` called per item in order, in a few statements.
    """
    job_ids = sorted({job_id for job_id, _, _ in items})
    jobs, rows = _stored(session, week, job_ids)
    for job_id, _, _ in items:
        if job_id not in jobs:
            raise ValueError(f"no job with id {job_id}")
    marks: list[list[str]] = []
    for job_id, suggestions, task in items:
        team, name, stored_task = jobs[job_id]
        task = task if task is not None else stored_task
        marks.append([fingerprint(team=team, name=name, task=task, kind=p.kind, change=p.change)
                      for p in suggestions])
    # Dismissed rows per fingerprint, kept up to date as rows change state below.
    dismissed: Counter[str] = Counter()
    for chunk in _chunks(sorted({m for ms in marks for m in ms})):
        dismissed.update(dict(session.execute(
            select(col(Suggestion.fingerprint), func.count())
            .where(col(Suggestion.fingerprint).in_(chunk), col(Suggestion.state) == "dismissed")
            .group_by(col(Suggestion.fingerprint))).all()))
    placed: list[tuple[Proposed, dict[str, Any]]] = []
    kept: list[list[Proposed]] = []
    for (job_id, suggestions, _), job_marks in zip(items, marks, strict=True):
        shown = []
        for proposed, mark in zip(suggestions, job_marks, strict=True):
            was_dismissed = dismissed[mark] > 0
            row = rows.get((job_id, proposed.kind))
            if row is None:
                row = rows[(job_id, proposed.kind)] = {
                    "id": None, "state": "open", "fingerprint": mark, "job_id": job_id,
                    "week": week, "kind": proposed.kind, "created_at": now}
            if row["state"] == "dismissed":
                dismissed[row["fingerprint"]] -= 1
            if row["state"] == "open" and was_dismissed:
                row["state"] = "dismissed"
            elif row["state"] == "dismissed" and row["fingerprint"] != mark and not was_dismissed:
                row["state"] = "open"  # a different change than the one dismissed
            if row["state"] == "dismissed":
                dismissed[mark] += 1
            row.update(title=proposed.title, change=proposed.change, fingerprint=mark,
                       saved_energy_j_week=proposed.saved_energy_j_week,
                       saved_cost_usd_week=proposed.saved_cost_usd_week,
                       saved_co2e_kg_week=proposed.saved_co2e_kg_week,
                       confidence=proposed.confidence, updated_at=now, touched=True)
            placed.append((proposed, row))
            if row["state"] != "dismissed":
                shown.append(proposed)
        kept.append(shown)
    _write(session, [row for row in rows.values() if row.pop("touched", False)])
    for proposed, row in placed:
        proposed.id = row["id"]
    return kept


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the new rows (their ids filled in) and update the stored ones."""
    new = [row for row in rows if row["id"] is None]
    old = [row for row in rows if row["id"] is not None]
    if new:
        fields = [{k: v for k, v in row.items() if k != "id"} for row in new]
        ids = session.execute(insert(Suggestion).returning(
            col(Suggestion.id), sort_by_parameter_order=True), fields).scalars().all()
        for row, row_id in zip(new, ids, strict=True):
            row["id"] = row_id
    if old:
        session.execute(update(Suggestion), old)
        # Suggestions already loaded in the session read the new values on next access.
        for row in old:
            loaded = session.identity_map.get(session.identity_key(Suggestion, row["id"]))
            if loaded is not None:
                session.expire(loaded)


def save_suggestions(*, session: Session, job_id: int, week: str,
                     suggestions: Sequence[Proposed], now: datetime,
                     task: str | None = None) -> list[Proposed]:
    """Upsert a job's suggestions for `week`; returns those not dismissed, with their ids.

    A suggestion whose workload and change were dismissed before is stored dismissed again.
    """
    return save_suggestions_bulk(session=session, week=week, now=now,
                                 items=[(job_id, suggestions, task)])[0]


def suggestions_for(*, session: Session, job_ids: Sequence[int] | None = None,
                    week: str | None = None,
                    states: Sequence[str] | None = None) -> list[Suggestion]:
    """Stored suggestions, filtered by job ids, week and states; most $ saved first."""
    stmt = select(Suggestion)
    if job_ids is not None:
        stmt = stmt.where(col(Suggestion.job_id).in_(list(job_ids)))
    if week is not None:
        stmt = stmt.where(col(Suggestion.week) == week)
    if states is not None:
        stmt = stmt.where(col(Suggestion.state).in_(list(states)))
    stmt = stmt.order_by(col(Suggestion.saved_cost_usd_week).desc(),
                         col(Suggestion.id))
    return [row for (row,) in session.execute(stmt)]


def suggestion_counts(*, session: Session, team: str, week: str) -> dict[str, int]:
    """How many of a team's suggestions of `week` are open, approved, applied, dismissed."""
    counts = dict.fromkeys(STATES, 0)
    rows = session.execute(
        select(col(Suggestion.state), func.count()).join(Job, col(Job.id) == Suggestion.job_id)
        .where(col(Job.team) == team, col(Suggestion.week) == week).group_by(col(Suggestion.state)))
    for state, count in rows:
        counts[state] = int(count)
    return counts


@dataclass(slots=True)
class RealizedSaving:
    """What an applied suggestion saved in one later week, measured, beside its estimate."""

    suggestion_id: int
    kind: str
    title: str
    workload: str
    applied_week: str
    week: str
    baseline_energy_j_week: float
    measured_energy_j_week: float
    saved_energy_j_week: float
    saved_cost_usd_week: float
    saved_co2e_kg_week: float
    estimated_energy_j_week: float
    estimated_cost_usd_week: float
    seen: bool  # whether the workload ran at all in `week`

    @property
    def estimate_off(self) -> bool:
        """The measured saving differs from the estimate by more than half of it."""
        gap = abs(self.saved_energy_j_week - self.estimated_energy_j_week)
        return gap > ESTIMATE_OFF_SHARE * abs(self.estimated_energy_j_week)

    def to_json(self) -> dict[str, Any]:
        return {
            "suggestion_id": self.suggestion_id, "kind": self.kind, "title": self.title,
            "workload": self.workload, "applied_week": self.applied_week, "week": self.week,
            "saved_energy_kwh_week": round(self.saved_energy_j_week / 3.6e6, 6),
            "saved_cost_usd_week": round(self.saved_cost_usd_week, 4),
            "saved_co2e_kg_week": round(self.saved_co2e_kg_week, 6),
            "estimated_energy_kwh_week": round(self.estimated_energy_j_week / 3.6e6, 6),
            "estimated_cost_usd_week": round(self.estimated_cost_usd_week, 4),
            "estimate_off": self.estimate_off, "seen": self.seen,
        }


def _week_scale(job: JobWeek) -> float:
    """A continuous workload's measured stretch scaled to the whole week."""
    if job.recurrence == "continuous" and job.duration_s > 0:
        return max(1.0, SECONDS_PER_WEEK / max(job.duration_s, 3600.0))
    return 1.0


def _footprint(session: Session, organisation: Organisation,
               jobs: Sequence[JobWeek]) -> tuple[float, float, float]:
    """Energy J, cost USD and CO2e kg per week of a workload's jobs."""
    energy = cost = co2e = 0.0
    for job in jobs:
        cluster = session.execute(
            select(Cluster).where(col(Cluster.name) == job.cluster)).scalar_one()
        rates = Rates(gpu_usd_per_hour=organisation.gpu_price_usd_per_hour(job.gpu_type),
                      energy_usd_per_kwh=cluster.energy_price_usd_per_kwh, pue=cluster.pue,
                      carbon_g_per_kwh=carbon_intensity_g_per_kwh(cluster.region))
        scale = _week_scale(job)
        part = account(gpu_s=job.gpu_s * scale, energy_j=job.energy_j * scale, rates=rates)
        energy, cost, co2e = energy + part.energy_j, cost + part.cost_usd, co2e + part.co2e_kg
    return energy, cost, co2e


def _applied_at(session: Session, row: Suggestion) -> datetime:
    at = session.execute(select(func.max(col(ApprovalEvent.at))).where(
        col(ApprovalEvent.suggestion_id) == row.id,
        col(ApprovalEvent.new_state) == "applied")).scalar()
    return at if at is not None else row.updated_at


def realized_savings(*, session: Session, team: str, week: str,
                     organisation: Organisation | None = None) -> list[RealizedSaving]:
    """Measured savings in `week` of the team's swaps applied in an earlier week.

    The workload is followed by team, name without random suffixes, and task; its week before
    the change is the suggestion's week. Most $ saved first.
    """
    organisation = organisation or Organisation()
    monday, _ = week_bounds(week)
    applied = session.execute(
        select(Suggestion, Job).join(Job, col(Job.id) == Suggestion.job_id)
        .where(col(Job.team) == team, col(Suggestion.state) == "applied")).all()
    if not applied:
        return []
    now_jobs = job_weeks(session=session, week=week, teams=[team])
    results = []
    for row, job in applied:
        applied_week = iso_week(_applied_at(session, row).date())
        if week_bounds(applied_week)[0] >= monday or row.week >= week:
            continue
        task = _task_of(session, job, row.week)
        key = workload_name(job.name)

        def same(jw: JobWeek, task_week: str, _key: str = key, _task: str | None = task) -> bool:
            if jw.team != team or workload_name(jw.name) != _key:
                return False
            other = session.get(Job, jw.job_id)
            other_task = _task_of(session, other, task_week) if other else None
            return _task is None or other_task is None or other_task == _task

        before = [jw for jw in job_weeks(session=session, week=row.week, teams=[team])
                  if same(jw, row.week)]
        after = [jw for jw in now_jobs if same(jw, week)]
        base_j, base_usd, base_co2 = _footprint(session, organisation, before)
        now_j, now_usd, now_co2 = _footprint(session, organisation, after)
        results.append(RealizedSaving(
            suggestion_id=row.id or 0, kind=row.kind, title=row.title, workload=key,
            applied_week=applied_week, week=week, baseline_energy_j_week=base_j,
            measured_energy_j_week=now_j, saved_energy_j_week=base_j - now_j,
            saved_cost_usd_week=base_usd - now_usd, saved_co2e_kg_week=base_co2 - now_co2,
            estimated_energy_j_week=row.saved_energy_j_week,
            estimated_cost_usd_week=row.saved_cost_usd_week, seen=bool(after)))
    results.sort(key=lambda r: -r.saved_cost_usd_week)
    return results
