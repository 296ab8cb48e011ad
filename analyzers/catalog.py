"""Right-sized alternatives per task, published energy per 1,000 queries, and GPU facts."""

from __future__ import annotations

import bisect
import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

SCORE_TASKS = ("asr", "sentence_similarity", "summarization", "text_classification",
               "text_generation")

# Published text-generation rows (ai_energy_score/text_generation.csv) with their parameter
# counts (billions, from the model cards): the anchors for a model's energy from its size.
_GENERATION_ANCHORS: tuple[tuple[float, str], ...] = (
    (0.124, "openai-community/gpt2"), (0.355, "openai-community/gpt2-medium"),
    (0.774, "openai-community/gpt2-large"), (1.5, "openai-community/gpt2-xl"),
    (2.7, "microsoft/phi-2"), (7.0, "meta-llama/Llama-2-7b-hf"),
    (8.0, "meta-llama/Meta-Llama-3.1-8B"), (13.0, "meta-llama/Llama-2-13b-hf"),
    (34.0, "01-ai/Yi-1.5-34B"), (70.0, "meta-llama/Llama-2-70b-hf"),
)
GENERATION_FORMULA = ("log-log interpolation between published text-generation rows of "
                      "neighbouring size (gpt2 0.124B ... Llama-2-70b 70B), linear beyond")


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One row of the AI Energy Score table: a model's GPU energy per 1,000 queries."""

    task: str
    model: str
    energy_kwh_per_1000: float
    stars: int
    size_class: str | None


@dataclass(frozen=True, slots=True)
class Alternative:
    """A right-sized model for a task, its energy and where that figure comes from."""

    task: str
    model: str
    params_b: float
    energy_kwh_per_1000: float
    energy_source: str
    quality_note: str
    # Words of a job (its name, command, model, declared task) that make this the fitting
    # choice (`jailbreak`, `toxic`); empty or `*` among them: also the task's general choice.
    when: tuple[str, ...] = ()

    @property
    def published(self) -> bool:
        return self.energy_source.startswith("ai_energy_score")


@cache
def score_table() -> tuple[ScoreRow, ...]:
    """Every shipped AI Energy Score row, all tasks."""
    rows = []
    base = resources.files("analyzers").joinpath("data/ai_energy_score")
    for task in SCORE_TASKS:
        with base.joinpath(f"{task}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append(ScoreRow(task=task, model=row["model"],
                                     energy_kwh_per_1000=float(row["total_gpu_energy"]),
                                     stars=int(row["energy_score"]),
                                     size_class=row.get("class") or None))
    return tuple(rows)


@cache
def alternatives() -> tuple[Alternative, ...]:
    """The catalog, in order of preference within each task."""
    path = resources.files("analyzers").joinpath("data/alternatives.csv")
    with path.open(encoding="utf-8") as handle:
        return tuple(
            Alternative(task=r["task"], model=r["model"], params_b=float(r["params_b"]),
                        energy_kwh_per_1000=float(r["energy_kwh_per_1000_queries"]),
                        energy_source=r["energy_source"], quality_note=r["quality_note"],
                        when=tuple(w for w in (r.get("when") or "").split("|") if w))
            for r in csv.DictReader(handle)
        )


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def alternative_for(task: str, *words: str | None) -> Alternative | None:
    """The catalog's choice for `task`, or None when it has none.

    The first whose purpose the job's `words` (its name, command, model, declared task) name:
    a safety classifier for a moderation job, not a sentiment model; else the task's first
    general choice.
    """
    spaced = f" {_NOT_WORD.sub(' ', ' '.join(w for w in words if w).lower())} "
    rows = [a for a in alternatives() if a.task == task]
    fitting = next((a for a in rows if any(f" {w}" in spaced for w in a.when if w != "*")),
                   None)
    return fitting or next((a for a in rows if not a.when or "*" in a.when), None)


def _short(model: str) -> str:
    return model.strip().lower().rsplit("/", 1)[-1]


def published_energy(model: str | None) -> ScoreRow | None:
    """The published row of `model` (hub id or its last part, any case), if there is one."""
    if not model:
        return None
    return _published_by_name().get(_short(model))


@cache
def _published_by_name() -> dict[str, ScoreRow]:
    """Published rows by the last part of their model's id, lower case: the first of each."""
    rows: dict[str, ScoreRow] = {}
    for row in score_table():
        rows.setdefault(_short(row.model), row)
    return rows


