"""What collectors send: GPU samples and job descriptions, and their validation.

Everything a collector sends is checked for its type and its characters before it goes near
the store: a bad field rejects its sample or job with a reason, never the batch.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

# Units accepted on the wire, with the factor to the unit stored.
POWER_UNITS = {"W": 1.0, "mW": 1e-3, "kW": 1e3}
MEMORY_UNITS = {"MiB": 1.0, "GiB": 1024.0, "KiB": 1 / 1024, "B": 1 / 1048576, "bytes": 1 / 1048576}
ENERGY_UNITS = {"J": 1.0, "mJ": 1e-3, "kJ": 1e3, "Wh": 3600.0, "kWh": 3.6e6}
MAX_POWER_W = 3000.0  # no single GPU draws more; a larger value is a unit mistake
MAX_MEM_MIB = 1_048_576  # 1 TiB
MAX_NAME_CHARS = 256  # ids and names: GPU uuids, nodes, jobs, users, accounts, images
MAX_TEXT_CHARS = 4096  # free text: a job's command line
MAX_COUNT = 1_000_000  # batch sizes and GPUs requested
# Free text may hold tabs and newlines, never other control characters or lone surrogates
# (which neither PostgreSQL nor UTF-8 can store).
_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class SampleError(ValueError):
    """A sample that cannot be stored; the message is the reason reported to the sender."""


@dataclass(slots=True)
class GpuSample:
    """One reading of one GPU. Units: seconds since the epoch, %, MiB, W, J."""

    gpu_uuid: str
    node: str
    ts: float
    util_pct: float
    mem_used_mib: float
    power_w: float
    energy_j: float | None = None
    job: str | None = None
    gpu_type: str | None = None
    mem_total_mib: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class JobInfo:
    """A job as the scheduler describes it; samples refer to it by `external_id`."""

    external_id: str
    name: str = ""
    user: str | None = None
    team: str | None = None
    account: str | None = None
    command: str = ""
    image: str | None = None
    model: str | None = None
    task: str | None = None
    kind: str | None = None
    precision: str | None = None
    batch_size: int | None = None
    gpus_requested: int | None = None
    recurrence: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def shown(value: Any) -> str:
    """A value as a reason quotes it: short, one line, never a whole container."""
    if isinstance(value, dict | list | tuple):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_name(field: str, value: Any, *, required: bool = False) -> str | None:
    """`value` as an id or name (printable, at most MAX_NAME_CHARS); SampleError if not."""
    if value is None or value == "":
        if required:
            raise SampleError(f"{field} is required")
        return None if value is None else ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # Slurm job ids arrive as numbers too
    if not isinstance(value, str):
        raise SampleError(f"{field} must be a string, got {shown(value)}")
    if len(value) > MAX_NAME_CHARS:
        raise SampleError(f"{field} is {len(value)} characters long; at most {MAX_NAME_CHARS}")
    if not value.isprintable():
        raise SampleError(f"{field} holds a control character or an invalid one (NUL, a "
                          f"line break, a lone surrogate): {shown(value)}")
    return value


def check_text(field: str, value: Any) -> str:
    """`value` as free text (tabs and line breaks allowed); SampleError if not."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SampleError(f"{field} must be a string, got {shown(value)}")
    if len(value) > MAX_TEXT_CHARS:
        raise SampleError(f"{field} is {len(value)} characters long; at most {MAX_TEXT_CHARS}")
    if _BAD_TEXT.search(value):
        raise SampleError(f"{field} holds a control character or an invalid one (NUL, a "
                          f"lone surrogate): {shown(value)}")
    return value


def clean_text(value: Any, limit: int = 500) -> str:
    """Any value as storable one-line text: invalid characters replaced, cut to `limit`."""
    text = value if isinstance(value, str) else shown(value)
    return _BAD_TEXT.sub("?", text[:limit]).replace("\n", " ").replace("\t", " ")


