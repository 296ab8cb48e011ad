"""Read queries: what the analyzers and the bot read from the store, as plain dataclasses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import Cluster, Gpu, IngestRejection, Job, Node, Sample, Usage, Verdict


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written 2026-W47; ValueError if it is not one."""
    try:
        year_text, week_text = week.upper().split("-W")
        monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError as exc:
        raise ValueError(f"{week!r} is not an ISO week like 2026-W47") from exc
    return monday, monday + timedelta(days=6)


def previous_week(week: str) -> str:
    return iso_week(week_bounds(week)[0] - timedelta(days=7))


@dataclass(slots=True)
class JobWeek:
    """One job's usage within one ISO week, with what the scheduler said of it."""

    job_id: int
    external_id: str
    cluster: str
    team: str
    user: str | None
    name: str
    command: str
    image: str | None
    model: str | None
    task: str | None
    kind: str | None
    precision: str | None
    batch_size: int | None
    recurrence: str | None
    gpu_type: str
    gpus: int
    mem_total_mib: int
    samples: int = 0
    gpu_s: float = 0.0
    energy_j: float = 0.0
    energy_estimated: bool = False
    util_sum: float = 0.0
    util_max: float = 0.0
    mem_max_mib: int = 0
    first_ts: int = 0
    last_ts: int = 0
    energy_j_by_day: dict[date, float] = field(default_factory=dict)

    @property
    def util_mean(self) -> float:
        return self.util_sum / self.samples if self.samples else 0.0

    @property
    def duration_s(self) -> float:
        """Wall time within the week: first to last sample, plus one sampling interval."""
        if not self.samples:
            return 0.0
        interval = self.gpu_s / self.samples if self.samples else 0.0
        return float(self.last_ts - self.first_ts) + interval


_JOB_COLUMNS = (Job.id, Job.external_id, Job.team, Job.user, Job.name, Job.command, Job.image,
                Job.model, Job.task, Job.kind, Job.precision, Job.batch_size, Job.recurrence)


def job_weeks(*, session: Session, week: str, teams: Sequence[str] | None = None) -> list[JobWeek]:
    """Every job with usage in `week`, its roll-ups summed over its GPUs and days."""
    monday, sunday = week_bounds(week)
    where: list[Any] = [Usage.day >= monday, Usage.day <= sunday,
                        Usage.job_id.is_not(None)]  # type: ignore[union-attr]
    if teams is not None:
        where.append(Usage.job_id.in_(select(Job.id).where(Job.team.in_(list(teams)))))  # type: ignore[union-attr, attr-defined]
    # The three sums read only ix_usage_day_covering (see migration 0008_perf).
    totals = session.execute(
        select(Usage.job_id, func.sum(Usage.samples), func.sum(Usage.gpu_s),
               func.sum(Usage.energy_j), func.max(case((Usage.energy_estimated, 1), else_=0)),
               func.sum(Usage.util_sum), func.max(Usage.util_max), func.max(Usage.mem_max_mib),
               func.min(Usage.first_ts), func.max(Usage.last_ts))
        .where(*where).group_by(Usage.job_id)).all()
    if not totals:
        return []
    by_day: dict[int, dict[date, float]] = defaultdict(dict)
    for job_id, day, energy in session.execute(
            select(Usage.job_id, Usage.day, func.sum(Usage.energy_j))
            .where(*where).group_by(Usage.job_id, Usage.day)):
        by_day[job_id][day] = float(energy)
    # GPUs per job and GPU type, and the type most of the job's roll-ups ran on (ties: the
    # first name). Each (job, GPU) is counted first, so the join runs once per GPU, not per
    # roll-up; the outer join still counts a GPU missing from the gpu table.
    per_gpu = (select(Usage.job_id, Usage.gpu_id, func.count().label("rollups"))
               .where(*where).group_by(Usage.job_id, Usage.gpu_id).subquery())
    gpus: dict[int, int] = defaultdict(int)
    types: dict[int, tuple[int, str, int]] = {}
    for job_id, gpu_type, count_gpus, rollups, mem in session.execute(
            select(per_gpu.c.job_id, Gpu.gpu_type, func.count(), func.sum(per_gpu.c.rollups),
                   func.max(Gpu.mem_total_mib))
            .outerjoin(Gpu, Gpu.id == per_gpu.c.gpu_id)  # type: ignore[arg-type]
            .group_by(per_gpu.c.job_id, Gpu.gpu_type)):
        gpus[job_id] += count_gpus
        if gpu_type is None:
            continue
        best = types.get(job_id)
        if best is None or rollups > best[0] or (rollups == best[0] and gpu_type < best[1]):
            types[job_id] = (rollups, gpu_type, mem)
    jobs: dict[int, tuple[Any, ...]] = {}
    ids = sorted(row[0] for row in totals)
    for start in range(0, len(ids), 500):
        for row in session.execute(
                select(*_JOB_COLUMNS, Cluster.name)
                .join(Cluster, Cluster.id == Job.cluster_id)  # type: ignore[arg-type]
                .where(Job.id.in_(ids[start:start + 500]))):  # type: ignore[union-attr]
            jobs[row[0]] = tuple(row)
    result = []
    for (job_id, samples, gpu_s, energy_j, estimated, util_sum, util_max, mem_max, first_ts,
         last_ts) in totals:
        (_, external_id, team, user, name, command, image, model, task, kind, precision,
         batch_size, recurrence, cluster) = jobs[job_id]
        _, gpu_type, mem_total = types[job_id]
        result.append(JobWeek(
            job_id=job_id, external_id=external_id, cluster=cluster, team=team,
            user=user, name=name, command=command, image=image,
            model=model, task=task, kind=kind, precision=precision,
            batch_size=batch_size, recurrence=recurrence, gpu_type=gpu_type,
            gpus=int(gpus[job_id]), mem_total_mib=int(mem_total), samples=int(samples),
            gpu_s=float(gpu_s), energy_j=float(energy_j), energy_estimated=bool(estimated),
            util_sum=float(util_sum), util_max=float(util_max), mem_max_mib=int(mem_max),
            first_ts=int(first_ts), last_ts=int(last_ts),
            energy_j_by_day=dict(sorted(by_day[job_id].items()))))
    result.sort(key=lambda j: j.job_id)
    return result


