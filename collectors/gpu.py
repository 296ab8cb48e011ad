"""What a GPU reader returns, the `GpuReader` interface, and readings turned into samples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from domain.samples import GpuSample, JobInfo


class GpuReaderError(RuntimeError):
    """The GPUs cannot be read at all (no driver, no library); the message says why."""


@dataclass(slots=True)
class JobRef:
    """The job a GPU process belongs to, as far as the node can tell."""

    job_id: str
    source: str  # "slurm", "kubernetes" or "process"
    user: str | None = None
    account: str | None = None
    name: str = ""
    command: str = ""

    def to_job_info(self) -> JobInfo:
        """The job description sent to the server with the job's first sample."""
        return JobInfo(external_id=self.job_id, name=self.name, user=self.user,
                       account=self.account, command=self.command)


@dataclass(slots=True)
class ProcessReading:
    """One process using a GPU. PIDs are host PIDs. Units: MiB, %."""

    pid: int
    mem_used_mib: float | None = None
    sm_util_pct: float | None = None
    job: JobRef | None = None


@dataclass(slots=True)
class GpuReading:
    """One reading of one GPU. Units: Unix seconds, %, MiB, W, J.

    `energy_j` is the GPU's cumulative energy counter; where the GPU has none (before Volta),
    it is power integrated by the reader and `energy_estimated` is True.
    """

    ts: float
    uuid: str
    name: str
    util_pct: float
    mem_used_mib: float
    mem_total_mib: float
    power_w: float
    energy_j: float | None = None
    energy_estimated: bool = False
    index: int = 0
    processes: list[ProcessReading] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> GpuReading:
        """Inverse of `to_json`; KeyError or TypeError on a malformed object."""
        processes = []
        for p in obj.get("processes") or []:
            job = p.get("job")
            processes.append(ProcessReading(
                pid=int(p["pid"]), mem_used_mib=p.get("mem_used_mib"),
                sm_util_pct=p.get("sm_util_pct"), job=None if job is None else JobRef(**job)))
        fields = {k: obj[k] for k in ("ts", "uuid", "name", "util_pct", "mem_used_mib",
                                      "mem_total_mib", "power_w")}
        return cls(**fields, energy_j=obj.get("energy_j"),
                   energy_estimated=bool(obj.get("energy_estimated", False)),
                   index=int(obj.get("index", 0)), processes=processes)


class GpuReader(Protocol):
    """Reads every GPU of this node; the NVML reader and the replay reader implement it."""

    def read(self) -> list[GpuReading]:
        """One reading per GPU, now."""
        ...

    def close(self) -> None:
        """Release the library or file behind the reader."""
        ...


class PowerIntegrator:
    """Energy in J from power readings, for GPUs without an energy counter (trapezoids)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, float, float]] = {}  # uuid -> ts, power_w, energy_j

    def add(self, uuid: str, ts: float, power_w: float) -> float:
        """Add a power reading of GPU `uuid` at `ts`; returns the energy so far, J."""
        last = self._last.get(uuid)
        energy = 0.0
        if last is not None and ts > last[0]:
            energy = last[2] + 0.5 * (power_w + last[1]) * (ts - last[0])
        elif last is not None:
            energy = last[2]
        self._last[uuid] = (ts, power_w, energy)
        return energy


def owning_process(reading: GpuReading) -> ProcessReading | None:
    """The process a GPU's sample is attributed to: the one holding the most memory.

    A GPU shared by several jobs is attributed whole to the largest one; the sample format
    has one job per GPU and time.
    """
    if not reading.processes:
        return None
    return max(reading.processes,
               key=lambda p: (p.mem_used_mib or 0.0, p.sm_util_pct or 0.0, -p.pid))


def to_sample(reading: GpuReading, *, node: str,
              job_of: Callable[[ProcessReading], JobRef | None]) -> tuple[GpuSample, JobRef | None]:
    """The wire sample of a reading, and the job it is attributed to (None when idle).

    Power-integrated energy is not sent: the server integrates power itself and marks the
    energy as estimated, which a counter value would hide.
    """
    owner = owning_process(reading)
    job = None
    if owner is not None:
        job = owner.job if owner.job is not None else job_of(owner)
    sample = GpuSample(
        gpu_uuid=reading.uuid, node=node, ts=reading.ts, util_pct=reading.util_pct,
        mem_used_mib=reading.mem_used_mib, power_w=reading.power_w,
        energy_j=None if reading.energy_estimated else reading.energy_j,
        job=None if job is None else job.job_id, gpu_type=reading.name,
        mem_total_mib=reading.mem_total_mib,
    )
    return sample, job
