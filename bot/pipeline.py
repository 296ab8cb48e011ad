"""The one writer of judged data: `refresh` rolls up, builds runs, judges and stores weeks.

The scheduler runs it on its schedule, `ai-cost refresh` by hand, `ai-cost demo` at its end.
Every surface (report, digests, /ai-cost, App Home, nudges, ask, suggest) reads the ledger
it writes and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from analyzers import accounting, served
from analyzers.catalog import gpu_spec
from analyzers.judges import default_judge_name, get_judge
from analyzers.ledger import judge_week, realized_savings
from analyzers.suggestions import default_rates
from bot.services.submit_check import match_outcomes, resized_at_submission
from config.organisation import Organisation, OrganisationError
from config.settings import Settings
from domain.ledger import Ledger
from domain.types import Cost, Rates, RunWeek
from domain.weeks import (
    hours_elapsed,
    iso_week,
    last_complete_week,
    week_end,
    week_of,
    week_start,
)
from storage import queries
from storage.ingest import record_rejections
from storage.ledger_repo import judged_weeks, mark_stale, save_ledger, stale_weeks, workload_costs
from storage.rollup import MAX_GPU_POWER_W, prune_samples, rollup
from storage.runs import fleet_usage, last_sample_by_cluster, run_weeks
from storage.served_repo import gpu_energy, load_counters, load_served, save_served
from storage.suggestions_repo import applied_suggestions

Progress = Callable[[int, int], None]
COUNTER_RESET = "energy counter step above what the GPU can draw (treated as a reset)"
RECENT_WEEKS = 8  # stale weeks older than this are judged again only when asked


@dataclass(slots=True)
class RefreshResult:
    gpu_days: int = 0
    bad_counter_steps: int = 0
    pruned: int = 0
    weeks: list[str] = field(default_factory=list)


def rates_lookup(organisation: Organisation) -> Callable[[str, str], Rates]:
    """The one price rule: rates per (cluster, GPU type), each GPU-hour at its own type."""
    cache: dict[tuple[str, str], Rates] = {}

    def rates_of(cluster: str, gpu_type: str) -> Rates:
        key = (cluster, gpu_type)
        if key not in cache:
            try:
                cache[key] = accounting.rates_for(organisation, organisation.cluster(cluster),
                                                  gpu_type)
            except OrganisationError:
                cache[key] = default_rates(organisation, gpu_type)
        return cache[key]

    return rates_of


def _tdp_w(gpu_type: str) -> float:
    spec = gpu_spec(gpu_type)
    return spec.tdp_w if spec else MAX_GPU_POWER_W


def judge_and_store(*, session: Session, settings: Settings, organisation: Organisation,
                    week: str, now: datetime, judge: str | None = None) -> Ledger:
    """Judge `week` from its runs and replace its ledger rows."""
    judge_name = judge or default_judge_name()
    gap = settings.max_sample_gap_s
    runs = run_weeks(session=session, week=week, gap_s=gap)
    rates_of = rates_lookup(organisation)
    through = max((r.last_ts for r in runs), default=None)
    ledger = judge_week(
        week=week, runs=runs, judge=get_judge(judge_name), judge_name=judge_name,
        policy=organisation.policy, rates_of=rates_of,
        price_of=organisation.gpu_price_usd_per_hour,
        fleet=fleet_usage(session=session, week=week), hours=hours_elapsed(week, now),
        data_through_ts=through, gap_s=gap,
        last_sample=last_sample_by_cluster(session=session),
        teams=[t.name for t in organisation.teams])
    applied = applied_suggestions(session=session, before=week_start(week))
    baseline = workload_costs(session=session, weeks=sorted({a[4] for a in applied}))
    measured: dict[str, Cost] = {}
    for line in ledger.lines():
        key = line.job.workload
        measured[key] = measured[key] + line.cost if key in measured else line.cost
    by_team = defaultdict(list)
    for saving in realized_savings(week=week, applied=applied, baseline=baseline,
                                   now=measured,
                                   resized=resized_at_submission(session=session, week=week)):
        by_team[saving.team].append(saving)
    ledger.realized = dict(by_team)
    queries.save_verdicts(
        session=session, week=week, judge=judge_name, now=now,
        verdicts=[(ln.job.job_id, ln.verdict.task, ln.verdict.oversized, ln.verdict.score,
                   ln.verdict.reasons) for ln in ledger.lines()])
    save_ledger(session=session, ledger=ledger, now=now)
    _judge_served(session, week, runs, ledger, applied)
    return ledger


def _judge_served(session: Session, week: str, runs: Sequence[RunWeek], ledger: Ledger,
                  applied: Sequence[tuple[str, int, str, str, str, float, float]]) -> None:
    """The week's served endpoints (docs/served.md) into the ledger, beside the runs."""
    start, end = int(week_start(week).timestamp()), int(week_end(week).timestamp())
    points = served.points_of(load_counters(session=session, start_ts=start - 3600,
                                            end_ts=end))
    if not points:
        save_served(session=session, week=week, served=[])
        return
    jobs = {j for p in points for j in p.job_ids}
    earlier = [iso_week(week_start(week).date() - timedelta(weeks=n))
               for n in range(1, served.HISTORY_WEEKS + 1)]
    swaps = [served.Swap(w, i, title, made, j) for w, i, kind, title, made, _, j in applied
             if kind == "model_swap"]
    weeks = served.judge_served(
        week=week, points=points, runs=runs, start_ts=start, end_ts=end,
        energy_by_job=gpu_energy(session=session, job_ids=jobs, start_ts=start, end_ts=end),
        tasks={ln.job.job_id: ln.verdict.task for ln in ledger.lines()},
        history=served.history_of(load_served(session=session, weeks=earlier)),
        swaps=swaps, swap_baselines={(w.week, w.cluster, w.service): w for ws in
                                     served.history_of(load_served(
                                         session=session, weeks=[s.week for s in swaps]))
                                     .values() for w in ws})
    save_served(session=session, week=week, served=[w.to_json() for w in weeks])


