"""What the Slack bot reads and writes: suggestion states with audit rows, people, settings.

Suggestion state changes with their audit rows, people's Slack ids, team settings set from
Slack, and the nudges sent.

Every function takes the session keyword-only; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from config.organisation import Organisation
from storage.models import (
    ApprovalEvent,
    Job,
    SlackClaim,
    SlackNudge,
    SlackTeamSetting,
    Suggestion,
    User,
)

# pending is stored as "open"; applied, failed or manual (approved, to be applied by hand: the
# team's action is `none`) follow approved; a failed one is retried, dismissed or done by hand;
# a manual one is marked done. Every state but open, approved and failed is an end.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("approved", "dismissed", "expired"),
    "approved": ("applied", "failed", "manual"),
    "failed": ("approved", "dismissed", "done"),
    "manual": ("done",),
}
STATE_WORDS = {"open": "open", "approved": "approved, being applied", "applied": "applied",
               "failed": "approved, but applying it failed",
               "manual": "approved, to be applied by hand", "done": "done by hand",
               "dismissed": "dismissed", "expired": "expired"}


class IllegalTransition(ValueError):
    """A state change the approval state machine does not allow."""


@dataclass(frozen=True, slots=True)
class Audit:
    """Who changed a suggestion, from where, and with what result."""

    actor: str
    action: str
    channel: str | None = None
    message_ts: str | None = None
    outcome: str | None = None
    detail: str | None = None


def _models(row: Suggestion) -> tuple[str | None, str | None]:
    model = row.change.get("model") if isinstance(row.change, dict) else None
    if isinstance(model, dict):
        return model.get("from"), model.get("to")
    return None, None


def transition(*, session: Session, suggestion_id: int, old: str, new: str, audit: Audit,
               now: datetime) -> bool:
    """Compare-and-set the state from `old` to `new`, with its audit row; False if it moved.

    Only one of several concurrent callers wins: the UPDATE's WHERE re-checks the old state.
    """
    if new not in TRANSITIONS.get(old, ()):
        raise IllegalTransition(f"a suggestion cannot go from {old} to {new}")
    result = session.execute(
        update(Suggestion).where(col(Suggestion.id) == suggestion_id,
                                 col(Suggestion.state) == old)
        .values(state=new, updated_at=now))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    row = session.get(Suggestion, suggestion_id)
    old_model, new_model = _models(row) if row is not None else (None, None)
    session.add(ApprovalEvent(
        suggestion_id=suggestion_id, at=now, actor=audit.actor, action=audit.action,
        old_state=old, new_state=new, old_model=old_model, new_model=new_model,
        channel=audit.channel, message_ts=audit.message_ts, outcome=audit.outcome,
        detail=audit.detail))
    session.flush()
    return True


def record_refusal(*, session: Session, suggestion_id: int, state: str, audit: Audit,
                   now: datetime) -> None:
    """An audit row for a refused attempt; the state stays as it is."""
    session.add(ApprovalEvent(
        suggestion_id=suggestion_id, at=now, actor=audit.actor, action=audit.action,
        old_state=state, new_state=state, channel=audit.channel, message_ts=audit.message_ts,
        outcome=audit.outcome or "refused", detail=audit.detail))
    session.flush()


def suggestion_with_job(*, session: Session,
                        suggestion_id: int) -> tuple[Suggestion, Job] | None:
    # populate_existing: a state changed by another transaction must be seen as it is now.
    row = session.execute(
        select(Suggestion, Job).join(Job, col(Job.id) == Suggestion.job_id)
        .where(col(Suggestion.id) == suggestion_id)
        .execution_options(populate_existing=True)).first()
    return None if row is None else (row[0], row[1])


def events_of(*, session: Session, suggestion_id: int) -> list[ApprovalEvent]:
    """A suggestion's audit trail, oldest first."""
    return [e for (e,) in session.execute(
        select(ApprovalEvent).where(col(ApprovalEvent.suggestion_id) == suggestion_id)
        .order_by(col(ApprovalEvent.id)))]


def last_event(*, session: Session, suggestion_id: int, new_state: str) -> ApprovalEvent | None:
    return session.execute(
        select(ApprovalEvent).where(col(ApprovalEvent.suggestion_id) == suggestion_id,
                                    col(ApprovalEvent.new_state) == new_state,
                                    col(ApprovalEvent.old_state) != new_state)
        .order_by(col(ApprovalEvent.id).desc()).limit(1)).scalar()


