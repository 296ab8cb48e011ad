"""What to do instead of an oversized job, and what it saves per week (pure functions).

Every saving is the job's own measured energy and GPU time, before minus after the change,
times how often the job runs in a week. Models of "after" (docs/ratings.md):
- model_swap: energy x (alternative's / current model's energy per 1,000 queries), on one GPU;
- fewer_gpus: the idle draw of the GPUs given back, and their GPU-hours;
- smaller_gpu: a MIG slice's share of the GPU, or one L4 at the load the job would put on it;
- release: nothing left: the idle GPUs' energy and GPU-hours;
- precision: bf16 does the same work with 40 % less energy (and time, for jobs that end);
- batching: half the energy per request.
A GPU that stays held never draws less than its idle power. A change is kept only when it costs
less and uses no more energy than the job does now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analyzers.accounting import J_PER_KWH, WORLD_AVERAGE_G_PER_KWH, Cost, Rates, account
from analyzers.catalog import (
    DEFAULT_IDLE_W,
    GENERATION_FORMULA,
    L4,
    GpuSpec,
    alternative_for,
    estimated_generation_energy,
    estimated_power_w,
    gpu_spec,
    mig_profile,
    published_energy,
)
from analyzers.policy import gpus_needed
from analyzers.records import JobRecord, Verdict
from analyzers.rules import read_params_b
from config.organisation import Organisation, PolicyConfig
from domain.types import Suggestion
from domain.workloads import named_model

KINDS = ("model_swap", "fewer_gpus", "smaller_gpu", "release", "precision", "batching")
SECONDS_PER_WEEK = 7 * 24 * 3600.0
RECURRENCES = {"daily": 7.0, "weekly": 1.0, "hourly": 168.0}
PRECISION_ENERGY_FACTOR = 0.6
BATCHING_ENERGY_FACTOR = 0.5
BATCH_SIZE_TARGET = 16
DEFAULT_ENERGY_USD_PER_KWH = 0.15
DEFAULT_PUE = 1.2


def runs_per_week(recurrence: str | None, duration_s: float) -> float:
    """How many times the measured stretch recurs in a week ("continuous" fills the week)."""
    if recurrence is None:
        return 1.0
    key = recurrence.strip().lower()
    if key == "continuous":
        return SECONDS_PER_WEEK / duration_s if duration_s > 0 else 1.0
    if key in RECURRENCES:
        return RECURRENCES[key]
    raise ValueError(f"unknown recurrence {recurrence!r}; use continuous, daily, weekly or none")


@dataclass(frozen=True, slots=True)
class _Job:
    record: JobRecord
    task: str
    score: float
    rates: Rates
    policy: PolicyConfig
    spec: GpuSpec | None
    energy_j: float
    held: bool  # keeps its GPUs for the whole stretch whatever it does (a server, a notebook)
    price_of: Callable[[str], float] | None

    @property
    def name(self) -> str:
        return self.record.name or self.record.job_id

    @property
    def duration_s(self) -> float:
        return self.record.duration_s

    @property
    def idle_w(self) -> float:
        """Idle draw of one of its GPUs, never above what its GPUs drew on average."""
        idle = self.spec.idle_w if self.spec else DEFAULT_IDLE_W
        gpu_s = self.record.gpus * self.duration_s
        mean_w = self.energy_j / gpu_s if gpu_s > 0 else 0.0
        return min(idle, mean_w)

    def floor_j(self, gpus: float) -> float:
        return self.idle_w * gpus * self.duration_s

    def cost(self, *, gpu_s: float, energy_j: float, gpu_price: float | None = None) -> Cost:
        rates = self.rates if gpu_price is None else replace(self.rates,
                                                             gpu_usd_per_hour=gpu_price)
        return account(gpu_s=gpu_s, energy_j=energy_j, rates=rates)


# A candidate: kind, title, change, cost after (per run), confidence, note.
_Candidate = tuple[str, str, dict[str, Any], Cost, float, str]


def _model_swap(job: _Job) -> _Candidate | None:
    record = job.record
    named = named_model(record.model, record.command, record.image)
    alt = alternative_for(job.task, record.name, record.command, named, record.task)
    if alt is None:
        return None
    row = published_energy(named)
    params = read_params_b(record)
    guessed_size = params is None
    if row is not None:
        current_kwh, current_source = row.energy_kwh_per_1000, f"published ({row.task})"
    else:
        size = params if params is not None else job.policy.oversized_model_min_params_b
        current_kwh, current_source = estimated_generation_energy(size), GENERATION_FORMULA
    ratio = alt.energy_kwh_per_1000 / current_kwh
    if ratio >= 1.0:
        return None
    after = job.cost(gpu_s=job.duration_s,
                     energy_j=max(job.energy_j * ratio, job.floor_j(1)))
    confidence = 0.45 + 0.15 * (row is not None) + 0.15 * alt.published - 0.1 * guessed_size
    current = named or (f"a {params:g}B-parameter model" if params else "a large model")
    verb = "Train" if record.kind == "training" else "Serve" if record.kind == "inference" \
        else "Run"
    title = (f"{verb} {job.name} with {alt.model} instead of {current} "
             f"(about 1/{1 / ratio:,.0f} of the energy per query)")
    change = {"model": {"from": named, "to": alt.model},
              "energy_ratio": ratio, "gpus": {"from": record.gpus, "to": 1}}
    note = (f"{alt.quality_note}. Energy per 1,000 queries: {alt.model} "
            f"{alt.energy_kwh_per_1000:.6f} kWh ({alt.energy_source}); current "
            f"{current_kwh:.6f} kWh ({current_source}).")
    return "model_swap", title, change, after, confidence, note


def _fewer_gpus(job: _Job) -> _Candidate | None:
    record = job.record
    if record.gpus < 2:
        return None
    need = min(record.gpus, gpus_needed(record, job.policy))
    if need >= record.gpus:
        return None
    freed = record.gpus - need
    after = job.cost(gpu_s=need * job.duration_s,
                     energy_j=job.energy_j - freed * job.floor_j(1))
    title = (f"Run {job.name} on {need} GPU{'s' * (need > 1)} instead of {record.gpus} "
             f"(mean use {record.gpu_util_mean:.0f} %, peak memory "
             f"{record.gpu_mem_used_gib_max:.0f} of {record.gpu_mem_total_gib:.0f} GiB)")
    note = "Saves the idle draw and the GPU-hours of the GPUs given back."
    return "fewer_gpus", title, {"gpus": {"from": record.gpus, "to": need}}, after, 0.75, note


def _smaller_gpu(job: _Job) -> _Candidate | None:
    record, spec, policy = job.record, job.spec, job.policy
    if record.gpus != 1 or spec is None:
        return None
    mem_needed = record.gpu_mem_used_gib_max / policy.mem_headroom
    profile = mig_profile(spec, record.gpu_mem_total_gib, mem_gib=mem_needed,
                          compute_fraction=record.gpu_util_mean / policy.busy_util_pct)
    if profile is not None:
        name, share = profile
        after = job.cost(gpu_s=share * job.duration_s, energy_j=share * job.energy_j)
        title = (f"Move {job.name} to a MIG slice ({name}) of its {spec.name}: "
                 f"{share:.0%} of the GPU is all it uses")
        change = {"gpu_type": {"from": record.gpu_type, "to": f"{spec.name} MIG {name}"},
                  "mig_profile": name}
        note = "A slice is billed and attributed its share of the GPU's time and energy."
        return "smaller_gpu", title, change, after, 0.6, note
    load_pct = record.gpu_util_mean * spec.tflops / L4.tflops
    if (spec.tflops <= L4.tflops or load_pct > policy.busy_util_pct
            or mem_needed > L4.mem_gib):
        return None
    power_w = L4.idle_w + load_pct / 100.0 * (L4.tdp_w - L4.idle_w)
    price = job.price_of(L4.name) if job.price_of else None
    after = job.cost(gpu_s=job.duration_s,
                     energy_j=min(job.energy_j, power_w * job.duration_s), gpu_price=price)
    title = (f"Move {job.name} to one {L4.name} instead of {record.gpu_type} "
             f"(it would run at about {load_pct:.0f} % there)")
    note = ("GPU price unchanged: no L4 price is configured." if price is None
            else f"An L4 costs {price:.2f} $/h here.")
    return ("smaller_gpu", title, {"gpu_type": {"from": record.gpu_type, "to": L4.name}},
            after, 0.55, note)


def _release(job: _Job) -> _Candidate:
    record = job.record
    hours = job.duration_s / 3600.0
    busy_peak = record.gpu_util_max >= 2 * job.policy.idle_util_pct
    title = (f"Release the {record.gpus} GPU{'s' * (record.gpus > 1)} {job.name} holds: "
             f"they sat idle for {hours:.1f} h (mean use {record.gpu_util_mean:.1f} %)")
    note = (f"Its GPUs peaked at {record.gpu_util_max:.0f} %: stop it between uses."
            if busy_peak else "Nothing ran on them.")
    change = {"release": {"idle_hours": round(hours, 2), "gpus": record.gpus}}
    return ("release", title, change, job.cost(gpu_s=0.0, energy_j=0.0),
            0.7 if busy_peak else 0.85, note)


def _precision(job: _Job) -> _Candidate:
    record = job.record
    gpu_s = record.gpus * job.duration_s
    energy = max(job.energy_j * PRECISION_ENERGY_FACTOR, job.floor_j(record.gpus))
    after = job.cost(gpu_s=gpu_s if job.held else gpu_s * PRECISION_ENERGY_FACTOR,
                     energy_j=energy)
    title = (f"Run {job.name} in bf16 instead of {record.precision or 'fp32'} "
             f"on its {record.gpu_type}")
    note = "bf16 uses the tensor cores fp32 leaves idle; check the loss curve or accuracy once."
    change = {"precision": {"from": record.precision or "fp32", "to": "bf16"}}
    return "precision", title, change, after, 0.5, note


def _batching(job: _Job) -> _Candidate:
    record = job.record
    energy = max(job.energy_j * BATCHING_ENERGY_FACTOR, job.floor_j(record.gpus))
    after = job.cost(gpu_s=record.gpus * job.duration_s, energy_j=energy)
    title = (f"Batch the requests {job.name} serves (batch size {record.batch_size} now; "
             f"try {BATCH_SIZE_TARGET})")
    note = "Dynamic batching in the server (vLLM, TGI, Triton) trades a few ms for throughput."
    change = {"batch_size": {"from": record.batch_size, "to": BATCH_SIZE_TARGET}}
    return "batching", title, change, after, 0.4, note


def suggest(record: JobRecord, verdict: Verdict, *, rates: Rates, policy: PolicyConfig,
            recurrence: str | None = None,
            gpu_price_usd_per_hour: Callable[[str], float] | None = None,
            measured_only: bool = False) -> list[Suggestion]:
    """Cheaper alternatives for a judged job, best (most $ saved per week) first.

    `measured_only`: savings over the measured stretch alone (the ledger's rule: a run saves
    at most what it held), never scaled by the job's recurrence.
    """
    reasons = set(verdict.reasons)
    if not reasons:
        return []
    job = _Job(record=record, task=verdict.task, score=verdict.score, rates=rates,
               policy=policy, spec=gpu_spec(record.gpu_type),
               energy_j=record.energy_kwh_or_estimate() * J_PER_KWH,
               held=recurrence == "continuous" or record.kind in ("inference", "interactive"),
               price_of=gpu_price_usd_per_hour)
    candidates: list[_Candidate | None] = []
    if "oversized_model" in reasons:
        candidates.append(_model_swap(job))
    if "overprovisioned" in reasons:
        candidates += [_fewer_gpus(job), _smaller_gpu(job)]
    if "idle" in reasons:
        candidates.append(_release(job))
    if "precision" in reasons:
        candidates.append(_precision(job))
    if "small_batch" in reasons:
        candidates.append(_batching(job))
    runs = 1.0 if measured_only else runs_per_week(recurrence, record.duration_s)
    before = job.cost(gpu_s=record.gpus * record.duration_s, energy_j=job.energy_j)
    found = []
    for candidate in candidates:
        if candidate is None:
            continue
        kind, title, change, after, confidence, note = candidate
        saved_j = (before.energy_j - after.energy_j) * runs
        saved_usd = (before.cost_usd - after.cost_usd) * runs
        if saved_usd <= 1e-9 or saved_j < -1e-6:
            continue  # never suggest what is not cheaper
        if kind in ("model_swap", "fewer_gpus", "smaller_gpu", "release"):
            confidence *= 0.5 + 0.5 * min(1.0, max(0.0, verdict.score))
        found.append(Suggestion(
            kind=kind, title=title, change=change, saved_energy_j_week=max(0.0, saved_j),
            saved_cost_usd_week=saved_usd,
            saved_co2e_kg_week=max(0.0, before.co2e_kg - after.co2e_kg) * runs,
            confidence=round(min(1.0, max(0.0, confidence)), 3), runs_per_week=runs, note=note,
            saved_gpu_hours_week=max(0.0, before.gpu_hours - after.gpu_hours) * runs,
        ))
    found.sort(key=lambda s: (-s.saved_cost_usd_week, -s.saved_energy_j_week))
    return found


def contract_suggestion(suggestions: Sequence[Suggestion]) -> dict[str, Any] | None:
    """The `suggestion` object of the classify contract: the best suggestion, or None."""
    return suggestions[0].to_json() if suggestions else None


def default_rates(organisation: Organisation, gpu_type: str) -> Rates:
    """Rates when no cluster is known: the organisation's GPU price, 0.15 $/kWh, PUE 1.2."""
    gpu_default = organisation.gpu_price_default(gpu_type)
    defaults = ([gpu_default] if gpu_default else []) + [
        f"no cluster: the default energy price {DEFAULT_ENERGY_USD_PER_KWH:.2f} $/kWh",
        f"no cluster: the default PUE {DEFAULT_PUE:g}",
        f"no cluster: world average {WORLD_AVERAGE_G_PER_KWH:g} g/kWh"]
    return Rates(gpu_usd_per_hour=organisation.gpu_price_usd_per_hour(gpu_type),
                 energy_usd_per_kwh=DEFAULT_ENERGY_USD_PER_KWH, pue=DEFAULT_PUE,
                 carbon_g_per_kwh=WORLD_AVERAGE_G_PER_KWH, defaults=tuple(defaults))


