"""Judge a week: runs, rates, policy and judge in, the ledger every surface reads out.

One pure function, `judge_week`, holds every rule that turns measured runs into figures:
price per GPU type, verdicts, suggestions bounded by what a run held, labels, team totals,
ranks and idle capacity. `refresh` (bot/pipeline.py) is the only caller that stores it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from analyzers.accounting import account
from analyzers.jobs import to_record
from analyzers.judges import Judge
from analyzers.ratings import label_of_ratio, rank_teams, team_label, team_score, waste_ratio
from analyzers.suggestions import suggest
from config.organisation import PolicyConfig
from domain.ledger import RESIZED, ClusterWeek, JobLine, Ledger, RealizedSaving, TeamWeek
from domain.types import ZERO, Cost, FleetUsage, Rates, RunWeek, Suggestion
from domain.weeks import HOURS_PER_WEEK, week_start

RatesOf = Callable[[str, str], Rates]  # (cluster, GPU type) -> rates


def run_cost(run: RunWeek, rates_of: RatesOf) -> Cost:
    """A run's footprint: each day's GPU time and energy at the rates of its own GPU type."""
    total = ZERO
    for part in run.parts:
        total = total + account(gpu_s=part.gpu_s, energy_j=part.energy_j,
                                rates=rates_of(run.cluster, part.gpu_type))
    return total


def bound(found: Suggestion, cost: Cost) -> Suggestion:
    """A suggestion never saves more than the run cost, used, emitted or held."""
    return replace(
        found, saved_cost_usd_week=min(found.saved_cost_usd_week, cost.cost_usd),
        saved_energy_j_week=min(found.saved_energy_j_week, cost.energy_j),
        saved_co2e_kg_week=min(found.saved_co2e_kg_week, cost.co2e_kg),
        saved_gpu_hours_week=min(found.saved_gpu_hours_week, cost.gpu_hours))


def _held_all_week(run: RunWeek, week: str, through_ts: int | None, gap_s: float) -> bool:
    start = week_start(week).timestamp()
    return (run.first_ts <= start + gap_s and through_ts is not None
            and run.last_ts >= through_ts - gap_s)


def judge_week(*, week: str, runs: Sequence[RunWeek], judge: Judge, judge_name: str,
               policy: PolicyConfig, rates_of: RatesOf,
               price_of: Callable[[str], float] | None = None,
               fleet: Iterable[FleetUsage] = (), hours: float = HOURS_PER_WEEK,
               data_through_ts: int | None = None, gap_s: float = 300.0,
               last_sample: Mapping[str, int] | None = None,
               teams: Sequence[str] = ()) -> Ledger:
    """The judged week: runs, teams (totals, label weighted by cost, rank), idle capacity.

    Per run: cost, verdict, suggestions and label. Savings are what each run measurably
    held in the week. While the week is under way (`hours` < 168), a run that held its GPUs
    all of it gets a projection to the full week.
    """
    records = [to_record(r) for r in runs]
    verdicts = judge(records, policy) if records else []
    by_team: dict[str, TeamWeek] = {name: TeamWeek(team=name, week=week) for name in teams}
    for run, record, verdict in zip(runs, records, verdicts, strict=True):
        cost = run_cost(run, rates_of)
        found = suggest(record, verdict, rates=rates_of(run.cluster, run.gpu_type),
                        policy=policy, recurrence=run.recurrence, measured_only=True,
                        gpu_price_usd_per_hour=price_of)
        found = [bound(s, cost) for s in found]
        if hours < HOURS_PER_WEEK and _held_all_week(run, week, data_through_ts, gap_s):
            for s in found:
                s.projected_cost_usd_week = s.saved_cost_usd_week * HOURS_PER_WEEK / hours
        ratio = waste_ratio(energy_kwh=cost.energy_kwh, gpu_hours=cost.gpu_hours,
                            suggestions=found)
        line = JobLine(job=run, record=record, cost=cost, verdict=verdict, suggestions=found,
                       label=label_of_ratio(ratio))
        team = by_team.setdefault(run.team, TeamWeek(team=run.team, week=week))
        team.jobs.append(line)
        for part in run.parts:
            for default in rates_of(run.cluster, part.gpu_type).defaults:
                if default not in team.defaults:
                    team.defaults.append(default)
    for team in by_team.values():
        team.label, team.score = lines_label(team.jobs), lines_score(team.jobs)
    ranks = rank_teams({name: t.score for name, t in by_team.items()})
    for name, team in by_team.items():
        team.rank, team.teams_ranked = ranks.get(name), len(ranks)
    return Ledger(week=week, judge=judge_name, teams=by_team,
                  clusters=idle_capacity(fleet, rates_of, last_sample or {}),
                  data_through_ts=data_through_ts, hours=hours)


def lines_label(lines: Sequence[JobLine]) -> str | None:
    """The label of a set of runs (a team's, a person's): their labels weighted by cost."""
    return team_label([(line.cost.cost_usd, line.label or "A") for line in lines])


def lines_score(lines: Sequence[JobLine]) -> float | None:
    """The cost-weighted mean label of a set of runs (A = 0 ... G = 6), for ranking."""
    return team_score([(line.cost.cost_usd, line.label or "A") for line in lines])


def idle_capacity(fleet: Iterable[FleetUsage], rates_of: RatesOf,
                  last_sample: Mapping[str, int]) -> dict[str, ClusterWeek]:
    """Per cluster: its GPUs' hours in the week and those no run held, with their cost."""
    sums: dict[str, list[float]] = {}
    for f in fleet:
        idle = account(gpu_s=f.unheld_gpu_s, energy_j=f.unheld_energy_j,
                       rates=rates_of(f.cluster, f.gpu_type))
        row = sums.setdefault(f.cluster, [0.0, 0.0, 0.0, 0.0])
        row[0] += f.gpu_s / 3600.0
        row[1] += f.unheld_gpu_s / 3600.0
        row[2] += f.unheld_energy_j
        row[3] += idle.cost_usd
    names = sorted(set(sums) | set(last_sample))
    return {c: ClusterWeek(cluster=c, gpu_hours=sums.get(c, [0.0] * 4)[0],
                           idle_gpu_hours=sums.get(c, [0.0] * 4)[1],
                           idle_energy_j=sums.get(c, [0.0] * 4)[2],
                           idle_cost_usd=sums.get(c, [0.0] * 4)[3],
                           last_sample_ts=last_sample.get(c)) for c in names}


