"""Read queries: verdicts stored, and what is stored for `ai-cost status`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import Cluster, Gpu, IngestRejection, Job, Node, Sample, Usage, Verdict


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
