"""Stand-in samples that carry a Slurm job's GPU-seconds to the store, exact to the second.

For clusters whose GPUs no agent or exporter reads (`usage_from_sacct`). The roll-up
(storage/rollup.py) counts each sample as the interval since the previous sample of its GPU,
and the first sample of a stretch as the median interval of that GPU-day. So each allocated
GPU gets its own stand-in id, and samples sit on a grid anchored at the job's start: the
first at start + step (it counts the median, `step`), then every `step`, and a last one at the
job's end. At least two full steps follow the first, so the median is `step` and the
samples add up to exactly the seconds the job ran. A running job gets the grid points up to
now and one at now; the next collection after it ends adds the rest and the end (the store
keeps each (GPU, second) once, and a sample between two others only splits their interval), so
nothing is counted twice. A job younger than MIN_GRID_S gets none until a later collection.
"""

from __future__ import annotations

from typing import Any

from domain.samples import GpuSample

STEP_S = 60  # grid of a job that ran (or runs) for at least MIN_GRID_S
MIN_GRID_S = 3 * STEP_S


def stand_in_uuid(*, cluster: str, job_id: str, index: int) -> str:
    """The stand-in GPU id of a job's `index`-th GPU, unique per cluster."""
    return f"SLURM-{cluster}-{job_id}-{index}"


def sample_times(*, start: int, end: int | None, now: int, to_now: bool = True) -> list[int]:
    """Sample timestamps (s) of a job that started at `start`, ended at `end` (None: runs).

    `to_now`: a running job's last sample at `now`, off the grid. Only for collections at
    least MIN_GRID_S apart: each such sample splits a grid step, and were most steps split, the
    step would no longer be the median the job's first sample counts.
    """
    if end is None:
        if now - start < MIN_GRID_S:
            return []  # too young to know its grid; the next collection counts it
        stamps = list(range(start + STEP_S, now + 1, STEP_S))
        # Up to now: one more sample splits a grid step in two, and the sum stays exact.
        return stamps if not to_now or stamps[-1] == now else [*stamps, now]
    ran = end - start
    if ran <= 0:
        return []
    # A short job's grid: three equal steps and the remainder (under 3 s) at the end.
    step = STEP_S if ran >= MIN_GRID_S else max(1, ran // 3)
    stamps = list(range(start + step, end + 1, step))
    if not stamps or stamps[-1] != end:
        stamps.append(end)
    return stamps


def job_samples(*, cluster: str, job_id: str, node: str, gpus: int, start: int,
                end: int | None, now: int, record: dict[str, Any],
                to_now: bool = True) -> list[GpuSample]:
    """One sample per grid point per allocated GPU, carrying the record's usage figures.

    Utilization is the record's mean (50 % when not recorded, the middle sample its peak),
    memory its peak, power its estimate; no energy counter, so energy is marked estimated.
    """
    stamps = sample_times(start=start, end=end, now=now, to_now=to_now)
    if not stamps:
        return []
    util_mean = record["gpu_util_mean"] if record["gpu_util_mean"] is not None else 50.0
    util_max = record["gpu_util_max"] if record["gpu_util_max"] is not None else util_mean
    mem_total_mib = record["gpu_mem_total_gib"] * 1024.0
    mem_mib = (record["gpu_mem_used_gib_max"] * 1024.0
               if record["gpu_mem_used_gib_max"] is not None else 0.0)
    peak = len(stamps) // 2
    samples = []
    for index in range(gpus):
        uuid = stand_in_uuid(cluster=cluster, job_id=job_id, index=index)
        for i, ts in enumerate(stamps):
            samples.append(GpuSample(
                gpu_uuid=uuid, node=node or "slurm", ts=float(ts),
                util_pct=float(util_max if i == peak else util_mean), mem_used_mib=mem_mib,
                power_w=float(record["power_w_mean"]), energy_j=None, job=job_id,
                gpu_type=record["gpu_type"], mem_total_mib=mem_total_mib))
    return samples
