"""`job_weeks` with the sums done by the database: three GROUP BYs instead of one row per roll-up.

Gives the same JobWeek list as storage.queries.job_weeks (tests/storage/test_job_weeks_sql.py)
and is proposed as its replacement: at 1,000,000 roll-ups a week, moving every roll-up row into
Python is what makes the digest slow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from storage.models import Cluster, Gpu, Job, Usage
from storage.queries import JobWeek, week_bounds


def job_weeks(*, session: Session, week: str, teams: Sequence[str] | None = None) -> list[JobWeek]:
    """Every job with usage in `week`, its roll-ups summed over its GPUs and days."""
    monday, sunday = week_bounds(week)
    where: list[Any] = [Usage.day >= monday, Usage.day <= sunday,
                        Usage.job_id.is_not(None)]  # type: ignore[union-attr]
    if teams is not None:
        where.append(Usage.job_id.in_(select(Job.id).where(Job.team.in_(list(teams)))))  # type: ignore[union-attr, attr-defined]
    totals = session.execute(
        select(Usage.job_id, func.sum(Usage.samples), func.sum(Usage.gpu_s),
               func.sum(Usage.energy_j), func.max(case((Usage.energy_estimated, 1), else_=0)),
               func.sum(Usage.util_sum), func.max(Usage.util_max), func.max(Usage.mem_max_mib),
               func.min(Usage.first_ts), func.max(Usage.last_ts),
               func.count(func.distinct(Usage.gpu_id)))
        .where(*where).group_by(Usage.job_id)).all()
    if not totals:
        return []
    by_day: dict[int, dict[date, float]] = defaultdict(dict)
    for job_id, day, energy in session.execute(
            select(Usage.job_id, Usage.day, func.sum(Usage.energy_j))
            .where(*where).group_by(Usage.job_id, Usage.day)):
        by_day[job_id][day] = float(energy)
    # The job's GPU type: the one most of its roll-ups ran on (ties: the first name).
    types: dict[int, tuple[int, str, int]] = {}
    for job_id, gpu_type, count, mem in session.execute(
            select(Usage.job_id, Gpu.gpu_type, func.count(), func.max(Gpu.mem_total_mib))
            .join(Gpu, Gpu.id == Usage.gpu_id)  # type: ignore[arg-type]
            .where(*where).group_by(Usage.job_id, Gpu.gpu_type)):
        best = types.get(job_id)
        if best is None or count > best[0] or (count == best[0] and gpu_type < best[1]):
            types[job_id] = (count, gpu_type, mem)
    jobs: dict[int, tuple[Job, str]] = {}
    ids = sorted(row[0] for row in totals)
    for start in range(0, len(ids), 500):
        for job, cluster in session.execute(
                select(Job, Cluster.name).join(Cluster, Cluster.id == Job.cluster_id)  # type: ignore[arg-type]
                .where(Job.id.in_(ids[start:start + 500]))):  # type: ignore[union-attr]
            jobs[job.id] = (job, cluster)
    result = []
    for (job_id, samples, gpu_s, energy_j, estimated, util_sum, util_max, mem_max, first_ts,
         last_ts, gpus) in totals:
        job, cluster = jobs[job_id]
        _, gpu_type, mem_total = types[job_id]
        result.append(JobWeek(
            job_id=job_id, external_id=job.external_id, cluster=cluster, team=job.team,
            user=job.user, name=job.name, command=job.command, image=job.image,
            model=job.model, task=job.task, kind=job.kind, precision=job.precision,
            batch_size=job.batch_size, recurrence=job.recurrence, gpu_type=gpu_type,
            gpus=int(gpus), mem_total_mib=int(mem_total), samples=int(samples),
            gpu_s=float(gpu_s), energy_j=float(energy_j), energy_estimated=bool(estimated),
            util_sum=float(util_sum), util_max=float(util_max), mem_max_mib=int(mem_max),
            first_ts=int(first_ts), last_ts=int(last_ts),
            energy_j_by_day=dict(sorted(by_day[job_id].items()))))
    result.sort(key=lambda j: j.job_id)
    return result
