"""Ingest: batches of samples and job descriptions into the store, in one transaction each."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from config.organisation import UNASSIGNED, Organisation
from domain.samples import GpuSample, JobInfo, SampleError, check_sample
from storage.models import (
    Cluster,
    Gpu,
    IngestRejection,
    Job,
    Node,
    RollupDirty,
    Sample,
    Team,
    Usage,
)

_DAY_S = 86400


@dataclass(slots=True)
class Rejection:
    index: int
    reason: str


@dataclass(slots=True)
class IngestResult:
    """What happened to a batch: stored, already there, and rejected with reasons."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def merge(self, other: IngestResult, offset: int = 0) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(Rejection(r.index + offset, r.reason) for r in other.rejected)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def sync_organisation(*, session: Session, organisation: Organisation,
                      now: datetime | None = None) -> None:
    """Create or update the clusters and teams the organisation file describes."""
    insert = _insert(session)
    for c in organisation.clusters:
        values = {"name": c.name, "region": c.region, "pue": c.pue,
                  "energy_price_usd_per_kwh": c.energy_price_usd_per_kwh}
        stmt = insert(Cluster).values(**values)
        session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))
    stored = {name: (kwh, usd) for name, kwh, usd in session.execute(
        select(Team.name, Team.weekly_budget_kwh, Team.weekly_budget_usd))}
    for t in organisation.teams:
        budget = t.weekly_budget
        row: dict[str, Any] = {
            "name": t.name, "slack_channel": t.slack_channel, "timezone": t.timezone,
            "weekly_budget_kwh": budget.kwh if budget else None,
            "weekly_budget_usd": budget.usd if budget else None}
        if stored.get(t.name) != (row["weekly_budget_kwh"], row["weekly_budget_usd"]):
            row["budget_set_at"] = now or datetime.now(UTC)  # the file's budget changed
        stmt = insert(Team).values(**row)
        session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=row))


def cluster_id(*, session: Session, name: str) -> int:
    """Id of the cluster called `name`; it must be in the organisation file."""
    found = session.execute(select(Cluster.id).where(Cluster.name == name)).scalar()
    if found is None:
        raise SampleError(f"unknown cluster {name!r}: add it to the organisation file")
    return int(found)


def upsert_jobs(*, session: Session, cluster: str, jobs: Sequence[JobInfo],
                organisation: Organisation) -> dict[str, int]:
    """Create or update job descriptions; returns external id -> job id.

    A later description fills in what an earlier one lacked, never blanks it out (an agent
    that only knows the job id must not wipe what sacct recorded). A job id that comes back
    with another team or user once it has usage (a recycled Slurm id, a reused pod name) is
    a new incarnation of the job: its past keeps its owner.
    """
    cid = cluster_id(session=session, name=cluster)
    insert = _insert(session)
    current = _current_jobs(session, cid, [j.external_id for j in jobs])
    reborn = _reused(session, current, jobs, organisation)
    rows = []
    for job in jobs:
        team = job.team or organisation.team_of(user=job.user, account=job.account)
        stored = current.get(job.external_id)
        incarnation = stored[1] if stored else 0
        if job.external_id in reborn:
            incarnation += 1
        rows.append({
            "cluster_id": cid, "external_id": job.external_id, "incarnation": incarnation,
            "team": team, "user": job.user,
            "name": job.name, "command": job.command, "image": job.image, "model": job.model,
            "task": job.task, "kind": job.kind, "precision": job.precision,
            "batch_size": job.batch_size, "gpus_requested": job.gpus_requested,
            "recurrence": job.recurrence,
        })
    if rows:
        stmt = insert(Job)
        updated = {}
        for k in rows[0]:
            if k in ("cluster_id", "external_id", "incarnation"):
                continue
            incoming = stmt.excluded[k]
            if k in ("name", "command", "team"):
                incoming = func.nullif(incoming, UNASSIGNED if k == "team" else "")
            updated[k] = func.coalesce(incoming, Job.__table__.c[k])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["cluster_id", "external_id", "incarnation"], set_=updated),
            rows,
        )
    return _job_ids(session, cid, [j.external_id for j in jobs])


def _current_jobs(session: Session, cid: int,
                  external_ids: Sequence[str]) -> dict[str, tuple[int, int, str, str | None]]:
    """Per external id, its newest incarnation: (job id, incarnation, team, user)."""
    out: dict[str, tuple[int, int, str, str | None]] = {}
    wanted = sorted(set(external_ids))
    for start in range(0, len(wanted), 500):
        for ext, jid, incarnation, team, user in session.execute(
                select(Job.external_id, Job.id, Job.incarnation, Job.team, Job.user)
                .where(Job.cluster_id == cid, Job.external_id.in_(wanted[start:start + 500]))
                .order_by(Job.incarnation)):  # type: ignore[arg-type]
            out[ext] = (jid, incarnation, team, user)
    return out