def weeks_with_data(*, session: Session) -> list[str]:
    """ISO weeks that have roll-ups, oldest first."""
    lo, hi = session.execute(select(func.min(Usage.day), func.max(Usage.day))).one()
    if lo is None:
        return []
    weeks, day = [], lo - timedelta(days=lo.weekday())
    while day <= hi:
        weeks.append(iso_week(day))
        day += timedelta(days=7)
    return weeks


def save_verdicts(*, session: Session, week: str, judge: str,
                  verdicts: Sequence[tuple[int, str, bool, float, list[str]]],
                  now: datetime | None = None) -> None:
    """Store (job id, task, oversized, score, reasons) per job for `week`, replacing old ones."""
    if not verdicts:
        return
    now = now or datetime.now(UTC)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"job_id": j, "week": week, "judge": judge, "task": t, "oversized": o, "score": s,
             "reasons": r, "created_at": now} for j, t, o, s, r in verdicts]
    stmt = insert(Verdict.__table__)  # the table, not the class: one executemany, no ORM bulk
    session.execute(stmt.on_conflict_do_update(
        index_elements=["job_id", "week", "judge"],
        set_={k: stmt.excluded[k] for k in ("task", "oversized", "score", "reasons",
                                            "created_at")},
    ), rows)


def verdicts_for(*, session: Session, week: str, judge: str) -> dict[int, Verdict]:
    rows = session.execute(select(Verdict).where(Verdict.week == week, Verdict.judge == judge))
    return {v.job_id: v for (v,) in rows}


@dataclass(slots=True)
class StoreStatus:
    clusters: int
    nodes: int
    gpus: int
    jobs: int
    raw_samples: int
    rollups: int
    newest_sample: datetime | None
    rejections: list[tuple[str, str, int, str | None]]


def store_status(*, session: Session) -> StoreStatus:
    """Counts of what is stored and of rejected input, for `ai-cost status`."""
    def count(model: type) -> int:
        return int(session.execute(select(func.count()).select_from(model)).scalar() or 0)

    newest = session.execute(select(func.max(Sample.ts))).scalar()
    rejections = [
        (r.source, r.reason, r.count, r.example)
        for (r,) in session.execute(select(IngestRejection).order_by(
            IngestRejection.count.desc()))  # type: ignore[attr-defined]
    ]
    return StoreStatus(
        clusters=count(Cluster), nodes=count(Node), gpus=count(Gpu), jobs=count(Job),
        raw_samples=count(Sample), rollups=count(Usage),
        newest_sample=None if newest is None else datetime.fromtimestamp(newest, UTC),
        rejections=rejections,
    )
