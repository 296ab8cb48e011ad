"""Runs: each job's continuous stretches on a fixed set of GPUs, read from the roll-ups.

A run is built from a job's roll-up stretches (one GPU, one day, no gap over the limit):
a stretch continues a run when its GPU is in the run and it starts within the gap limit of
that GPU's last sample, or when it is a GPU joining while the run is going on. Anything else
(a longer gap, other GPUs after the first ones stopped) starts a new run, so a reused pod
name or Slurm id never adds to an old run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from domain.types import FleetUsage, RunWeek, UsagePart
from domain.weeks import week_bounds
from domain.workloads import workload_key
from storage.models import Cluster, Gpu, Job, Node, Usage

_JOB_COLUMNS = (Job.id, Job.external_id, Job.team, Job.user, Job.name, Job.command, Job.image,
                Job.model, Job.task, Job.kind, Job.precision, Job.batch_size, Job.recurrence)


@dataclass(slots=True)
class _Stretch:
    gpu_id: int
    gpu_type: str
    mem_total_mib: int
    day: Any
    samples: int
    gpu_s: float
    energy_j: float
    estimated: bool
    util_sum: float
    util_max: float
    mem_max_mib: int
    first_ts: int
    last_ts: int


@dataclass(slots=True)
class _Run:
    stretches: list[_Stretch] = field(default_factory=list)
    last_by_gpu: dict[int, int] = field(default_factory=dict)
    start: int = 0
    end: int = 0

    def add(self, s: _Stretch) -> None:
        if not self.stretches:
            self.start = s.first_ts
        self.stretches.append(s)
        self.last_by_gpu[s.gpu_id] = max(self.last_by_gpu.get(s.gpu_id, 0), s.last_ts)
        self.end = max(self.end, s.last_ts)


def _split(stretches: list[_Stretch], gap_s: float) -> list[_Run]:
    runs: list[_Run] = []
    for s in sorted(stretches, key=lambda x: (x.first_ts, x.gpu_id)):
        home = None
        for run in runs:
            last = run.last_by_gpu.get(s.gpu_id)
            if last is not None and s.first_ts - last <= gap_s:
                home = run
                break
            if last is None and run.start - gap_s <= s.first_ts <= run.end:
                home = run
                break
        if home is None:
            home = _Run()
            runs.append(home)
        home.add(s)
    return runs


def _run_week(job: tuple[Any, ...], cluster: str, run: _Run) -> RunWeek:
    (job_id, external_id, team, user, name, command, image, model, task, kind, precision,
     batch_size, recurrence) = job
    parts: dict[tuple[Any, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    by_type: dict[str, float] = defaultdict(float)
    for s in run.stretches:
        part = parts[(s.day, s.gpu_type)]
        part[0] += s.gpu_s
        part[1] += s.energy_j
        by_type[s.gpu_type] += s.gpu_s
    gpu_type = max(sorted(by_type), key=lambda t: by_type[t])
    st = run.stretches
    return RunWeek(
        job_id=job_id, external_id=external_id, cluster=cluster, team=team, user=user,
        name=name, command=command, image=image, model=model, task=task, kind=kind,
        precision=precision, batch_size=batch_size, recurrence=recurrence, gpu_type=gpu_type,
        gpus=len(run.last_by_gpu), mem_total_mib=max(s.mem_total_mib for s in st),
        samples=sum(s.samples for s in st), gpu_s=sum(s.gpu_s for s in st),
        energy_j=sum(s.energy_j for s in st), energy_estimated=any(s.estimated for s in st),
        util_sum=sum(s.util_sum for s in st), util_max=max(s.util_max for s in st),
        mem_max_mib=max(s.mem_max_mib for s in st), first_ts=run.start, last_ts=run.end,
        parts=tuple(UsagePart(day=d, gpu_type=t, gpu_s=v[0], energy_j=v[1])
                    for (d, t), v in sorted(parts.items())),
        run_key=f"{job_id}:{run.start}", workload=workload_key(cluster, team, name))


def run_weeks(*, session: Session, week: str, gap_s: float) -> list[RunWeek]:
    """Every run's share of `week`, ordered by job and start."""
    monday, sunday = week_bounds(week)
    rows = session.connection().execute(  # Core, not the ORM: a week is many roll-ups
        select(Usage.job_id, Usage.gpu_id, Gpu.gpu_type, Gpu.mem_total_mib, Usage.day,
               Usage.samples, Usage.gpu_s, Usage.energy_j, Usage.energy_estimated,
               Usage.util_sum, Usage.util_max, Usage.mem_max_mib, Usage.first_ts,
               Usage.last_ts)
        .join(Gpu, col(Gpu.id) == Usage.gpu_id)
        .where(col(Usage.day) >= monday, col(Usage.day) <= sunday,
               col(Usage.job_id).is_not(None))).all()
    by_job: dict[int, list[_Stretch]] = defaultdict(list)
    for job_id, *rest in rows:
        by_job[job_id].append(_Stretch(*rest))
    if not by_job:
        return []
    jobs: dict[int, tuple[tuple[Any, ...], str]] = {}
    ids = sorted(by_job)
    for start in range(0, len(ids), 500):
        for row in session.execute(
                select(*_JOB_COLUMNS, Cluster.name)
                .join(Cluster, col(Cluster.id) == Job.cluster_id)
                .where(col(Job.id).in_(ids[start:start + 500]))):
            jobs[row[0]] = (tuple(row[:-1]), row[-1])
    result = []
    for job_id in ids:
        job, cluster = jobs[job_id]
        result += [_run_week(job, cluster, run) for run in _split(by_job[job_id], gap_s)]
    return result


def fleet_usage(*, session: Session, week: str) -> list[FleetUsage]:
    """GPU-seconds per cluster and GPU type in `week`, and the part no job held."""
    monday, sunday = week_bounds(week)
    unheld = col(Usage.job_id).is_(None)
    rows = session.execute(
        select(Cluster.name, Gpu.gpu_type, func.sum(Usage.gpu_s),
               func.sum(case((unheld, Usage.gpu_s), else_=0.0)),
               func.sum(case((unheld, Usage.energy_j), else_=0.0)))
        .join(Gpu, col(Gpu.id) == Usage.gpu_id).join(Node, col(Node.id) == Gpu.node_id)
        .join(Cluster, col(Cluster.id) == Node.cluster_id)
        .where(col(Usage.day) >= monday, col(Usage.day) <= sunday)
        .group_by(Cluster.name, Gpu.gpu_type)).all()
    return [FleetUsage(c, t, float(a or 0), float(u or 0), float(e or 0))
            for c, t, a, u, e in rows]


def last_sample_by_cluster(*, session: Session) -> dict[str, int]:
    """Per cluster, the newest sample time rolled up (Unix seconds)."""
    rows = session.execute(
        select(Cluster.name, func.max(Usage.last_ts))
        .join(Node, col(Node.cluster_id) == Cluster.id).join(Gpu, col(Gpu.node_id) == Node.id)
        .join(Usage, col(Usage.gpu_id) == Gpu.id).group_by(Cluster.name)).all()
    return {name: int(ts) for name, ts in rows if ts is not None}