def claim_stuck(*, session: Session, before: datetime, now: datetime) -> list[int]:
    """Claim suggestions left in `approved` since before `before` (a crash mid-action).

    Each claim is a compare-and-set of `updated_at` with its audit row, so of several sweepers
    one takes each suggestion; the claimed ids are returned.
    """
    stuck = [i for (i,) in session.execute(
        select(col(Suggestion.id)).where(col(Suggestion.state) == "approved",
                                         col(Suggestion.updated_at) < before))]
    claimed = []
    for suggestion_id in stuck:
        result = session.execute(
            update(Suggestion).where(col(Suggestion.id) == suggestion_id,
                                     col(Suggestion.state) == "approved",
                                     col(Suggestion.updated_at) < before)
            .values(updated_at=now))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.add(ApprovalEvent(
                suggestion_id=suggestion_id, at=now, actor="ai-cost", action="sweep",
                old_state="approved", new_state="approved",
                detail="left in approved (the process stopped while applying it): applied "
                       "again with the same idempotency key"))
            claimed.append(suggestion_id)
    session.flush()
    return claimed


def set_change(*, session: Session, suggestion_id: int, change: dict[str, Any]) -> None:
    """Store a suggestion's change as completed before it is applied (the current model)."""
    session.execute(update(Suggestion).where(col(Suggestion.id) == suggestion_id)
                    .values(change=change))


def audit_trail(*, session: Session, team: str | None = None, since: datetime | None = None,
                ) -> list[tuple[ApprovalEvent, Suggestion, Job]]:
    """Audit rows, oldest first, with their suggestion and job; of one team, since a time."""
    query = (select(ApprovalEvent, Suggestion, Job)
             .join(Suggestion, col(Suggestion.id) == ApprovalEvent.suggestion_id)
             .join(Job, col(Job.id) == Suggestion.job_id))
    if team is not None:
        query = query.where(col(Job.team) == team)
    if since is not None:
        query = query.where(col(ApprovalEvent.at) >= since)
    return [(e, sg, j) for e, sg, j in session.execute(query.order_by(col(ApprovalEvent.id)))]


def suggestions_in(*, session: Session, team: str | None = None, state: str | None = None,
                   limit: int = 500) -> list[tuple[Suggestion, Job]]:
    """Suggestions with their job, newest week first; of one team, in one state."""
    query = select(Suggestion, Job).join(Job, col(Job.id) == Suggestion.job_id)
    if team is not None:
        query = query.where(col(Job.team) == team)
    if state is not None:
        query = query.where(col(Suggestion.state) == state)
    query = query.order_by(col(Suggestion.week).desc(), col(Suggestion.id)).limit(limit)
    return [(sg, j) for sg, j in session.execute(query)]


def suggestions_by_id(*, session: Session, ids: list[int],
                      ) -> dict[int, tuple[Suggestion, Job]]:
    """Suggestions `ids` with their job, as stored now."""
    if not ids:
        return {}
    rows = session.execute(
        select(Suggestion, Job).join(Job, col(Job.id) == Suggestion.job_id)
        .where(col(Suggestion.id).in_(sorted(set(ids))))
        .execution_options(populate_existing=True))
    return {sg.id or 0: (sg, j) for sg, j in rows}


def stale_open(*, session: Session, before: datetime) -> list[int]:
    """Ids of open suggestions not updated since `before`."""
    return [i for (i,) in session.execute(
        select(col(Suggestion.id)).where(col(Suggestion.state) == "open",
                                         col(Suggestion.updated_at) < before))]


def open_suggestions(*, session: Session, team: str | None = None, user: str | None = None,
                     limit: int = 50, week: str | None = None) -> list[tuple[Suggestion, Job]]:
    """Open suggestions of a team or a person's jobs (of one week), most $ saved first."""
    stmt = select(Suggestion, Job).join(Job, col(Job.id) == Suggestion.job_id).where(
        col(Suggestion.state) == "open")
    if week is not None:
        stmt = stmt.where(col(Suggestion.week) == week)
    if team is not None:
        stmt = stmt.where(col(Job.team) == team)
    if user is not None:
        stmt = stmt.where(col(Job.user) == user)
    stmt = stmt.order_by(col(Suggestion.saved_cost_usd_week).desc(), col(Suggestion.id))
    return [(s, j) for s, j in session.execute(stmt.limit(limit)).all()]


def latest_suggestion_week(*, session: Session) -> str | None:
    """The newest week anything was suggested for."""
    return session.execute(select(func.max(col(Suggestion.week)))).scalar()


def runs_not_to_nudge(*, session: Session, week: str) -> set[tuple[int, str]]:
    """(job id, run key) of `week`'s runs with a suggestion decided or already nudged.

    A run gets one nudge: its siblings built on the same numbers are not pushed after one was
    dismissed, approved or sent.
    """
    decided = select(col(Suggestion.job_id), col(Suggestion.run_key)).where(
        col(Suggestion.week) == week, col(Suggestion.state) != "open")
    nudged = (select(col(Suggestion.job_id), col(Suggestion.run_key))
              .join(SlackNudge, col(SlackNudge.suggestion_id) == Suggestion.id)
              .where(col(Suggestion.week) == week))
    return {(j, r) for j, r in session.execute(decided.union(nudged))}