def attach_suggestions(records: Iterable[JobRecord], verdicts: Iterable[Verdict], *,
                       rates: Rates | Callable[[JobRecord], Rates], policy: PolicyConfig,
                       gpu_price_usd_per_hour: Callable[[str], float] | None = None) -> None:
    """Fill each verdict's `suggestion` with its job's best suggestion (for `classify`).

    A record that reports neither energy nor power is judged on its GPU's estimated power at
    its utilization (`estimated_power_w`), and its suggestion's note says so; without that,
    its energy would count as zero and no model swap could show a saving.
    """
    for record, verdict in zip(records, verdicts, strict=True):
        job_rates = rates(record) if callable(rates) else rates
        estimated = None
        if record.energy_kwh is None and record.power_w_mean is None:
            estimated = estimated_power_w(record.gpu_type, record.gpu_util_mean)
            if estimated is not None:
                record = replace(record, power_w_mean=estimated)
        verdict.suggestion = contract_suggestion(suggest(
            record, verdict, rates=job_rates, policy=policy,
            gpu_price_usd_per_hour=gpu_price_usd_per_hour))
        if verdict.suggestion is not None and estimated is not None:
            verdict.suggestion["note"] = (
                f"{verdict.suggestion.get('note') or ''} Power was not reported: energy "
                f"estimated at {estimated:.0f} W per GPU, the {record.gpu_type} at "
                f"{record.gpu_util_mean:.0f} % utilization between its idle and board "
                "power.").strip()
