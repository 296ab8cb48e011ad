"""What collectors send: GPU samples and job descriptions, and their validation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

# Units accepted on the wire, with the factor to the unit stored.
POWER_UNITS = {"W": 1.0, "mW": 1e-3, "kW": 1e3}
MEMORY_UNITS = {"MiB": 1.0, "GiB": 1024.0, "KiB": 1 / 1024, "B": 1 / 1048576, "bytes": 1 / 1048576}
ENERGY_UNITS = {"J": 1.0, "mJ": 1e-3, "kJ": 1e3, "Wh": 3600.0, "kWh": 3.6e6}
MAX_POWER_W = 3000.0  # no single GPU draws more; a larger value is a unit mistake
MAX_MEM_MIB = 1_048_576  # 1 TiB


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


def check_sample(sample: GpuSample) -> None:
    """Raise SampleError saying what is wrong with `sample`, if anything."""
    try:  # the fast path: comparisons are False for NaN, TypeError for non-numbers
        if (
            sample.gpu_uuid and sample.node
            and 0 < sample.ts < 1e11
            and 0 <= sample.util_pct <= 100
            and 0 <= sample.mem_used_mib <= MAX_MEM_MIB
            and 0 <= sample.power_w <= MAX_POWER_W
            and (sample.energy_j is None or 0 <= sample.energy_j < 1e18)
            and (sample.mem_total_mib is None or 0 < sample.mem_total_mib <= MAX_MEM_MIB)
        ):
            return
    except TypeError:
        pass
    _explain(sample)
    raise SampleError("sample out of range")


def _explain(sample: GpuSample) -> None:
    """Raise the precise reason a sample failed the fast check."""
    if not sample.gpu_uuid:
        raise SampleError("gpu_uuid is required")
    if not sample.node:
        raise SampleError("node is required")
    for name in ("ts", "util_pct", "mem_used_mib", "power_w"):
        value = getattr(sample, name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SampleError(f"{name} must be a number, got {value!r}")
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
        raise SampleError(f"energy_j must be a finite number >= 0, got {sample.energy_j!r}")
    if sample.mem_total_mib is not None and not (
        isinstance(sample.mem_total_mib, int | float) and 0 < sample.mem_total_mib <= MAX_MEM_MIB
    ):
        raise SampleError(f"mem_total_mib must be within 1..{MAX_MEM_MIB}")


def _scaled(obj: dict[str, Any], key: str, unit: str | None, table: dict[str, float],
            default_unit: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SampleError(f"{key} must be a number, got {value!r}")
    unit = unit or default_unit
    if unit not in table:
        raise SampleError(f"unknown unit {unit!r} for {key}; expected one of {', '.join(table)}")
    return float(value) * table[unit] / table[default_unit]


def _timestamp(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError as exc:
            raise SampleError(f"ts {value!r} is neither Unix seconds nor ISO 8601") from exc
    raise SampleError(f"ts is required (Unix seconds or ISO 8601), got {value!r}")


def sample_from_json(obj: Any) -> GpuSample:
    """Decode one sample of the wire format (see README), converting declared units."""
    if not isinstance(obj, dict):
        raise SampleError("a sample must be a JSON object")
    units = obj.get("units") or {}
    if not isinstance(units, dict):
        raise SampleError("units must be an object like {\"power\": \"mW\"}")
    for key in units:
        if key not in ("power", "mem", "energy"):
            raise SampleError(f"unknown unit field {key!r}; expected power, mem or energy")
    for key in ("gpu_uuid", "node"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise SampleError(f"{key} is required and must be a string")
    for key in ("util_pct", "mem_used_mib", "power_w"):
        if obj.get(key) is None:
            raise SampleError(f"{key} is required")
    job = obj.get("job")
    sample = GpuSample(
        gpu_uuid=obj["gpu_uuid"],
        node=obj["node"],
        ts=_timestamp(obj.get("ts")),
        util_pct=_scaled(obj, "util_pct", None, {"%": 1.0}, "%"),  # type: ignore[arg-type]
        mem_used_mib=_scaled(obj, "mem_used_mib", units.get("mem"), MEMORY_UNITS, "MiB"),  # type: ignore[arg-type]
        power_w=_scaled(obj, "power_w", units.get("power"), POWER_UNITS, "W"),  # type: ignore[arg-type]
        energy_j=_scaled(obj, "energy_j", units.get("energy"), ENERGY_UNITS, "J"),
        job=None if job is None else str(job),
        gpu_type=obj.get("gpu_type"),
        mem_total_mib=_scaled(obj, "mem_total_mib", units.get("mem"), MEMORY_UNITS, "MiB"),
    )
    check_sample(sample)
    return sample


def job_from_json(obj: Any) -> JobInfo:
    """Decode one job description of the wire format."""
    if not isinstance(obj, dict):
        raise SampleError("a job must be a JSON object")
    external_id = obj.get("external_id", obj.get("job_id"))
    if external_id is None or str(external_id) == "":
        raise SampleError("job external_id is required")
    fields = {k: obj[k] for k in JobInfo.__dataclass_fields__ if k in obj}
    fields["external_id"] = str(external_id)
    try:
        return JobInfo(**fields)
    except TypeError as exc:
        raise SampleError(f"bad job description: {exc}") from exc
