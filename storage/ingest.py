"""Ingest: batches of samples and job descriptions into the store, in one transaction each."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from config.organisation import Organisation
from domain.samples import GpuSample, SampleError, ServedSample, check_sample
from domain.weeks import iso_week
from storage.gpus import insert_for, resolve_gpus
from storage.jobs import cluster_id, placeholder_jobs, upsert_jobs
from storage.ledger_repo import mark_stale
from storage.models import Cluster, IngestRejection, RollupDirty, Team
from storage.served_repo import record_served

__all__ = ["IngestResult", "Rejection", "cluster_id", "ingest_samples", "ingest_served",
           "reason_key",
           "record_rejections", "sync_organisation", "upsert_jobs"]

_DAY_S = 86400


@dataclass(slots=True)
class Rejection:
    index: int
    reason: str


@dataclass(slots=True)
class IngestResult:
    """What happened to a batch: stored, already there, and rejected with reasons.

    `other_cluster` counts the rejected samples of GPUs registered to another cluster;
    `rejected_jobs` are the job descriptions refused, by their index in the batch.
    """

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    other_cluster: int = 0
    rejected_jobs: list[Rejection] = field(default_factory=list)
    served: int = 0  # served counters stored (the rest duplicates or rejected_served)
    rejected_served: list[Rejection] = field(default_factory=list)

    def merge(self, other: IngestResult, offset: int = 0) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.other_cluster += other.other_cluster
        self.rejected.extend(Rejection(r.index + offset, r.reason) for r in other.rejected)
        self.rejected_jobs.extend(other.rejected_jobs)


def sync_organisation(*, session: Session, organisation: Organisation,
                      now: datetime | None = None) -> None:
    """Create or update the clusters and teams the organisation file describes."""
    insert = insert_for(session)
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
    gpu_ids, refused = resolve_gpus(session=session, cluster_id=cid, samples=samples, ok=ok)
    for refusal in refused:
        result.rejected.append(Rejection(refusal.index, refusal.reason))
        result.other_cluster += refusal.other_cluster
    job_keys = sorted({s.job for i, s in enumerate(samples) if ok[i] and s.job is not None})
    job_ids = placeholder_jobs(session=session, cluster_id=cid, external_ids=job_keys)

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


def ingest_served(*, session: Session, cluster: str, samples: Sequence[ServedSample],
                  now: float, retention_s: float, max_skew_s: float) -> IngestResult:
    """Store served counters (already decoded); those outside the time window are rejected.

    Counters of a week already judged mark it stale: the next refresh judges it again.
    """
    result = IngestResult()
    good = []
    for i, s in enumerate(samples):
        if s.ts < now - retention_s or s.ts > now + max_skew_s:
            result.rejected.append(Rejection(i, f"served ts {s.ts:.0f} is outside the window "
                                                f"of retention and clock skew"))
        else:
            good.append(s)
    new, times = record_served(session=session, cluster_id=cluster_id(session=session,
                                                                      name=cluster),
                               samples=good)
    result.accepted, result.duplicates = new, len(good) - new
    mark_stale(session=session, weeks=sorted({iso_week(datetime.fromtimestamp(t, UTC).date())
                                              for t in times}))
    return result


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
            # In key order: concurrent batches then lock the same keys in the same order.
            cur.execute("WITH new AS (INSERT INTO sample SELECT * FROM sample_in "
                        "ORDER BY gpu_id, ts ON CONFLICT DO NOTHING RETURNING gpu_id, ts) "
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
    insert = insert_for(session)
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
    insert = insert_for(session)
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
