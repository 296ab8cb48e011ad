"""The ledger: one judged week, as `refresh` writes it and every surface reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.types import J_PER_KWH, ZERO, Cost, JobRecord, RunWeek, Suggestion, Verdict

WASTE_KINDS = ("healthy", "idle", "overprovisioned", "oversized_model")


@dataclass(slots=True)
class JobLine:
    """One run of a team's week: what it used, what it cost, what the judge said."""

    job: RunWeek
    record: JobRecord
    cost: Cost
    verdict: Verdict
    suggestions: list[Suggestion] = field(default_factory=list)
    label: str | None = None

    @property
    def waste_kind(self) -> str:
        reasons = [r for r in self.verdict.reasons if r in WASTE_KINDS]
        return reasons[0] if self.verdict.oversized and reasons else "healthy"

    @property
    def saved_energy_j_week(self) -> float:
        """What the best suggestion saves in the week, J (0 without one)."""
        return max((s.saved_energy_j_week for s in self.suggestions), default=0.0)

    @property
    def saved_cost_usd_week(self) -> float:
        return max((s.saved_cost_usd_week for s in self.suggestions), default=0.0)

    @property
    def best(self) -> Suggestion | None:
        """The suggestion that saves most: the primary one of the run."""
        return max(self.suggestions, key=lambda s: s.saved_cost_usd_week, default=None)


@dataclass(slots=True)
class TeamWeek:
    """A team's judged week: its runs, totals, label (weighted by cost) and rank."""

    team: str
    week: str
    jobs: list[JobLine] = field(default_factory=list)
    label: str | None = None
    score: float | None = None
    rank: int | None = None
    teams_ranked: int = 0
    defaults: list[str] = field(default_factory=list)  # rates that came from a default

    @property
    def cost(self) -> Cost:
        total = ZERO
        for line in self.jobs:
            total = total + line.cost
        return total

    @property
    def oversized(self) -> list[JobLine]:
        return [j for j in self.jobs if j.verdict.oversized]

    def jobs_by_label(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.jobs:
            if job.label is not None:
                counts[job.label] = counts.get(job.label, 0) + 1
        return dict(sorted(counts.items()))

    def energy_j_by_day(self) -> dict[date, dict[str, float]]:
        """Energy per day, split by the kind of waste of the run that used it."""
        days: dict[date, dict[str, float]] = {}
        for line in self.jobs:
            kind = line.waste_kind
            for day, joules in line.job.energy_j_by_day.items():
                days.setdefault(day, dict.fromkeys(WASTE_KINDS, 0.0))[kind] += joules
        return dict(sorted(days.items()))


@dataclass(frozen=True, slots=True)
class ClusterWeek:
    """A cluster's week: its GPUs' time, what no run held (idle capacity), when it last sent."""

    cluster: str
    gpu_hours: float
    idle_gpu_hours: float
    idle_energy_j: float
    idle_cost_usd: float
    last_sample_ts: int | None

    @property
    def idle_share(self) -> float:
        return self.idle_gpu_hours / self.gpu_hours if self.gpu_hours > 0 else 0.0



# Where a realized saving comes from: an applied swap measured before and after, or a job
# resized after a warning at submit time (its estimate counts: it never ran as first asked).
SWAPPED = "applied swap"
RESIZED = "resized at submission"

@dataclass(slots=True)
class RealizedSaving:
    """What applied swaps measurably saved on one workload in one week, beside the estimate."""

    workload: str
    team: str
    cluster: str
    suggestion_ids: list[int]
    kinds: list[str]
    title: str
    applied_week: str
    week: str
    baseline_cost_usd_week: float
    baseline_energy_j_week: float
    measured_cost_usd_week: float
    measured_energy_j_week: float
    saved_cost_usd_week: float
    saved_energy_j_week: float
    saved_co2e_kg_week: float
    estimated_cost_usd_week: float
    estimated_energy_j_week: float
    seen: bool
    # "applied swap" (measured before and after), or "resized at submission": a job resized
    # after a submit-time warning, its estimate counted (it never ran as first asked).
    source: str = SWAPPED

    @property
    def estimate_off(self) -> bool:
        """The measured saving differs from the estimate by more than half of it."""
        gap = abs(self.saved_cost_usd_week - self.estimated_cost_usd_week)
        return gap > 0.5 * abs(self.estimated_cost_usd_week)

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload, "team": self.team, "cluster": self.cluster,
            "suggestion_ids": self.suggestion_ids, "kinds": self.kinds, "title": self.title,
            "applied_week": self.applied_week, "week": self.week,
            "baseline_cost_usd_week": round(self.baseline_cost_usd_week, 4),
            "measured_cost_usd_week": round(self.measured_cost_usd_week, 4),
            "saved_cost_usd_week": round(self.saved_cost_usd_week, 4),
            "saved_energy_kwh_week": round(self.saved_energy_j_week / J_PER_KWH, 6),
            "saved_co2e_kg_week": round(self.saved_co2e_kg_week, 6),
            "estimated_cost_usd_week": round(self.estimated_cost_usd_week, 4),
            "estimated_energy_kwh_week": round(self.estimated_energy_j_week / J_PER_KWH, 6),
            "estimate_off": self.estimate_off, "seen": self.seen, "source": self.source,
        }


@dataclass(slots=True)
class Ledger:
    """One judged week, as `refresh` writes it and every surface reads it."""

    week: str
    judge: str
    teams: dict[str, TeamWeek]
    clusters: dict[str, ClusterWeek] = field(default_factory=dict)
    realized: dict[str, list[RealizedSaving]] = field(default_factory=dict)
    refreshed_at: float | None = None  # Unix seconds
    data_through_ts: int | None = None  # newest sample counted
    hours: float = 168.0  # hours of the week covered (168 once it is over)
    stale: bool = False  # data arrived after the refresh

    @property
    def complete(self) -> bool:
        return self.hours >= 168.0

    def lines(self) -> list[JobLine]:
        return [line for team in self.teams.values() for line in team.jobs]
