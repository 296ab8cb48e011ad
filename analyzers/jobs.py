"""From stored usage to the job record of the contract."""

from __future__ import annotations

from analyzers.accounting import J_PER_KWH
from analyzers.records import JobRecord
from domain.types import RunWeek

MIB_PER_GIB = 1024.0


def to_record(job: RunWeek) -> JobRecord:
    """The contract's job record for a run's share of one week."""
    return JobRecord(
        job_id=job.external_id,
        team=job.team,
        user=job.user,
        name=job.name,
        command=job.command,
        image=job.image,
        model=job.model,
        task=job.task,
        kind=job.kind,
        gpu_type=job.gpu_type,
        gpus=max(1, job.gpus),
        duration_s=job.duration_s,
        gpu_util_mean=min(100.0, job.util_mean),
        gpu_util_max=min(100.0, job.util_max),
        gpu_mem_used_gib_max=job.mem_max_mib / MIB_PER_GIB,
        gpu_mem_total_gib=job.mem_total_mib / MIB_PER_GIB,
        power_w_mean=job.energy_j / job.gpu_s if job.gpu_s else None,
        energy_kwh=job.energy_j / J_PER_KWH,
        precision=job.precision,
        batch_size=job.batch_size,
    )