def claim(*, session: Session, key: str, now: datetime) -> bool:
    """Insert `key` unless another process has; True for the one that did (a unique key)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(insert(SlackClaim).values(key=key, claimed_at=now)
                               .on_conflict_do_nothing(index_elements=["key"])
                               .returning(col(SlackClaim.id))).first()
    return inserted is not None


def release_claims(*, session: Session, keys: list[str]) -> None:
    """Give back claims whose message could not be sent."""
    if keys:
        session.execute(delete(SlackClaim).where(col(SlackClaim.key).in_(keys)))


def find_job(*, session: Session, external_id: str) -> Job | None:
    """The job with this scheduler id (or database id); the newest when clusters share it."""
    found = session.execute(select(Job).where(col(Job.external_id) == external_id)
                            .order_by(col(Job.id).desc()).limit(1)).scalar()
    if found is None and external_id.isdigit():
        found = session.get(Job, int(external_id))
    return found


# -- people --------------------------------------------------------------------------------

def user_by_slack_id(*, session: Session, slack_user_id: str) -> User | None:
    return session.execute(select(User).where(col(User.slack_user_id) == slack_user_id)
                           .limit(1)).scalar()


def user_by_name(*, session: Session, name: str) -> User | None:
    return session.execute(select(User).where(col(User.name) == name)).scalar()


def remember_user(*, session: Session, name: str, slack_user_id: str | None = None,
                  email: str | None = None) -> None:
    """Create or complete the row of cluster user `name` with their Slack id and email.

    An upsert: two requests of the same person at once must not collide.
    """
    values: dict[str, Any] = {"name": name}
    if slack_user_id:
        values["slack_user_id"] = slack_user_id
    if email:
        values["email"] = email
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(User).values(**values)
    updated = {k: v for k, v in values.items() if k != "name"}
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=updated)
                    if updated else stmt.on_conflict_do_nothing(index_elements=["name"]))


# -- team settings -------------------------------------------------------------------------

def team_setting(*, session: Session, team: str) -> SlackTeamSetting | None:
    return session.get(SlackTeamSetting, team)


def digest_channel(*, session: Session, organisation: Organisation, team: str) -> str | None:
    """The one channel rule: set with `/ai-cost subscribe`, else the organisation file's."""
    setting = team_setting(session=session, team=team)
    if setting is not None and setting.digest_channel:
        return setting.digest_channel
    config = organisation.team(team)
    return config.slack_channel if config else None


def set_team_setting(*, session: Session, team: str, actor: str, now: datetime,
                     **values: Any) -> SlackTeamSetting:
    """Set some of digest_channel, weekly_budget_kwh, weekly_budget_usd for `team`."""
    row = session.get(SlackTeamSetting, team) or SlackTeamSetting(team=team, updated_at=now)
    for key, value in values.items():
        if key not in ("digest_channel", "weekly_budget_kwh", "weekly_budget_usd"):
            raise ValueError(f"unknown team setting {key}")
        setattr(row, key, value)
    row.updated_by, row.updated_at = actor, now
    session.add(row)
    session.flush()
    return row


# -- nudges --------------------------------------------------------------------------------

def nudges_on(*, session: Session, recipient: str, local_day: date,
              job_id: int | None = None, kind: str = "suggestion") -> int:
    """How many nudges of `kind` went to `recipient` on their `local_day` (about `job_id`)."""
    stmt = select(func.count()).select_from(SlackNudge).where(
        col(SlackNudge.recipient) == recipient, col(SlackNudge.local_day) == local_day,
        col(SlackNudge.kind) == kind)
    if job_id is not None:
        stmt = stmt.where(col(SlackNudge.job_id) == job_id)
    return int(session.execute(stmt).scalar() or 0)


def nudged_suggestion(*, session: Session, suggestion_id: int) -> SlackNudge | None:
    return session.execute(select(SlackNudge).where(
        col(SlackNudge.suggestion_id) == suggestion_id).limit(1)).scalar()


def praised(*, session: Session, team: str, week: str) -> bool:
    return session.execute(select(col(SlackNudge.id)).where(
        col(SlackNudge.kind) == "praise", col(SlackNudge.team) == team,
        col(SlackNudge.week) == week).limit(1)).first() is not None


def record_nudge(*, session: Session, nudge: SlackNudge) -> SlackNudge:
    session.add(nudge)
    session.flush()
    return nudge


def user_by_email(*, session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(col(User.email)) == email.lower())
                           .limit(1)).scalar()


def verdict_reasons(*, session: Session, job_id: int, week: str) -> list[str]:
    """Why the job was flagged in `week` (the newest judge's reasons), [] when it was not."""
    from storage.models import Verdict

    row = session.execute(select(Verdict).where(col(Verdict.job_id) == job_id,
                                                col(Verdict.week) == week)
                          .order_by(col(Verdict.created_at).desc()).limit(1)).scalar()
    return list(row.reasons) if row is not None else []