def _count(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise SampleError(f"{field} must be a whole number within 0..{MAX_COUNT}, got "
                          f"{shown(value)}")
    return value


def check_sample(sample: GpuSample) -> None:
    """Raise SampleError saying what is wrong with `sample`, if anything."""
    try:  # the fast path: comparisons are False for NaN, TypeError for non-numbers
        if (
            sample.gpu_uuid and sample.node
            and sample.gpu_uuid.isprintable() and len(sample.gpu_uuid) <= MAX_NAME_CHARS
            and sample.node.isprintable() and len(sample.node) <= MAX_NAME_CHARS
            and (sample.job is None or (sample.job.isprintable()
                                        and len(sample.job) <= MAX_NAME_CHARS))
            and (sample.gpu_type is None or (sample.gpu_type.isprintable()
                                             and len(sample.gpu_type) <= MAX_NAME_CHARS))
            and 0 < sample.ts < 1e11
            and 0 <= sample.util_pct <= 100
            and 0 <= sample.mem_used_mib <= MAX_MEM_MIB
            and 0 <= sample.power_w <= MAX_POWER_W
            and (sample.energy_j is None or 0 <= sample.energy_j < 1e18)
            and (sample.mem_total_mib is None or 0 < sample.mem_total_mib <= MAX_MEM_MIB)
        ):
            return
    except (TypeError, AttributeError):
        pass
    _explain(sample)
    raise SampleError("sample out of range")


def _explain(sample: GpuSample) -> None:
    """Raise the precise reason a sample failed the fast check."""
    check_name("gpu_uuid", sample.gpu_uuid, required=True)
    check_name("node", sample.node, required=True)
    for name in ("job", "gpu_type"):
        value = getattr(sample, name)
        if value is not None and not isinstance(value, str):
            raise SampleError(f"{name} must be a string, got {shown(value)}")
        check_name(name, value)
    for name in ("ts", "util_pct", "mem_used_mib", "power_w"):
        value = getattr(sample, name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SampleError(f"{name} must be a number, got {shown(value)}")
        if not math.isfinite(value):
            raise SampleError(f"{name} is {value}, not a finite number")
    if not 0 < sample.ts < 1e11:
        raise SampleError(f"ts must be Unix seconds, got {sample.ts!r}")
    if not 0 <= sample.util_pct <= 100:
        raise SampleError(f"util_pct must be within 0..100, got {sample.util_pct:g}")
    if not 0 <= sample.mem_used_mib <= MAX_MEM_MIB:
        raise SampleError(f"mem_used_mib must be within 0..{MAX_MEM_MIB}, got "
                          f"{sample.mem_used_mib:g}")
    if not 0 <= sample.power_w <= MAX_POWER_W:
        raise SampleError(f"power_w must be within 0..{MAX_POWER_W:g} W, got {sample.power_w:g}")
    if sample.energy_j is not None and (
        not isinstance(sample.energy_j, int | float)
        or not math.isfinite(sample.energy_j)
        or not 0 <= sample.energy_j < 1e18
    ):
        raise SampleError(f"energy_j must be a finite number >= 0, got {shown(sample.energy_j)}")
    if sample.mem_total_mib is not None and not (
        isinstance(sample.mem_total_mib, int | float) and 0 < sample.mem_total_mib <= MAX_MEM_MIB
    ):
        raise SampleError(f"mem_total_mib must be within 1..{MAX_MEM_MIB}")


def _scaled(obj: dict[str, Any], key: str, unit: Any, table: dict[str, float],
            default_unit: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SampleError(f"{key} must be a number, got {shown(value)}")
    unit = unit or default_unit
    if not isinstance(unit, str) or unit not in table:
        raise SampleError(f"unknown unit {shown(unit)} for {key}; expected one of "
                          f"{', '.join(table)}")
    try:
        return float(value) * table[unit] / table[default_unit]
    except OverflowError as exc:
        raise SampleError(f"{key} is not a finite number: {shown(value)}") from exc


def parse_time(value: Any) -> float:
    """Unix seconds from a number or ISO 8601 text; text without a zone is read as UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError as exc:
            raise SampleError(f"ts must be Unix seconds, got {shown(value)}") from exc
    if isinstance(value, str) and len(value) <= 64:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        except (ValueError, OverflowError) as exc:
            raise SampleError(f"ts {shown(value)} is neither Unix seconds nor ISO 8601") from exc
    raise SampleError(f"ts is required (Unix seconds or ISO 8601), got {shown(value)}")


def sample_from_json(obj: Any) -> GpuSample:
    """Decode one sample of the wire format (see README), converting declared units."""
    if not isinstance(obj, dict):
        raise SampleError("a sample must be a JSON object")
    units = obj.get("units") or {}
    if not isinstance(units, dict):
        raise SampleError("units must be an object like {\"power\": \"mW\"}")
    for key in units:
        if key not in ("power", "mem", "energy"):
            raise SampleError(f"unknown unit field {shown(key)}; expected power, mem or energy")
    for key in ("util_pct", "mem_used_mib", "power_w"):
        if obj.get(key) is None:
            raise SampleError(f"{key} is required")
    sample = GpuSample(
        gpu_uuid=check_name("gpu_uuid", obj.get("gpu_uuid"), required=True),  # type: ignore[arg-type]
        node=check_name("node", obj.get("node"), required=True),  # type: ignore[arg-type]
        ts=parse_time(obj.get("ts")),
        util_pct=_scaled(obj, "util_pct", None, {"%": 1.0}, "%"),  # type: ignore[arg-type]
        mem_used_mib=_scaled(obj, "mem_used_mib", units.get("mem"), MEMORY_UNITS, "MiB"),  # type: ignore[arg-type]
        power_w=_scaled(obj, "power_w", units.get("power"), POWER_UNITS, "W"),  # type: ignore[arg-type]
        energy_j=_scaled(obj, "energy_j", units.get("energy"), ENERGY_UNITS, "J"),
        job=check_name("job", obj.get("job")) or None,
        gpu_type=check_name("gpu_type", obj.get("gpu_type")) or None,
        mem_total_mib=_scaled(obj, "mem_total_mib", units.get("mem"), MEMORY_UNITS, "MiB"),
    )
    check_sample(sample)
    return sample


_JOB_NAMES = ("user", "team", "account", "image", "model", "task", "kind", "precision",
              "recurrence")


def check_job(job: JobInfo) -> JobInfo:
    """`job` with every field checked for its type and characters; SampleError names the bad one."""
    return JobInfo(
        external_id=check_name("job external_id", job.external_id, required=True) or "",
        name=check_name("job name", job.name) or "",
        command=check_text("job command", job.command),
        batch_size=_count("batch_size", job.batch_size),
        gpus_requested=_count("gpus_requested", job.gpus_requested),
        **{k: check_name(k, getattr(job, k)) or None for k in _JOB_NAMES},
    )


def job_from_json(obj: Any) -> JobInfo:
    """Decode one job description of the wire format; SampleError names the bad field."""
    if not isinstance(obj, dict):
        raise SampleError("a job must be a JSON object")
    fields = {k: obj[k] for k in JobInfo.__dataclass_fields__ if k in obj}
    fields["external_id"] = obj.get("external_id", obj.get("job_id"))
    return check_job(JobInfo(**fields))


# Inference servers whose counters collectors/served.py reads; "custom" for counters named in
# the organisation file.
SERVERS = ("vllm", "tgi", "triton", "custom")
MAX_COUNTER = 1e15  # no server counts this many requests or tokens; a larger value is garbage


@dataclass(slots=True)
class ServedSample:
    """Cumulative request and token counters of one inference server instance at one time.

    Units: seconds since the epoch, requests, tokens. The counters are the server's own
    (they restart from 0 when the server does); the judge turns them into increments. Joined
    to runs by `job` (the GPU samples' job id), else pod and namespace, else node and GPU.
    """

    service: str
    server: str
    ts: float
    requests: float
    generated_tokens: float | None = None
    prompt_tokens: float | None = None
    model: str | None = None
    job: str | None = None
    namespace: str | None = None
    pod: str | None = None
    node: str | None = None
    gpu: str | None = None
    task: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def instance(self) -> str:
        """Which server process the counters belong to: one counter series per instance."""
        where = (f"{self.namespace}/{self.pod}" if self.pod
                 else f"{self.node}/{self.gpu or ''}" if self.node else f"job:{self.job}")
        return f"{where}|{self.model or ''}"


def _counter(field: str, value: Any, *, required: bool = False) -> float | None:
    if value is None:
        if required:
            raise SampleError(f"{field} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SampleError(f"{field} must be a number, got {shown(value)}")
    number = float(value)
    if not (math.isfinite(number) and 0 <= number < MAX_COUNTER):
        raise SampleError(f"{field} must be a counter value within 0..{MAX_COUNTER:g}, got "
                          f"{shown(value)}")
    return number


def served_from_json(obj: Any) -> ServedSample:
    """Decode one served-counter sample of the wire format; SampleError names the bad field."""
    if not isinstance(obj, dict):
        raise SampleError("a served sample must be a JSON object")
    server = obj.get("server")
    if server not in SERVERS:
        raise SampleError(f"server must be one of {', '.join(SERVERS)}, got {shown(server)}")
    ts = parse_time(obj.get("ts"))
    if not 0 < ts < 1e11:
        raise SampleError(f"ts must be Unix seconds, got {shown(obj.get('ts'))}")
    names = {k: check_name(k, obj.get(k)) or None
             for k in ("model", "job", "namespace", "pod", "node", "gpu", "task")}
    if not (names["job"] or names["pod"] or names["node"]):
        raise SampleError("a served sample needs job, pod (with namespace) or node: without "
                          "them it cannot be joined to the GPUs that served it")
    if names["pod"] and not names["namespace"]:
        raise SampleError("pod without namespace: send the pod's namespace too")
    return ServedSample(
        service=check_name("service", obj.get("service"), required=True) or "",
        server=str(server), ts=ts,
        requests=_counter("requests", obj.get("requests"), required=True) or 0.0,
        generated_tokens=_counter("generated_tokens", obj.get("generated_tokens")),
        prompt_tokens=_counter("prompt_tokens", obj.get("prompt_tokens")),
        **names,
    )
