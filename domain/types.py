"""The plain data every layer passes around: runs, costs, verdicts, suggestions.

A leaf package (domain/): it imports nothing else of the project, so collectors, storage,
analyzers, reports and bot all speak in these types without importing each other. Units live
in the names. The judged week built from them is in domain/ledger.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

J_PER_KWH = 3.6e6


@dataclass(frozen=True, slots=True)
class Rates:
    """What one GPU-hour and one kWh cost where a run ran."""

    gpu_usd_per_hour: float
    energy_usd_per_kwh: float
    pue: float
    carbon_g_per_kwh: float
    # In words, each input above that came from a default ("no price for GPU type ...").
    defaults: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cost:
    """A run's (or team's) footprint; each part of the cost shown separately."""

    gpu_hours: float
    energy_j: float
    gpu_cost_usd: float
    energy_cost_usd: float
    co2e_kg: float

    @property
    def energy_kwh(self) -> float:
        return self.energy_j / J_PER_KWH

    @property
    def cost_usd(self) -> float:
        return self.gpu_cost_usd + self.energy_cost_usd

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            gpu_hours=self.gpu_hours + other.gpu_hours,
            energy_j=self.energy_j + other.energy_j,
            gpu_cost_usd=self.gpu_cost_usd + other.gpu_cost_usd,
            energy_cost_usd=self.energy_cost_usd + other.energy_cost_usd,
            co2e_kg=self.co2e_kg + other.co2e_kg,
        )


ZERO = Cost(0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(slots=True)
class JobRecord:
    """One job's (or run's) summary, as every collector emits it and `classify` reads it."""

    job_id: str
    gpu_type: str
    gpus: int
    duration_s: float
    gpu_util_mean: float
    gpu_util_max: float
    gpu_mem_used_gib_max: float
    gpu_mem_total_gib: float
    team: str | None = None
    user: str | None = None
    name: str = ""
    command: str = ""
    image: str | None = None
    model: str | None = None
    task: str | None = None
    kind: str | None = None
    power_w_mean: float | None = None
    energy_kwh: float | None = None
    precision: str | None = None
    batch_size: int | None = None

    @property
    def text(self) -> str:
        """Everything a person would read to tell what the job does."""
        parts = [self.name, self.command, self.image or "", self.model or "", self.task or ""]
        return " ".join(p for p in parts if p)

    def energy_kwh_or_estimate(self) -> float:
        """Energy of all its GPUs, kWh; estimated from power and time when not measured."""
        if self.energy_kwh is not None:
            return self.energy_kwh
        power_w = self.power_w_mean if self.power_w_mean is not None else 0.0
        return power_w * self.gpus * self.duration_s / 3.6e6

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Verdict:
    """What a judge says of one job or run."""

    job_id: str
    task: str
    oversized: bool
    score: float
    reasons: list[str] = field(default_factory=list)
    suggestion: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "task": self.task,
            "oversized": self.oversized,
            "score": round(self.score, 4),
            "reasons": list(self.reasons),
            "suggestion": self.suggestion,
        }


@dataclass(slots=True)
class Suggestion:
    """One change to one run, with what it saves in the week (J, USD, kg CO2e, GPU-hours).

    Savings are what the run measurably held in the week, never more than it cost there.
    `projected_cost_usd_week` is set only for a run that held its GPUs for all of a week
    still under way: the saving scaled to the full week, shown as a projection.
    """

    kind: str
    title: str
    change: dict[str, Any]
    saved_energy_j_week: float
    saved_cost_usd_week: float
    saved_co2e_kg_week: float
    confidence: float
    runs_per_week: float = 1.0
    note: str = ""
    id: int | None = field(default=None, compare=False)
    saved_gpu_hours_week: float = 0.0
    projected_cost_usd_week: float | None = None
    state: str = "open"

    @property
    def saved_energy_kwh_week(self) -> float:
        return self.saved_energy_j_week / J_PER_KWH

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "title": self.title,
            "change": self.change,
            "saved_energy_kwh_week": round(self.saved_energy_kwh_week, 6),
            "saved_cost_usd_week": round(self.saved_cost_usd_week, 4),
            "saved_co2e_kg_week": round(self.saved_co2e_kg_week, 6),
            "confidence": round(self.confidence, 2),
            "note": self.note,
        }
        if self.projected_cost_usd_week is not None:
            out["projected_cost_usd_week"] = round(self.projected_cost_usd_week, 4)
        return out


@dataclass(frozen=True, slots=True)
class UsagePart:
    """What a run used on one UTC day on GPUs of one type: the unit that rates apply to."""

    day: date
    gpu_type: str
    gpu_s: float
    energy_j: float


@dataclass(slots=True)
class RunWeek:
    """One run's share of one ISO week: a job's continuous stretch on a fixed set of GPUs.

    A run starts at a job's first sample, or after a gap longer than the sample gap limit, or
    when its GPUs change; a reused job id or name therefore starts a new run.
    """

    job_id: int
    external_id: str
    cluster: str
    team: str
    user: str | None
    name: str
    command: str
    image: str | None
    model: str | None
    task: str | None
    kind: str | None
    precision: str | None
    batch_size: int | None
    recurrence: str | None
    gpu_type: str
    gpus: int
    mem_total_mib: int
    samples: int = 0
    gpu_s: float = 0.0
    energy_j: float = 0.0
    energy_estimated: bool = False
    util_sum: float = 0.0
    util_max: float = 0.0
    mem_max_mib: int = 0
    first_ts: int = 0
    last_ts: int = 0
    parts: tuple[UsagePart, ...] = ()
    run_key: str = ""
    workload: str = ""

    @property
    def util_mean(self) -> float:
        return self.util_sum / self.samples if self.samples else 0.0

    @property
    def duration_s(self) -> float:
        """Wall time within the week: first to last sample, plus one sampling interval."""
        if not self.samples:
            return 0.0
        interval = self.gpu_s / self.samples
        return float(self.last_ts - self.first_ts) + interval

    @property
    def energy_j_by_day(self) -> dict[date, float]:
        days: dict[date, float] = {}
        for part in self.parts:
            days[part.day] = days.get(part.day, 0.0) + part.energy_j
        return dict(sorted(days.items()))


@dataclass(frozen=True, slots=True)
class FleetUsage:
    """A cluster's GPU time in a week on one GPU type: all of it, and what no job held."""

    cluster: str
    gpu_type: str
    gpu_s: float
    unheld_gpu_s: float
    unheld_energy_j: float


# The name the weekly pipeline used before runs: a job's week is now a run's week.
JobWeek = RunWeek
