"""What the digests and budget alerts keep: exactly-once claims, team ratings, swap activity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col

from domain.weeks import week_bounds
from storage.models import (
    ApprovalEvent,
    BudgetAlert,
    DigestSent,
    Job,
    LedgerTeam,
    Suggestion,
)

# A claim still "posting" after this long belongs to a process that died mid-post.
STALE_CLAIM = timedelta(minutes=15)
ORGANISATION = "(organisation)"  # the team key of the organisation-wide digest


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of trying to claim a digest or an alert for posting."""

    claimed: bool
    status: str
    attempts: int
    message_ts: str | None = None
    reposts: int = 0


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _claim(session: Session, model: type[SQLModel], key: dict[str, Any],
           values: dict[str, Any], *, now: datetime, force: bool) -> Claim:
    """Insert the row as "posting", or compare-and-set an existing one; one statement each.

    A row is claimable when it failed, is pending, or its claim went stale; a posted row only
    with `force`. Two processes racing for the same key: exactly one gets `claimed=True`.
    """
    table = model.__table__  # type: ignore[attr-defined]
    inserted = session.execute(
        _insert(session)(table).values(**key, **values, status="posting", attempts=1,
                                       created_at=now, claimed_at=now)
        .on_conflict_do_nothing(index_elements=list(key)).returning(table.c.id))
    if inserted.first() is not None:
        return Claim(claimed=True, status="posting", attempts=1)
    where = [table.c[k] == v for k, v in key.items()]
    claimable = [table.c.status.in_(("pending", "failed")),
                 (table.c.status == "posting") & (table.c.claimed_at < now - STALE_CLAIM)]
    if force:
        claimable.append(table.c.status == "posted")
    changes: dict[str, Any] = {"status": "posting", "attempts": table.c.attempts + 1,
                               "claimed_at": now, "error": None, **values}
    if force and "reposts" in table.c:
        changes["reposts"] = case((table.c.status == "posted", table.c.reposts + 1),
                                  else_=table.c.reposts)
    updated = session.execute(update(table).where(*where, or_(*claimable)).values(**changes))
    row = session.execute(select(table).where(*where)).one()
    return Claim(claimed=updated.rowcount == 1, status=row.status, attempts=row.attempts,
                 message_ts=row.message_ts, reposts=getattr(row, "reposts", 0))


def claim_digest(*, session: Session, team: str, week: str, channel: str | None,
                 now: datetime, force: bool = False) -> Claim:
    """Claim the (team, week) digest for posting; the caller commits before posting."""
    return _claim(session, DigestSent, {"team": team, "week": week}, {"channel": channel},
                  now=now, force=force)


def _finish(session: Session, model: type[SQLModel], key: dict[str, Any],
            values: dict[str, Any]) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(*[table.c[k] == v for k, v in key.items()])
                    .values(**values))


def digest_posted(*, session: Session, team: str, week: str, channel: str, message_ts: str,
                  file_id: str | None, now: datetime) -> None:
    _finish(session, DigestSent, {"team": team, "week": week},
            {"status": "posted", "channel": channel, "message_ts": message_ts,
             "file_id": file_id, "posted_at": now, "error": None})


def digest_failed(*, session: Session, team: str, week: str, error: str) -> None:
    _finish(session, DigestSent, {"team": team, "week": week},
            {"status": "failed", "error": error[:2000]})


def digest_row(*, session: Session, team: str, week: str) -> DigestSent | None:
    return session.execute(select(DigestSent).where(
        col(DigestSent.team) == team, col(DigestSent.week) == week)).scalar_one_or_none()


def retryable_digests(*, session: Session, now: datetime, max_attempts: int,
                      backoff: timedelta) -> list[tuple[str, str]]:
    """(team, week) of failed digests whose backoff (doubling per attempt) has passed."""
    rows = session.execute(select(DigestSent).where(
        or_(col(DigestSent.status) == "failed",
            (col(DigestSent.status) == "posting")
            & (col(DigestSent.claimed_at) < now - STALE_CLAIM)),
        col(DigestSent.attempts) < max_attempts)).scalars()
    due = []
    for row in rows:
        wait = backoff * (2 ** max(0, row.attempts - 1))
        if row.claimed_at is None or _aware(row.claimed_at) + wait <= now:
            due.append((row.team, row.week))
    return sorted(due)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def claim_budget_alert(*, session: Session, team: str, period: str, metric: str,
                       threshold_pct: int, spent: float, budget: float, channel: str | None,
                       now: datetime) -> Claim:
    """Claim the alert for one threshold of one team's budget in one period."""
    return _claim(session, BudgetAlert,
                  {"team": team, "period": period, "metric": metric,
                   "threshold_pct": threshold_pct},
                  {"spent": spent, "budget": budget, "channel": channel}, now=now, force=False)


def budget_alert_done(*, session: Session, team: str, period: str, metric: str,
                      threshold_pct: int, message_ts: str | None, error: str | None,
                      now: datetime) -> None:
    """Mark a claimed alert posted (with its ts) or failed (with the error)."""
    key = {"team": team, "period": period, "metric": metric, "threshold_pct": threshold_pct}
    if error is None:
        _finish(session, BudgetAlert, key, {"status": "posted", "message_ts": message_ts,
                                            "posted_at": now, "error": None})
    else:
        _finish(session, BudgetAlert, key, {"status": "failed", "error": error[:2000]})


def budget_alerts(*, session: Session, team: str | None = None) -> list[BudgetAlert]:
    stmt = select(BudgetAlert).order_by(col(BudgetAlert.id))
    if team is not None:
        stmt = stmt.where(col(BudgetAlert.team) == team)
    return list(session.execute(stmt).scalars())


def label_history(*, session: Session, teams: Sequence[str],
                  weeks: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """Judged labels per team and week, from the ledger (weeks not judged are absent)."""
    out: dict[str, dict[str, str | None]] = {t: {} for t in teams}
    rows = session.execute(select(LedgerTeam.team, LedgerTeam.week, LedgerTeam.label).where(
        col(LedgerTeam.team).in_(list(teams)), col(LedgerTeam.week).in_(list(weeks))))
    for team, week, label in rows:
        out.setdefault(team, {})[week] = label
    return out


def swap_activity(*, session: Session, week: str) -> dict[str, dict[str, int]]:
    """Per team, swaps approved and applied during `week` (from the audit trail)."""
    monday, _ = week_bounds(week)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    end = start + timedelta(days=7)
    rows = session.execute(
        select(Job.team, ApprovalEvent.new_state, func.count(func.distinct(Suggestion.id)))
        .join(Suggestion, col(Suggestion.id) == ApprovalEvent.suggestion_id)
        .join(Job, col(Job.id) == Suggestion.job_id)
        .where(col(ApprovalEvent.at) >= start, col(ApprovalEvent.at) < end,
               col(ApprovalEvent.new_state).in_(("approved", "applied")))
        .group_by(Job.team, ApprovalEvent.new_state))
    out: dict[str, dict[str, int]] = {}
    for team, state, count in rows:
        out.setdefault(team, {"approved": 0, "applied": 0})[state] = int(count)
    return out