def _reused(session: Session, current: dict[str, tuple[int, int, str, str | None]],
            jobs: Sequence[JobInfo], organisation: Organisation) -> set[str]:
    """External ids whose new description names another owner than their used job row."""
    changed = {}
    for job in jobs:
        stored = current.get(job.external_id)
        if stored is None:
            continue
        _, _, team, user = stored
        new_team = job.team or organisation.team_of(user=job.user, account=job.account)
        other_user = job.user is not None and user is not None and job.user != user
        other_team = UNASSIGNED not in (new_team, team) and new_team != team
        if other_user or other_team:
            changed[stored[0]] = job.external_id
    if not changed:
        return set()
    used = {jid for (jid,) in session.execute(
        select(Usage.job_id).where(Usage.job_id.in_(list(changed))).distinct())}  # type: ignore[union-attr]
    used |= {jid for (jid,) in session.execute(
        select(Sample.job_id).where(Sample.job_id.in_(list(changed))).distinct())}  # type: ignore[union-attr]
    return {changed[jid] for jid in used}


def _job_ids(session: Session, cid: int, external_ids: Sequence[str]) -> dict[str, int]:
    """External id -> id of its newest incarnation."""
    return {ext: row[0] for ext, row in _current_jobs(session, cid, external_ids).items()}


def _resolve_gpus(session: Session, cid: int, samples: Sequence[GpuSample],
                  result: IngestResult, ok: list[bool]) -> dict[str, int]:
    """GPU uuid -> id, registering new GPUs and nodes; samples of unknown GPUs are rejected."""
    uuids = {s.gpu_uuid for s in samples}
    known: dict[str, int] = {}
    for start, chunk in _chunks(sorted(uuids)):
        del start
        for uuid, gid in session.execute(
            select(Gpu.uuid, Gpu.id).where(Gpu.uuid.in_(chunk))  # type: ignore[attr-defined]
        ):
            known[uuid] = gid
    for i, s in enumerate(samples):
        if not ok[i] or s.gpu_uuid in known:
            continue
        if not s.gpu_type or not s.mem_total_mib:
            ok[i] = False
            result.rejected.append(Rejection(i, f"unknown GPU {s.gpu_uuid}: send gpu_type and "
                                                f"mem_total_mib with its first sample"))
            continue
        node = session.execute(
            select(Node.id).where(Node.cluster_id == cid, Node.hostname == s.node)
        ).scalar()
        if node is None:
            row = Node(cluster_id=cid, hostname=s.node)
            session.add(row)
            session.flush()
            node = row.id
        gpu = Gpu(uuid=s.gpu_uuid, node_id=node, gpu_type=s.gpu_type,
                  mem_total_mib=int(s.mem_total_mib))
        session.add(gpu)
        session.flush()
        assert gpu.id is not None
        known[s.gpu_uuid] = gpu.id
    return known


def _chunks(items: list[str], size: int = 500):  # type: ignore[no-untyped-def]
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def ingest_samples(*, session: Session, cluster: str, samples: Sequence[GpuSample], now: float,
                   retention_s: float, max_skew_s: float, validated: bool = False) -> IngestResult:
    """Store a batch of samples; idempotent on (GPU, second), bad samples rejected with reasons.

    Samples of unknown jobs create a job row owned by "unassigned" until its description
    arrives. Pass validated=True only for samples already checked by `check_sample`.
    """
    result = IngestResult()
    cid = cluster_id(session=session, name=cluster)
    ok = [True] * len(samples)
    oldest, newest = now - retention_s, now + max_skew_s
    for i, s in enumerate(samples):
        try:
            if not validated:
                check_sample(s)
            if s.ts < oldest:
                raise SampleError(f"ts {s.ts:.0f} is older than the raw-sample retention window")
            if s.ts > newest:
                raise SampleError(f"ts {s.ts:.0f} is {s.ts - now:.0f} s in the future "
                                  f"(clock skew over {max_skew_s:.0f} s)")
        except SampleError as exc:
            ok[i] = False
            result.rejected.append(Rejection(i, str(exc)))
    gpu_ids = _resolve_gpus(session, cid, samples, result, ok)
    job_keys = sorted({s.job for i, s in enumerate(samples) if ok[i] and s.job is not None})
    job_ids = _job_ids(session, cid, job_keys)
    missing = [k for k in job_keys if k not in job_ids]
    if missing:
        _insert_placeholder_jobs(session, cid, missing)
        job_ids.update(_job_ids(session, cid, missing))

    rows = []
    for i, s in enumerate(samples):
        if not ok[i]:
            continue
        gid = gpu_ids[s.gpu_uuid]
        ts = int(round(s.ts))
        rows.append((
            gid, ts, int(round(s.util_pct)), int(round(s.mem_used_mib)),
            int(round(s.power_w * 10)),
            None if s.energy_j is None else int(s.energy_j),
            None if s.job is None else job_ids[s.job],
        ))
    inserted, dirty = _insert_samples(session, rows)
    result.accepted = inserted
    result.duplicates = len(rows) - inserted
    _mark_dirty(session, dirty)
    result.rejected.sort(key=lambda r: r.index)
    return result


