"""The oversized policy of the job-record contract, as pure functions of a job's telemetry."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from analyzers.records import NARROW_TASKS, JobRecord
from config.organisation import PolicyConfig

# GPUs with bf16 support (Ampere data-centre parts and newer): fp32 there wastes the hardware.
_BF16_GPU = re.compile(
    r"\b(a100|a800|a10g?|a30|a40|l4|l40s?|l20|h100|h800|h200|h20|gh200|b100|b200|gb200|"
    r"rtx\s*a?6000|rtx\s*[345]0\d0)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PolicyFindings:
    """The reasons and hints the policy finds for one job, and the GPUs its work needs."""

    reasons: tuple[str, ...]
    hints: tuple[str, ...]
    gpus_needed: int

    @property
    def oversized(self) -> bool:
        return bool(self.reasons)


@lru_cache(maxsize=1024)
def supports_bf16(gpu_type: str) -> bool:
    """Whether `gpu_type` (as telemetry names it) runs bf16 natively (a fleet has few types)."""
    return bool(_BF16_GPU.search(gpu_type.replace("-", " ")))


def gpus_needed(record: JobRecord, policy: PolicyConfig) -> int:
    """GPUs the job's work needs: enough for its compute at the busy target and its memory."""
    by_util = math.ceil(record.gpus * record.gpu_util_mean / policy.busy_util_pct - 1e-9)
    by_mem = math.ceil(
        record.gpus * record.gpu_mem_used_gib_max
        / (policy.mem_headroom * record.gpu_mem_total_gib) - 1e-9
    )
    return max(1, by_util, by_mem)


def is_idle(record: JobRecord, policy: PolicyConfig) -> bool:
    return record.duration_s >= policy.idle_min_s and record.gpu_util_mean < policy.idle_util_pct


def is_overprovisioned(record: JobRecord, policy: PolicyConfig) -> bool:
    if record.gpus >= 2:
        return gpus_needed(record, policy) <= record.gpus / 2
    return (
        record.gpu_mem_total_gib >= policy.single_gpu_min_mem_gib
        and record.gpu_util_mean < policy.single_gpu_util_pct
        and record.gpu_mem_used_gib_max <= policy.single_gpu_mem_gib
        and record.duration_s >= policy.single_gpu_min_s
    )


def is_oversized_model(task: str, params_b: float | None, policy: PolicyConfig) -> bool:
    return (
        task in NARROW_TASKS
        and params_b is not None
        and params_b >= policy.oversized_model_min_params_b
    )


def hints(record: JobRecord, policy: PolicyConfig) -> tuple[str, ...]:
    found = []
    if record.precision == "fp32" and supports_bf16(record.gpu_type):
        found.append("precision")
    if (
        record.kind == "inference"
        and record.batch_size is not None
        and record.batch_size <= policy.small_batch_max
    ):
        found.append("small_batch")
    return tuple(found)


def evaluate(
    record: JobRecord, *, task: str, params_b: float | None, policy: PolicyConfig
) -> PolicyFindings:
    """Apply the policy to a job whose task and model size (billions of parameters) are known."""
    reasons = []
    if is_idle(record, policy):
        reasons.append("idle")
    if is_overprovisioned(record, policy):
        reasons.append("overprovisioned")
    if is_oversized_model(task, params_b, policy):
        reasons.append("oversized_model")
    return PolicyFindings(
        reasons=tuple(reasons),
        hints=hints(record, policy),
        gpus_needed=min(record.gpus, gpus_needed(record, policy)),
    )
