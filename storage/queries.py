"""Read queries: what the analyzers and the bot read from the store, as plain dataclasses."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
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


def job_weeks(*, session: Session, week: str, teams: Sequence[str] | None = None) -> list[JobWeek]:
    """Every job with usage in `week`, its roll-ups summed over its GPUs and days."""
    monday, sunday = week_bounds(week)
    stmt = (
        select(Usage.job_id, Usage.gpu_id, Usage.day, Usage.samples, Usage.gpu_s, Usage.energy_j,
               Usage.energy_estimated, Usage.util_sum, Usage.util_max, Usage.mem_max_mib,
               Usage.first_ts, Usage.last_ts, Gpu.gpu_type, Gpu.mem_total_mib)
        .join(Gpu, Gpu.id == Usage.gpu_id)  # type: ignore[arg-type]
        .where(Usage.day >= monday, Usage.day <= sunday,  # type: ignore[arg-type]
               Usage.job_id.is_not(None))  # type: ignore[union-attr]
    )
    if teams is not None:
        stmt = stmt.join(Job, Job.id == Usage.job_id).where(Job.team.in_(teams))  # type: ignore[arg-type, attr-defined]
    per_job: dict[int, list] = defaultdict(list)  # type: ignore[type-arg]
    for row in session.execute(stmt):
        per_job[row.job_id].append(row)
    if not per_job:
        return []
    jobs = {}
    ids = sorted(per_job)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for job, cluster in session.execute(
            select(Job, Cluster.name).join(Cluster, Cluster.id == Job.cluster_id)  # type: ignore[arg-type]
            .where(Job.id.in_(chunk))  # type: ignore[union-attr]
        ):
            jobs[job.id] = (job, cluster)
    result = []
    for job_id, rows in per_job.items():
        job, cluster = jobs[job_id]
        types = Counter(r.gpu_type for r in rows)
        gpu_type = types.most_common(1)[0][0]
        jw = JobWeek(
            job_id=job_id, external_id=job.external_id, cluster=cluster, team=job.team,
            user=job.user, name=job.name, command=job.command, image=job.image,
            model=job.model, task=job.task, kind=job.kind, precision=job.precision,
            batch_size=job.batch_size, recurrence=job.recurrence, gpu_type=gpu_type,
            gpus=len({r.gpu_id for r in rows}),
            mem_total_mib=max(r.mem_total_mib for r in rows if r.gpu_type == gpu_type),
            first_ts=min(r.first_ts for r in rows), last_ts=max(r.last_ts for r in rows),
        )
        for r in rows:
            jw.samples += r.samples
            jw.gpu_s += r.gpu_s
            jw.energy_j += r.energy_j
            jw.energy_estimated |= bool(r.energy_estimated)
            jw.util_sum += r.util_sum
            jw.util_max = max(jw.util_max, r.util_max)
            jw.mem_max_mib = max(jw.mem_max_mib, r.mem_max_mib)
            jw.energy_j_by_day[r.day] = jw.energy_j_by_day.get(r.day, 0.0) + r.energy_j
        # Per-GPU means: the job's GPUs each contribute their own samples.
        result.append(jw)
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
    stmt = insert(Verdict)
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