def _insert_placeholder_jobs(session: Session, cid: int, external_ids: Sequence[str]) -> None:
    insert = _insert(session)
    session.execute(
        insert(Job).on_conflict_do_nothing(
            index_elements=["cluster_id", "external_id", "incarnation"]),
        [{"cluster_id": cid, "external_id": e, "team": UNASSIGNED, "name": e, "command": ""}
         for e in external_ids],
    )


def _insert_samples(session: Session, rows: list[tuple]) -> tuple[int, set[tuple[int, int]]]:  # type: ignore[type-arg]
    """Insert sample rows, skipping those already stored.

    Returns how many were new and the (GPU, day) of the new ones: a sample sent again changes
    nothing, so it marks nothing to roll up again.
    """
    if not rows:
        return 0, set()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS sample_in (LIKE sample) "
                        "ON COMMIT DELETE ROWS")
            with cur.copy("COPY sample_in (gpu_id, ts, util_pct, mem_used_mib, power_dw, "
                          "energy_j, job_id) FROM STDIN") as copy:
                buf = io.StringIO()
                for r in rows:
                    buf.write("\t".join("\\N" if v is None else str(v) for v in r))
                    buf.write("\n")
                copy.write(buf.getvalue())
            cur.execute("WITH new AS (INSERT INTO sample SELECT * FROM sample_in "
                        "ON CONFLICT DO NOTHING RETURNING gpu_id, ts) "
                        f"SELECT gpu_id, ts / {_DAY_S}, count(*) FROM new GROUP BY 1, 2")
            groups = cur.fetchall()
            cur.execute("TRUNCATE sample_in")
        return sum(int(n) for _, _, n in groups), {(int(g), int(d)) for g, d, _ in groups}
    by_day: dict[tuple[int, int], list[tuple]] = {}  # type: ignore[type-arg]
    for r in rows:
        by_day.setdefault((r[0], r[1] // _DAY_S), []).append(r)
    driver = conn.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    inserted, new_days = 0, set()
    for key, group in by_day.items():
        before = driver.total_changes  # type: ignore[union-attr]
        cursor.executemany(
            "INSERT OR IGNORE INTO sample (gpu_id, ts, util_pct, mem_used_mib, power_dw, "
            "energy_j, job_id) VALUES (?, ?, ?, ?, ?, ?, ?)", group)
        added = driver.total_changes - before  # type: ignore[union-attr]
        if added:
            inserted += added
            new_days.add(key)
    cursor.close()
    return int(inserted), new_days


def _mark_dirty(session: Session, dirty: set[tuple[int, int]]) -> None:
    if not dirty:
        return
    insert = _insert(session)
    session.execute(
        insert(RollupDirty).on_conflict_do_nothing(index_elements=["gpu_id", "day"]),
        [{"gpu_id": g, "day": date.fromordinal(date(1970, 1, 1).toordinal() + d)}
         for g, d in sorted(dirty)],
    )


def record_rejections(*, session: Session, source: str, reasons: Sequence[str],
                      at: datetime | None = None) -> None:
    """Count rejected input by source and reason, keeping one example of each."""
    at = at or datetime.now(UTC)
    counts: dict[str, tuple[int, str]] = {}
    for reason in reasons:
        key = reason_key(reason)
        n, example = counts.get(key, (0, reason))
        counts[key] = (n + 1, example)
    insert = _insert(session)
    for key, (n, example) in counts.items():
        stmt = insert(IngestRejection).values(source=source, reason=key, count=n, last_at=at,
                                              example=example[:500])
        session.execute(stmt.on_conflict_do_update(
            index_elements=["source", "reason"],
            set_={"count": IngestRejection.count + n, "last_at": at,
                  "example": example[:500]},
        ))


_PARTICULARS = re.compile(r"(GPU|MIG)-[0-9A-Za-z-]+|'[^']*'|[-+]?\d+(\.\d+)?(e[-+]?\d+)?")


def reason_key(reason: str) -> str:
    """The reason without its particulars (ids, numbers), so that counts group."""
    return _PARTICULARS.sub("…", reason)[:200]
