"""Warnings at submit time: a job's request judged before it runs (pure: no database, no I/O).

A request has no telemetry, so it is judged as a busy job (nothing idle, nothing
overprovisioned by use) by the week's judge and policy: only what the request itself shows can
fire. The rules (`RULES`): oversized_model (a narrow task on a large model, read from the
names, command and image as the weekly judge reads them), notebook_gpus (an interactive job
holding more GPUs than the policy's `interactive_max_gpus`) and fp32 (fp32 asked for on a GPU
that runs bf16). The weekly cost difference assumes the requested GPUs are held for the time
limit, capped at a week (a week when no limit is given), drawing `ASSUMED_LOAD` of their board
power (docs/submit-time.md).
"""

from analyzers.submit.judging import (
    ASSUMED_LOAD,
    SERVING_KINDS,
    UNKNOWN_GPU,
    UNKNOWN_GPU_MEM_GIB,
    UNKNOWN_GPU_W,
    Judge,
    as_record,
    check_request,
    held_s,
)
from analyzers.submit.kubernetes import parse_manifest
from analyzers.submit.request import (
    NOTHING,
    RULES,
    SOURCES,
    SubmitInputError,
    SubmitRequest,
    SubmitVerdict,
    decode_json_request,
    parse_record,
    read_precision,
    request_from_json,
)
from analyzers.submit.sbatch import parse_sbatch, slurm_time_s

__all__ = [
    "ASSUMED_LOAD", "NOTHING", "RULES", "SERVING_KINDS", "SOURCES", "UNKNOWN_GPU",
    "UNKNOWN_GPU_MEM_GIB", "UNKNOWN_GPU_W", "Judge", "SubmitInputError", "SubmitRequest",
    "SubmitVerdict", "as_record", "check_request", "decode_json_request", "held_s",
    "parse_manifest", "parse_record", "parse_sbatch", "read_precision", "request_from_json",
    "slurm_time_s",
]