def estimated_generation_energy(params_b: float) -> float:
    """Energy per 1,000 queries (kWh) of a generative model of `params_b` billion parameters."""
    by_model = {r.model: r.energy_kwh_per_1000 for r in score_table()}
    xs = [p for p, _ in _GENERATION_ANCHORS]
    ys = [by_model[m] for _, m in _GENERATION_ANCHORS]
    if params_b <= xs[0]:
        return ys[0] * params_b / xs[0]
    if params_b >= xs[-1]:
        return ys[-1] * params_b / xs[-1]
    i = bisect.bisect_right(xs, params_b)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    t = (math.log(params_b) - math.log(x0)) / (math.log(x1) - math.log(x0))
    return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))


@dataclass(frozen=True, slots=True)
class GpuSpec:
    """Rough public figures of a GPU type: memory, board power, idle power, bf16 TFLOPS."""

    name: str
    mem_gib: float
    tdp_w: float
    idle_w: float
    tflops: float
    mig_slices: int  # compute slices of a MIG-capable GPU (7 or 4), 0 without MIG


# Order matters: the first pattern the telemetry's name matches wins.
_GPUS: tuple[tuple[re.Pattern[str], GpuSpec], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), spec) for pattern, spec in (
        (r"h200", GpuSpec("NVIDIA H200", 141, 700, 75, 989, 7)),
        (r"h100|h800", GpuSpec("NVIDIA H100", 80, 700, 70, 989, 7)),
        (r"a100|a800", GpuSpec("NVIDIA A100", 80, 400, 55, 312, 7)),
        (r"a30\b", GpuSpec("NVIDIA A30", 24, 165, 30, 165, 4)),
        (r"l40s", GpuSpec("NVIDIA L40S", 48, 350, 35, 362, 0)),
        (r"l40\b", GpuSpec("NVIDIA L40", 48, 300, 35, 181, 0)),
        (r"a40\b", GpuSpec("NVIDIA A40", 48, 300, 30, 150, 0)),
        (r"a6000|6000 ada", GpuSpec("NVIDIA RTX A6000", 48, 300, 25, 155, 0)),
        (r"a10g?\b", GpuSpec("NVIDIA A10", 24, 150, 20, 125, 0)),
        (r"\bl4\b", GpuSpec("NVIDIA L4", 24, 72, 16, 121, 0)),
        (r"v100", GpuSpec("Tesla V100", 32, 300, 40, 125, 0)),
        (r"t4\b", GpuSpec("Tesla T4", 16, 70, 10, 65, 0)),
    )
)
DEFAULT_IDLE_W = 50.0
GIB_PER_GB = 1e9 / 2**30
L4 = next(spec for _, spec in _GPUS if spec.name == "NVIDIA L4")


def gpu_spec(gpu_type: str) -> GpuSpec | None:
    """What we know of `gpu_type` as telemetry names it; None when unknown."""
    text = gpu_type.replace("-", " ")
    return next((spec for pattern, spec in _GPUS if pattern.search(text)), None)


def estimated_power_w(gpu_type: str, util_pct: float) -> float | None:
    """Mean power per GPU for a job whose telemetry reported none; None for an unknown GPU.

    Its idle power plus the rest of its board power in proportion to utilization (the usual
    board power x utilization estimate).
    """
    spec = gpu_spec(gpu_type)
    if spec is None:
        return None
    return spec.idle_w + (spec.tdp_w - spec.idle_w) * min(100.0, max(0.0, util_pct)) / 100.0


# MIG profiles (compute slices, memory GB) by the GPU's memory, smallest first.
_MIG_PROFILES: tuple[tuple[float, tuple[tuple[int, int], ...]], ...] = (
    (130, ((1, 18), (2, 35), (3, 71), (4, 71))),     # H200 141GB
    (90, ((1, 12), (2, 24), (3, 47), (4, 47))),      # H100 NVL 94GB
    (70, ((1, 10), (2, 20), (3, 40), (4, 40))),      # A100/H100 80GB
    (35, ((1, 5), (2, 10), (3, 20), (4, 20))),       # A100 40GB
    (0, ((1, 6), (2, 12))),                          # A30 24GB (4 slices)
)


def mig_profile(spec: GpuSpec, mem_total_gib: float, *, compute_fraction: float,
                mem_gib: float) -> tuple[str, float] | None:
    """The smallest MIG profile with enough compute and memory: (name, share of the GPU)."""
    if not spec.mig_slices:
        return None
    profiles = next(p for floor, p in _MIG_PROFILES if mem_total_gib >= floor)
    for slices, mem in profiles:
        share = slices / spec.mig_slices
        if share >= compute_fraction and mem * GIB_PER_GB >= mem_gib:
            return f"{slices}g.{mem}gb", share
    return None
