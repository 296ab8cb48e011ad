"""What a submission asks for and what its submitter is told.

The types, and reading a request from a job record or the JSON body of POST /api/v1/check.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzers.records import KINDS, MAX_DURATION_S, MAX_GPUS, PRECISIONS, TASKS
from config.organisation import SUBMIT_RULES

RULES = SUBMIT_RULES
SOURCES = ("slurm", "kubernetes", "cli", "api")


class SubmitInputError(ValueError):
    """A script, manifest or record that cannot be read; the message is the one-line reason."""


@dataclass(frozen=True)
class SubmitRequest:
    """What a submission asks for: the contract's input fields, telemetry absent."""

    job_name: str
    source: str = "api"  # slurm | kubernetes | cli | api
    user: str | None = None
    team: str | None = None  # Slurm account, or the namespace's team
    cluster: str | None = None
    command: str | None = None
    image: str | None = None
    model: str | None = None
    task: str | None = None
    gpus: int = 0
    gpu_type: str | None = None
    precision: str | None = None
    interactive: bool = False  # notebooks, srun --pty, salloc, Jupyter images
    time_limit_s: float | None = None
    kind: str | None = None  # sbatch, Pod, Job, Deployment, InferenceService, record
    replicas: int = 1
    workload: str | None = None  # the contract's kind: training, inference, interactive, batch

    def __post_init__(self) -> None:
        # However it was read (sbatch, manifest, record, JSON): no estimate from absurd counts.
        for key in ("gpus", "replicas"):
            value = getattr(self, key)
            if isinstance(value, int) and value > MAX_GPUS:
                raise SubmitInputError(f"{key} must be at most {MAX_GPUS:,}, got {value:,}")
        limit = self.time_limit_s
        if isinstance(limit, int | float) and limit > MAX_DURATION_S:
            raise SubmitInputError(f"the time limit must be at most ten years, got {limit:g} s")

    def to_json(self) -> dict[str, Any]:
        """The request as a JSON object (the body of POST /api/v1/check)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SubmitVerdict:
    """What to tell the person submitting: the lines, the rules that fired, deny or not."""

    warnings: tuple[str, ...]  # one or two plain-text lines a person reads at submission
    kinds: tuple[str, ...]  # the rule names that fired (RULES)
    deny: bool  # only when the organisation opted into denying a fired rule
    suggestion: dict[str, Any] | None  # the contract's suggestion shape, the best one
    est_saved_usd_week: float
    task: str | None = None
    params_b: float | None = None
    suggestions: tuple[dict[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The answer of POST /api/v1/check and `ai-cost check --json` (without currency)."""
        return {"warnings": list(self.warnings), "deny": self.deny, "kinds": list(self.kinds),
                "suggestion": self.suggestion,
                "est_saved_usd_week": round(self.est_saved_usd_week, 2)}


NOTHING = SubmitVerdict(warnings=(), kinds=(), deny=False, suggestion=None,
                        est_saved_usd_week=0.0)


_PRECISION_WORDS = (
    (re.compile(r"--(?:fp32|float32|full[-_]precision)\b|(?:precision|dtype|torch_dtype)"
                r"[\s=:]+[\"']?(?:fp32|float32|32|32-true|torch\.float32)\b", re.I), "fp32"),
    (re.compile(r"--bf16\b|(?:precision|dtype|torch_dtype)[\s=:]+[\"']?(?:bf16|bfloat16|"
                r"bf16-mixed|torch\.bfloat16)\b", re.I), "bf16"),
    (re.compile(r"--fp16\b|(?:precision|dtype|torch_dtype)[\s=:]+[\"']?(?:fp16|float16|half|"
                r"16-mixed|torch\.float16)\b", re.I), "fp16"),
)
INTERACTIVE = re.compile(r"\b(jupyter(?:lab)?|notebook|ipykernel|code-server|rstudio|"
                          r"marimo)\b", re.I)


def read_precision(text: str) -> str | None:
    """The precision a command or its environment asks for, when it names one."""
    for pattern, precision in _PRECISION_WORDS:
        if pattern.search(text):
            return precision
    return None


def from_fields(fields: Mapping[str, Any]) -> SubmitRequest:
    known = {f.name for f in dataclasses.fields(SubmitRequest)}
    return SubmitRequest(**{k: v for k, v in fields.items() if k in known})