def refresh(*, session: Session, settings: Settings, organisation: Organisation,
            now: datetime, weeks: Sequence[str] | None = None, judge: str | None = None,
            progress: Progress | None = None,
            retention_now: datetime | None = None) -> RefreshResult:
    """Roll up new samples, prune whole rolled-up days past retention, judge weeks.

    Judges `weeks` when given; else the week under way, the last complete week when it has
    no ledger yet, and the recent weeks whose data changed since they were judged.
    Idempotent: run twice, the same rows. `retention_now` is the clock of the retention
    window when it is not `now` (the demo ingests as of its week's end).
    """
    rolled = rollup(session=session, max_gap_s=settings.max_sample_gap_s, progress=progress,
                    max_power_w=_tdp_w)
    if rolled.bad_counter_steps:
        record_rejections(session=session, source="rollup",
                          reasons=[COUNTER_RESET] * rolled.bad_counter_steps, at=now)
    mark_stale(session=session, weeks=sorted(rolled.weeks))
    match_outcomes(session=session, now=now)  # warnings given at submit time: resized or not
    pruned = prune_samples(session=session, now=retention_now or now,
                           retention_s=settings.raw_retention_days * 86400)
    if weeks is None:
        last = last_complete_week(now)
        oldest = iso_week(now.date() - timedelta(weeks=RECENT_WEEKS))
        chosen = {week_of(now), *stale_weeks(session=session)}
        if last not in judged_weeks(session=session):
            chosen.add(last)
        weeks = sorted(w for w in chosen if w >= oldest)
    for week in weeks:
        judge_and_store(session=session, settings=settings, organisation=organisation,
                        week=week, now=now, judge=judge)
    return RefreshResult(gpu_days=rolled.gpu_days, bad_counter_steps=rolled.bad_counter_steps,
                         pruned=pruned, weeks=list(weeks))
