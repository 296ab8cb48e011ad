"""The weekly pipeline: roll up, judge, suggest, account, digest. Used by CLI, bot, scheduler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from analyzers import accounting
from analyzers.jobs import to_record
from analyzers.judges import default_judge_name, get_judge
from analyzers.ratings import judge_waste
from analyzers.suggestions import Suggestion
from analyzers.weekly import TeamWeek, summarize
from config.organisation import Organisation
from config.settings import Settings
from storage import queries
from storage.queries import JobWeek
from storage.rollup import prune_samples, rollup
from storage.suggestions_repo import save_suggestions_bulk

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class WeekResult:
    week: str
    teams: dict[str, TeamWeek]
    judge: str


def refresh(*, session: Session, settings: Settings, now: datetime | None = None,
            progress: Progress | None = None) -> int:
    """Roll up new samples and prune raw samples past retention; returns GPU-days rolled."""
    rolled = rollup(session=session, max_gap_s=settings.max_sample_gap_s, progress=progress)
    prune_samples(session=session, now=now, retention_s=settings.raw_retention_days * 86400)
    return rolled


def rates_lookup(organisation: Organisation) -> Callable[[JobWeek], accounting.Rates]:
    """Rates per job from its cluster and GPU type (memoised per pair)."""
    cache: dict[tuple[str, str], accounting.Rates] = {}

    def rates_of(job: JobWeek) -> accounting.Rates:
        key = (job.cluster, job.gpu_type)
        if key not in cache:
            cache[key] = accounting.rates_for(organisation, organisation.cluster(job.cluster),
                                              job.gpu_type)
        return cache[key]

    return rates_of


def process_week(*, session: Session, organisation: Organisation, week: str,
                 judge: str | None = None, now: datetime | None = None) -> WeekResult:
    """Judge every job of `week`, store verdicts and suggestions, and account it per team."""
    judge_name = judge or default_judge_name()
    jobs = queries.job_weeks(session=session, week=week)
    records = [to_record(j) for j in jobs]
    verdicts = get_judge(judge_name)(records, organisation.policy)
    queries.save_verdicts(
        session=session, week=week, judge=judge_name, now=now or datetime.now(UTC),
        verdicts=[(j.job_id, v.task, v.oversized, v.score, v.reasons)
                  for j, v in zip(jobs, verdicts, strict=True)],
    )
    rates_of = rates_lookup(organisation)
    labels: list[str | None] = []
    proposed: list[tuple[int, list[Suggestion], str | None]] = []
    for job, record, verdict in zip(jobs, records, verdicts, strict=True):
        # The label counts all waste, dismissed suggestions included; people see the rest.
        found, label = judge_waste(record, verdict, rates=rates_of(job),
                                   policy=organisation.policy, recurrence=job.recurrence,
                                   gpu_price_usd_per_hour=organisation.gpu_price_usd_per_hour)
        labels.append(label)
        proposed.append((job.job_id, found, verdict.task))
    saved = iter(save_suggestions_bulk(
        session=session, week=week, now=now or datetime.now(UTC),
        items=[item for item in proposed if item[1]]))
    shown = [next(saved) if found else [] for _, found, _ in proposed]
    teams = summarize(week, jobs, records, verdicts, rates_of, shown, labels)
    return WeekResult(week=week, teams=teams, judge=judge_name)