def parse_record(obj: Any, **defaults: Any) -> SubmitRequest:
    """A job record of the contract (contracts/job-records.md) as a request.

    Telemetry fields, when present, are ignored: a request is judged on what it asks for.
    """
    from analyzers.records import RecordError, _number, _text

    if not isinstance(obj, dict):
        raise SubmitInputError("a job record must be a JSON object")
    try:
        name = _text(obj, "name") or obj.get("job_id")
        if name is None or str(name) == "" or isinstance(name, bool):
            raise RecordError("name or job_id is required")
        gpus = obj.get("gpus", 0)
        if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
            raise RecordError(f"gpus must be an integer >= 0, got {gpus!r}")
        kind = _text(obj, "kind", choices=KINDS)
        fields: dict[str, Any] = {"source": "cli", "kind": "record"}
        fields.update({k: v for k, v in defaults.items() if v is not None})
        fields.update({
            "job_name": str(name), "team": _text(obj, "team") or fields.get("team"),
            "user": _text(obj, "user") or fields.get("user"),
            "cluster": _text(obj, "cluster") or fields.get("cluster"),
            "command": _text(obj, "command"), "image": _text(obj, "image"),
            "model": _text(obj, "model"), "task": _text(obj, "task", choices=TASKS),
            "gpus": gpus, "gpu_type": _text(obj, "gpu_type"),
            "precision": _text(obj, "precision", choices=PRECISIONS),
            "interactive": kind == "interactive", "workload": kind,
            "time_limit_s": _number(obj, "duration_s", lo=0, required=False),
        })
    except RecordError as exc:
        raise SubmitInputError(str(exc)) from exc
    return from_fields(fields)


def request_from_json(obj: Any) -> SubmitRequest:
    """A SubmitRequest from a JSON object of its fields (POST /api/v1/check).

    Unknown fields are refused, so a typo is not silently ignored.
    """
    if not isinstance(obj, dict):
        raise SubmitInputError("the body must be a JSON object of the request's fields")
    known = {f.name: f for f in dataclasses.fields(SubmitRequest)}
    unknown = sorted(set(obj) - set(known))
    if unknown:
        raise SubmitInputError(f"unknown field {unknown[0]!r}; fields: {', '.join(known)}")
    name = obj.get("job_name")
    if not isinstance(name, str) or not name.strip():
        raise SubmitInputError("job_name is required and must be a non-empty string")
    for key in ("gpus", "replicas"):
        value = obj.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise SubmitInputError(f"{key} must be an integer >= 0, got {value!r}")
    if obj.get("source", "api") not in SOURCES:
        raise SubmitInputError(f"source must be one of {', '.join(SOURCES)}")
    limit = obj.get("time_limit_s")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float)
                              or limit < 0 or limit != limit):
        raise SubmitInputError(f"time_limit_s must be a number >= 0, got {limit!r}")
    if not isinstance(obj.get("interactive", False), bool):
        raise SubmitInputError("interactive must be true or false")
    for key in ("user", "team", "cluster", "command", "image", "model", "task", "gpu_type",
                "precision", "kind", "workload"):
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise SubmitInputError(f"{key} must be a string or null, got {value!r}")
    for key, choices in (("task", TASKS), ("precision", PRECISIONS), ("workload", KINDS)):
        if obj.get(key) is not None and obj[key] not in choices:
            raise SubmitInputError(f"{key} must be one of {', '.join(choices)} or null")
    fields = {k: v for k, v in obj.items() if v is not None or k not in
              ("source", "gpus", "replicas", "interactive")}
    if fields.get("precision") is None and fields.get("command"):
        fields["precision"] = read_precision(fields["command"])  # as `ai-cost check` reads it
    if not fields.get("interactive") and INTERACTIVE.search(fields.get("command") or ""):
        fields["interactive"] = True  # a notebook in the command, as `ai-cost check` reads it
    return SubmitRequest(**fields)


def decode_json_request(body: bytes) -> SubmitRequest:
    """A request from the raw JSON body of POST /api/v1/check."""
    try:
        obj = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SubmitInputError(f"the body is not valid JSON: {exc}") from exc
    return request_from_json(obj)
