"""A team's week: its jobs accounted and judged, summed up (pure functions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analyzers.accounting import ZERO, Cost, Rates, account
from analyzers.ratings import team_label, team_score
from analyzers.records import JobRecord, Verdict
from storage.queries import JobWeek

WASTE_KINDS = ("healthy", "idle", "overprovisioned", "oversized_model")


@dataclass(slots=True)
class JobLine:
    """One job of a team's week: what it used, what it cost, what the judge said."""

    job: JobWeek
    record: JobRecord
    cost: Cost
    verdict: Verdict
    suggestions: list[Any] = field(default_factory=list)
    label: str | None = None

    @property
    def waste_kind(self) -> str:
        reasons = [r for r in self.verdict.reasons if r in WASTE_KINDS]
        return reasons[0] if self.verdict.oversized and reasons else "healthy"

    @property
    def saved_energy_j_week(self) -> float:
        """What the best suggestion saves per week, J (0 without one)."""
        return max((s.saved_energy_j_week for s in self.suggestions), default=0.0)

    @property
    def saved_cost_usd_week(self) -> float:
        return max((s.saved_cost_usd_week for s in self.suggestions), default=0.0)


@dataclass(slots=True)
class TeamWeek:
    team: str
    week: str
    jobs: list[JobLine] = field(default_factory=list)

    @property
    def cost(self) -> Cost:
        total = ZERO
        for line in self.jobs:
            total = total + line.cost
        return total

    @property
    def oversized(self) -> list[JobLine]:
        return [j for j in self.jobs if j.verdict.oversized]

    def _labelled(self) -> list[tuple[float, str]]:
        return [(j.record.energy_kwh_or_estimate(), j.label) for j in self.jobs
                if j.label is not None]

    @property
    def label(self) -> str | None:
        """The team's energy label: its jobs' labels weighted by their energy."""
        return team_label(self._labelled())

    @property
    def score(self) -> float | None:
        """Energy-weighted mean label (A = 0 ... G = 6), for ranking teams."""
        return team_score(self._labelled())

    def jobs_by_label(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.jobs:
            if job.label is not None:
                counts[job.label] = counts.get(job.label, 0) + 1
        return dict(sorted(counts.items()))

    def energy_j_by_day(self) -> dict[date, dict[str, float]]:
        """Energy per day, split by the kind of waste of the job that used it."""
        days: dict[date, dict[str, float]] = defaultdict(lambda: dict.fromkeys(WASTE_KINDS, 0.0))
        for line in self.jobs:
            kind = line.waste_kind
            for day, joules in line.job.energy_j_by_day.items():
                days[day][kind] += joules
        return dict(sorted(days.items()))


def job_cost(job: JobWeek, rates: Rates) -> Cost:
    return account(gpu_s=job.gpu_s, energy_j=job.energy_j, rates=rates)


def summarize(
    week: str,
    jobs: Sequence[JobWeek],
    records: Sequence[JobRecord],
    verdicts: Sequence[Verdict],
    rates_of: Callable[[JobWeek], Rates],
    suggestions: Sequence[list[Any]] | None = None,
    labels: Sequence[str | None] | None = None,
) -> dict[str, TeamWeek]:
    """Group a week's judged jobs by team, each with its cost at its cluster's rates."""
    teams: dict[str, TeamWeek] = {}
    for i, (job, record, verdict) in enumerate(zip(jobs, records, verdicts, strict=True)):
        line = JobLine(job=job, record=record, cost=job_cost(job, rates_of(job)),
                       verdict=verdict, suggestions=list(suggestions[i]) if suggestions else [],
                       label=labels[i] if labels else None)
        teams.setdefault(job.team, TeamWeek(team=job.team, week=week)).jobs.append(line)
    return teams