def realized_savings(*, week: str, applied: Sequence[tuple[str, int, str, str, str,
                                                             float, float]],
                     baseline: Mapping[tuple[str, str], Cost],
                     now: Mapping[str, Cost],
                     resized: Sequence[tuple[str, list[str], str, float, float, float]] = (),
                     ) -> list[RealizedSaving]:
    """What applied swaps, and submissions resized at submit time, saved in `week`.

    `applied`: (workload, suggestion id, kind, title, week suggested, estimated $ and J a
    week) of each applied suggestion; `baseline`: the workload's cost in a week before the
    change, by (workload, week); `now`: each workload's cost in `week`. Several applied
    suggestions (a re-offer, two changes) on one workload count once: against the earliest
    week suggested, with the estimate of the largest. A saving never exceeds the baseline.
    `resized`: (workload, rules, title, estimated $, J and kg CO2e a week) of each submission of the
    week resized after a submit-time warning; it never ran as first asked, so its estimate
    counts, once per workload, and never for a workload an applied swap already counts.
    """
    by_workload: dict[str, list[tuple[str, int, str, str, str, float, float]]] = {}
    for item in applied:
        if item[4] < week:
            by_workload.setdefault(item[0], []).append(item)
    out = []
    for workload, items in sorted(by_workload.items()):
        items.sort(key=lambda i: (i[4], i[1]))
        first_week = items[0][4]
        before = baseline.get((workload, first_week), ZERO)
        after = now.get(workload)
        best = max(items, key=lambda i: i[5])
        measured = after or ZERO
        cluster, team = workload.split("/")[:2]
        out.append(RealizedSaving(
            workload=workload, team=team, cluster=cluster,
            suggestion_ids=[i[1] for i in items], kinds=sorted({i[2] for i in items}),
            title=best[3], applied_week=first_week, week=week,
            baseline_cost_usd_week=before.cost_usd, baseline_energy_j_week=before.energy_j,
            measured_cost_usd_week=measured.cost_usd, measured_energy_j_week=measured.energy_j,
            saved_cost_usd_week=min(before.cost_usd, before.cost_usd - measured.cost_usd)
            if after else 0.0,
            saved_energy_j_week=min(before.energy_j, before.energy_j - measured.energy_j)
            if after else 0.0,
            saved_co2e_kg_week=min(before.co2e_kg, before.co2e_kg - measured.co2e_kg)
            if after else 0.0,
            estimated_cost_usd_week=best[5], estimated_energy_j_week=best[6],
            seen=after is not None))
    swapped = {item[0] for item in applied}
    by_resized: dict[str, list[tuple[str, list[str], str, float, float, float]]] = {}
    for change in resized:
        if change[0] not in swapped:
            by_resized.setdefault(change[0], []).append(change)
    for workload, group in sorted(by_resized.items()):
        _, _, title, est_usd, est_j, est_kg = max(group, key=lambda i: i[3])
        measured = now.get(workload, ZERO)
        cluster, team = workload.split("/")[:2]
        out.append(RealizedSaving(
            workload=workload, team=team, cluster=cluster, suggestion_ids=[],
            kinds=sorted({k for g in group for k in g[1]}), title=title, applied_week=week,
            week=week, baseline_cost_usd_week=measured.cost_usd + est_usd,
            baseline_energy_j_week=measured.energy_j + est_j,
            measured_cost_usd_week=measured.cost_usd, measured_energy_j_week=measured.energy_j,
            saved_cost_usd_week=est_usd, saved_energy_j_week=est_j,
            saved_co2e_kg_week=est_kg, estimated_cost_usd_week=est_usd,
            estimated_energy_j_week=est_j, seen=workload in now,
            source=RESIZED))
    out.sort(key=lambda r: -r.saved_cost_usd_week)
    return out
