"""The weekly digest of a team, as plain data that reports/ renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from analyzers.accounting import J_PER_KWH
from analyzers.ratings import LABELS
from domain.ledger import WASTE_KINDS, TeamWeek
from domain.weeks import week_bounds


@dataclass(frozen=True, slots=True)
class Figures:
    """A team's totals for one week."""

    energy_kwh: float
    cost_usd: float
    gpu_cost_usd: float
    energy_cost_usd: float
    co2e_kg: float
    gpu_hours: float
    jobs: int
    oversized_jobs: int

    @classmethod
    def of(cls, week: TeamWeek | None) -> Figures:
        if week is None:
            return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0)
        cost = week.cost
        return cls(
            energy_kwh=cost.energy_kwh, cost_usd=cost.cost_usd, gpu_cost_usd=cost.gpu_cost_usd,
            energy_cost_usd=cost.energy_cost_usd, co2e_kg=cost.co2e_kg,
            gpu_hours=cost.gpu_hours, jobs=len(week.jobs), oversized_jobs=len(week.oversized),
        )


@dataclass(frozen=True, slots=True)
class WorstJob:
    """An oversized job worth acting on, with its best suggestion."""

    job_id: str
    name: str
    user: str | None
    reasons: tuple[str, ...]
    energy_kwh: float
    cost_usd: float
    gpus: int
    gpu_type: str
    suggestion: str | None
    saved_kwh_week: float
    saved_usd_week: float
    saved_co2e_kg_week: float
    suggestion_id: int | None = None


@dataclass(frozen=True, slots=True)
class BudgetProgress:
    """How much of a weekly budget (kWh or USD) a team used in the week."""

    metric: str
    spent: float
    budget: float

    @property
    def pct(self) -> float:
        return 100.0 * self.spent / self.budget if self.budget > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Swaps:
    """Swaps approved and applied in the week, and what applied swaps measurably saved."""

    approved: int = 0
    applied: int = 0
    measured: int = 0
    saved_kwh_week: float = 0.0
    saved_usd_week: float = 0.0
    saved_co2e_kg_week: float = 0.0
    estimated_usd_week: float = 0.0


@dataclass(slots=True)
class Digest:
    team: str
    week: str
    figures: Figures
    previous: Figures | None
    worst: list[WorstJob]
    more_oversized: int
    energy_kwh_by_day: list[tuple[date, dict[str, float]]]
    slack_channel: str | None = None
    label: str | None = None
    previous_label: str | None = None
    rank: int | None = None
    teams_ranked: int | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    budget: list[BudgetProgress] = field(default_factory=list)
    swaps: Swaps | None = None
    label_history: list[tuple[str, str | None]] = field(default_factory=list)
    jobs_by_label: dict[str, int] = field(default_factory=dict)
    as_of: str | None = None  # when the week was judged (ISO time, UTC)
    stale: bool = False  # data arrived after that
    hours: float = 168.0  # hours of the week covered; under 168: "so far"
    silent: list[tuple[str, str | None]] = field(default_factory=list)  # (cluster, last seen)
    defaults: list[str] = field(default_factory=list)  # figures priced with a default
    # The team's served endpoints of the week, as the ledger keeps them (docs/served.md).
    served: list[dict[str, Any]] = field(default_factory=list)
    # Warnings given at submit time this week: (warnings, jobs resized before they ran, the
    # resized jobs' estimated saving a week) (docs/submit-time.md).
    submit_time: tuple[int, int, float] = (0, 0, 0.0)

    @property
    def label_change(self) -> int | None:
        """Label classes gained since last week (positive: better); None without both."""
        if self.label is None or self.previous_label is None:
            return None
        return LABELS.index(self.previous_label) - LABELS.index(self.label)

    def change_pct(self, metric: str) -> float | None:
        """Change of a figure against the week before, %; None without a week before."""
        if self.previous is None:
            return None
        before = getattr(self.previous, metric)
        if not before:
            return None
        return 100.0 * (getattr(self.figures, metric) - before) / before

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["energy_kwh_by_day"] = [
            {"day": d.isoformat(), **kinds} for d, kinds in self.energy_kwh_by_day
        ]
        return data


def build_digest(team: str, week: str, this: TeamWeek | None, previous: TeamWeek | None, *,
                 slack_channel: str | None = None, top_n: int = 5) -> Digest:
    """A team's digest: totals, change against last week, the worst jobs, energy per day."""
    oversized = sorted(this.oversized if this else [],
                       key=lambda j: (j.saved_cost_usd_week, j.cost.cost_usd), reverse=True)
    worst = []
    for line in oversized[:top_n]:
        best = line.best
        worst.append(WorstJob(
            job_id=line.job.external_id, name=line.job.name, user=line.job.user,
            reasons=tuple(line.verdict.reasons), energy_kwh=line.cost.energy_kwh,
            cost_usd=line.cost.cost_usd, gpus=line.job.gpus, gpu_type=line.job.gpu_type,
            suggestion=best.title if best else None,
            saved_kwh_week=best.saved_energy_j_week / J_PER_KWH if best else 0.0,
            saved_usd_week=best.saved_cost_usd_week if best else 0.0,
            saved_co2e_kg_week=best.saved_co2e_kg_week if best else 0.0,
            suggestion_id=getattr(best, "id", None),
        ))
    monday, _ = week_bounds(week)
    by_day = this.energy_j_by_day() if this else {}
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        joules = by_day.get(day, dict.fromkeys(WASTE_KINDS, 0.0))
        days.append((day, {k: joules.get(k, 0.0) / J_PER_KWH for k in WASTE_KINDS}))
    return Digest(
        team=team, week=week, figures=Figures.of(this),
        previous=Figures.of(previous) if previous is not None else None,
        worst=worst, more_oversized=max(0, len(oversized) - top_n),
        energy_kwh_by_day=days, slack_channel=slack_channel,
        jobs_by_label=this.jobs_by_label() if this else {},
    )
