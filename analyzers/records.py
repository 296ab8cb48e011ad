"""Job records and verdicts: the contract of `ai-cost classify` (contracts/job-records.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from domain.samples import MAX_COUNT, MAX_MEM_MIB, MAX_POWER_W, shown
from domain.types import JobRecord, Verdict

TASKS = (
    "text_classification", "token_classification", "question_answering", "sentence_similarity",
    "summarization", "translation", "text_generation", "asr", "image_classification",
    "object_detection", "image_generation", "image_captioning", "other",
)
NARROW_TASKS = frozenset({
    "text_classification", "token_classification", "question_answering", "sentence_similarity",
    "asr", "image_classification", "object_detection",
})
KINDS = ("training", "inference", "interactive", "batch")
PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
REASONS = ("idle", "overprovisioned", "oversized_model")
HINTS = ("precision", "small_batch")


__all__ = ["JobRecord", "Verdict", "RecordError", "parse_record", "read_jsonl"]


class RecordError(ValueError):
    """A job record that breaks the contract; the message says which field and why."""


def _number(obj: dict[str, Any], key: str, *, lo: float | None = None,
            hi: float | None = None, required: bool = True) -> float | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise RecordError(f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{key} must be a number, got {shown(value)}")
    if not math.isfinite(value):
        raise RecordError(f"{key} must be finite, got {shown(value)}")
    if lo is not None and value < lo:
        raise RecordError(f"{key} must be >= {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise RecordError(f"{key} must be <= {hi:g}, got {value:g}")
    return float(value)


def _text(obj: dict[str, Any], key: str, *, choices: tuple[str, ...] | None = None) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key} must be a string or null, got {shown(value)}")
    if choices is not None and value not in choices:
        raise RecordError(f"{key} must be one of {', '.join(choices)} or null, got {shown(value)}")
    return value


# What no real job reaches, however large (the limits of what collectors send, domain.samples):
# a value past these is a broken record, and would overflow the arithmetic on it. A MIG slice
# has 5 GiB or more.
MAX_GPUS = MAX_COUNT
MIN_GPU_MEM_GIB, MAX_GPU_MEM_GIB = 0.5, MAX_MEM_MIB / 1024
MAX_DURATION_S = 10 * 365 * 86_400.0
MAX_ENERGY_KWH = MAX_GPUS * MAX_POWER_W * MAX_DURATION_S / 3.6e6


def parse_record(obj: Any) -> JobRecord:
    """Validate one decoded JSON object against the contract; unknown fields are ignored."""
    if not isinstance(obj, dict):
        raise RecordError("a job record must be a JSON object")
    job_id = obj.get("job_id")
    if not isinstance(job_id, str | int) or isinstance(job_id, bool) or str(job_id) == "":
        raise RecordError("job_id is required and must be a non-empty string")
    gpus = obj.get("gpus")
    if isinstance(gpus, bool) or not isinstance(gpus, int) or not 1 <= gpus <= MAX_GPUS:
        raise RecordError(f"gpus must be an integer from 1 to {MAX_GPUS:,}, got {shown(gpus)}")
    gpu_type = _text(obj, "gpu_type")
    if not gpu_type:
        raise RecordError("gpu_type is required")
    batch = obj.get("batch_size")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise RecordError(f"batch_size must be an integer >= 1 or null, got {shown(batch)}")
    util_mean = _number(obj, "gpu_util_mean", lo=0, hi=100)
    util_max = _number(obj, "gpu_util_max", lo=0, hi=100)
    mem_used = _number(obj, "gpu_mem_used_gib_max", lo=0, hi=MAX_GPU_MEM_GIB)
    mem_total = _number(obj, "gpu_mem_total_gib", lo=0, hi=MAX_GPU_MEM_GIB)
    assert util_mean is not None and util_max is not None
    assert mem_used is not None and mem_total is not None
    if mem_total < MIN_GPU_MEM_GIB:
        raise RecordError(f"gpu_mem_total_gib must be >= {MIN_GPU_MEM_GIB:g}, got {mem_total:g}")
    duration = _number(obj, "duration_s", lo=0, hi=MAX_DURATION_S)
    assert duration is not None
    return JobRecord(
        job_id=str(job_id),
        team=_text(obj, "team"),
        user=_text(obj, "user"),
        name=_text(obj, "name") or "",
        command=_text(obj, "command") or "",
        image=_text(obj, "image"),
        model=_text(obj, "model"),
        task=_text(obj, "task"),
        kind=_text(obj, "kind", choices=KINDS),
        gpu_type=gpu_type,
        gpus=gpus,
        duration_s=duration,
        gpu_util_mean=util_mean,
        gpu_util_max=util_max,
        gpu_mem_used_gib_max=mem_used,
        gpu_mem_total_gib=mem_total,
        power_w_mean=_number(obj, "power_w_mean", lo=0, hi=MAX_POWER_W, required=False),
        energy_kwh=_number(obj, "energy_kwh", lo=0, hi=MAX_ENERGY_KWH, required=False),
        precision=_text(obj, "precision", choices=PRECISIONS),
        batch_size=batch,
    )


@dataclass(slots=True)
class LineError:
    line: int
    reason: str


def read_jsonl(lines: Iterable[str]) -> Iterator[JobRecord | LineError]:
    """Parse JSON Lines, yielding a record or the line number and reason it was skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield parse_record(json.loads(line))
        except json.JSONDecodeError as exc:
            yield LineError(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
        except RecordError as exc:
            yield LineError(number, str(exc))
