"""Approving and dismissing suggested swaps and releases: who may, the states, the action.

States: open (pending) -> approved | dismissed | expired; approved -> applied | failed | manual
(approved, to be applied by hand: the team's action is `none`); failed -> approved (retry) |
dismissed | done (by hand); manual -> done. An approval a stopped process left in approved is
swept and applied again with the same idempotency key. Every change is a compare-and-set
with its audit row in one transaction, so two clicks, two people or a Slack retry give one
approval and one action.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.services.directory import Directory, Person
from bot.services.swap_actions import ActionResult, SwapActions, completed_change
from config.organisation import Organisation
from reports.format import escape
from storage import slack_repo
from storage.db import session as new_session
from storage.models import Cluster, Job, Suggestion
from storage.slack_repo import Audit


@dataclass(frozen=True, slots=True)
class Click:
    """A button click: on which suggestion, by whom, on which message."""

    suggestion_id: int
    slack_user_id: str
    channel: str | None = None
    message_ts: str | None = None


@dataclass(slots=True)
class Outcome:
    """What a click did.

    `status`: applied, failed, manual, done, dismissed, already, refused, missing.
    """

    status: str
    message: str
    suggestion: Suggestion | None = None
    job: Job | None = None
    actor: Person | None = None
    at: datetime | None = None
    result: ActionResult | None = None
    by: str | None = None  # who had already decided, as a mention

    @property
    def settled(self) -> bool:
        """The message's buttons should give way to the outcome."""
        return self.status in ("applied", "failed", "manual", "done", "dismissed", "already")


def _actor(person: Person | None, slack_user_id: str) -> str:
    return person.name if person else f"slack:{slack_user_id}"


class Approvals:
    """The approval service; the engine, directory, actions and clock are injected."""

    def __init__(self, *, organisation: Organisation, engine: Engine, directory: Directory,
                 actions: SwapActions, clock: Callable[[], float] = time.time,
                 on_change: Callable[[], None] | None = None) -> None:
        self._organisation = organisation
        self._engine = engine
        self._directory = directory
        self._actions = actions
        self._clock = clock
        self._on_change = on_change or (lambda: None)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _audit(self, click: Click, person: Person | None, action: str,
               outcome: str | None = None, detail: str | None = None) -> Audit:
        who = f"<@{click.slack_user_id}>"
        return Audit(actor=_actor(person, click.slack_user_id), action=action,
                     channel=click.channel, message_ts=click.message_ts, outcome=outcome,
                     detail=f"{who} {detail}" if detail else who)

    def _load(self, click: Click, action: str) -> Outcome | tuple[Suggestion, Job, Person | None]:
        """The suggestion, its job and the clicker, or the refusal (audited) to show them."""
        with new_session(self._engine) as s:
            found = slack_repo.suggestion_with_job(session=s, suggestion_id=click.suggestion_id)
            if found is None:
                return Outcome("missing", f"Suggestion #{click.suggestion_id} no longer exists.")
            suggestion, job = found
            person = self._directory.person(session=s, slack_user_id=click.slack_user_id)
            if not self._directory.may_approve(person, team=job.team, owner=job.user):
                team = self._organisation.team(job.team)
                approvers = ", ".join(team.approvers) if team and team.approvers else "none"
                why = ("you are not linked to a cluster user" if person is None
                       else f"you ({person.name}) are neither the job's owner "
                            f"({job.user or 'unknown'}) nor an approver of team {job.team}")
                slack_repo.record_refusal(
                    session=s, suggestion_id=click.suggestion_id, state=suggestion.state,
                    audit=self._audit(click, person, action, "unauthorized", why), now=self._now())
                s.commit()
                noun = "release" if suggestion.kind == "release" else "swap"
                return Outcome("refused", escape(
                    f"Only the job's owner or {job.team}'s approvers ({approvers}) can "
                    f"{action} this {noun}: {why}."),
                               suggestion, job, person)
            s.commit()
        return suggestion, job, person

    def may_decide(self, click: Click, action: str) -> Outcome | None:
        """None when `click`'s person may decide the suggestion now, else what to tell them.

        A refusal (audited), or who decided it already. Checked before any dialog opens.
        """
        loaded = self._load(click, action)
        if isinstance(loaded, Outcome):
            return loaded
        suggestion, _, person = loaded
        if suggestion.state not in ("open", "failed"):
            return self._already(click.suggestion_id, person)
        return None

    def _already(self, suggestion_id: int, person: Person | None) -> Outcome:
        with new_session(self._engine) as s:
            found = slack_repo.suggestion_with_job(session=s, suggestion_id=suggestion_id)
            if found is None:
                return Outcome("missing", f"Suggestion #{suggestion_id} no longer exists.")
            suggestion, job = found
            state = suggestion.state
            decided = slack_repo.last_event(
                session=s, suggestion_id=suggestion_id,
                new_state="approved" if state in ("approved", "applied", "failed", "manual")
                else state)
        by = None
        if decided is not None:
            by = (decided.detail or "").split(" ", 1)[0] or decided.actor
        verb = {"approved": "approved", "applied": "approved", "failed": "approved",
                "manual": "approved", "done": "marked done",
                "dismissed": "dismissed", "expired": "expired"}.get(state, state)
        noun = "release" if suggestion.kind == "release" else "swap"
        text = f"This {noun} was already {verb}" + (f" by {by}" if by else "") + "."
        text += {"applied": " It has been applied.",
                 "approved": " It is being applied.",
                 "manual": " It is to be applied by hand.",
                 "failed": " Applying it failed: Retry, Dismiss or Mark done."}.get(state, "")
        return Outcome("already", text, suggestion, job, person, by=by)

    def approve(self, click: Click) -> Outcome:
        """Approve and apply a pending swap; a second approval only learns who was first."""
        return self._approve(click, old="open", action="approve")

    def retry(self, click: Click) -> Outcome:
        """Apply again a swap whose action failed."""
        return self._approve(click, old="failed", action="retry")

    def _approve(self, click: Click, *, old: str, action: str) -> Outcome:
        loaded = self._load(click, action)
        if isinstance(loaded, Outcome):
            return loaded
        suggestion, job, person = loaded
        now = self._now()
        change = completed_change(suggestion.change, job)
        with new_session(self._engine) as s:
            if change != suggestion.change:  # the audit row and the action name the model
                slack_repo.set_change(session=s, suggestion_id=click.suggestion_id, change=change)
            won = slack_repo.transition(session=s, suggestion_id=click.suggestion_id, old=old,
                                        new="approved", audit=self._audit(click, person, action),
                                        now=now)
            s.commit()
        if not won:
            return self._already(click.suggestion_id, person)
        suggestion.change = change
        new, result = self._apply(suggestion, job, approved_by=_actor(person, click.slack_user_id),
                                  approved_at=now, audit=lambda r: self._audit(
                                      click, person, "apply", outcome=r.kind, detail=r.detail))
        detail = escape(result.detail)
        who = f"<@{click.slack_user_id}>"
        if suggestion.kind == "release" and new == "applied":
            return Outcome(new, f"Released by {who}: {detail}.", suggestion, job, person, now,
                           result, by=who)
        message = {"applied": f"Approved by {who}: {detail}.",
                   "manual": f"Approved by {who}, to be applied by hand: {detail}. Mark it "
                             "done once it is.",
                   }.get(new, f"Approved by {who}, but applying it failed: {detail}.")
        return Outcome(new, message, suggestion, job, person, now, result, by=who)

    def _apply(self, suggestion: Suggestion, job: Job, *, approved_by: str,
               approved_at: datetime, audit: Callable[[ActionResult], Audit],
               ) -> tuple[str, ActionResult]:
        """Run the team's action for an approved suggestion and record where it ended."""
        team = self._organisation.team(job.team)
        result = self._actions.apply(team=team, suggestion=suggestion, job=job,
                                     approved_by=approved_by, approved_at=approved_at,
                                     slurm_cluster=self._slurm_cluster(job))
        new = ("manual" if result.kind == "none" else "applied") if result.ok else "failed"
        with new_session(self._engine) as s:
            slack_repo.transition(session=s, suggestion_id=suggestion.id or 0, old="approved",
                                  new=new, audit=audit(result), now=self._now())
            s.commit()
        suggestion.state = new
        self._on_change()
        return new, result

    def _slurm_cluster(self, job: Job) -> str:
        """Slurm's ClusterName of the job's cluster (the file's slurm_cluster_name or name)."""
        with new_session(self._engine) as s:
            cluster = s.get(Cluster, job.cluster_id)
        if cluster is None:
            return ""
        config = next((c for c in self._organisation.clusters if c.name == cluster.name), None)
        return (config.slurm_cluster_name or config.name) if config else cluster.name

    def sweep(self, *, max_age: timedelta = timedelta(minutes=15)) -> list[tuple[int, str]]:
        """Apply again the approvals a stopped process left in `approved` for `max_age`.

        Same payload and idempotency key as the first attempt, so a receiver that got it
        applies it once. Returns (suggestion id, state it ended in).
        """
        now = self._now()
        with new_session(self._engine) as s:
            claimed = slack_repo.claim_stuck(session=s, before=now - max_age, now=now)
            s.commit()
        ended = []
        for suggestion_id in claimed:
            with new_session(self._engine) as s:
                found = slack_repo.suggestion_with_job(session=s, suggestion_id=suggestion_id)
                first = slack_repo.last_event(session=s, suggestion_id=suggestion_id,
                                              new_state="approved")
            if found is None:
                continue
            suggestion, job = found
            at = first.at if first is not None else now
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            new, _ = self._apply(
                suggestion, job, approved_by=first.actor if first else "ai-cost",
                approved_at=at, audit=lambda r: Audit(actor="ai-cost", action="apply",
                                                      outcome=r.kind, detail=r.detail))
            ended.append((suggestion_id, new))
        return ended

    def mark_done(self, click: Click) -> Outcome:
        """A swap applied by hand (its team's action is none, or the action failed)."""
        loaded = self._load(click, "mark done")
        if isinstance(loaded, Outcome):
            return loaded
        suggestion, job, person = loaded
        now = self._now()
        with new_session(self._engine) as s:
            won = any(slack_repo.transition(
                session=s, suggestion_id=click.suggestion_id, old=old, new="done",
                audit=self._audit(click, person, "done"), now=now)
                for old in ("manual", "failed"))
            s.commit()
        if not won:
            return self._already(click.suggestion_id, person)
        suggestion.state = "done"
        self._on_change()
        who = f"<@{click.slack_user_id}>"
        return Outcome("done", f"Marked done by hand by {who}.", suggestion, job, person, now,
                       by=who)

    def dismiss(self, click: Click, *, reason: str | None = None) -> Outcome:
        """Dismiss a pending or failed swap; remembered, so the change is not pushed again."""
        loaded = self._load(click, "dismiss")
        if isinstance(loaded, Outcome):
            return loaded
        suggestion, job, person = loaded
        now = self._now()
        audit = self._audit(click, person, "dismiss", detail=(reason or "").strip()[:500] or None)
        with new_session(self._engine) as s:
            won = any(slack_repo.transition(session=s, suggestion_id=click.suggestion_id,
                                            old=old, new="dismissed", audit=audit, now=now)
                      for old in ("open", "failed"))
            s.commit()
        if not won:
            return self._already(click.suggestion_id, person)
        suggestion.state = "dismissed"
        self._on_change()
        why = f" ({escape(reason.strip())})" if reason and reason.strip() else ""
        return Outcome("dismissed", f"Dismissed by <@{click.slack_user_id}>{why}; it will not "
                                    "be suggested again.", suggestion, job, person, now,
                       by=f"<@{click.slack_user_id}>")

    def expire(self, *, max_age: timedelta = timedelta(days=28)) -> int:
        """Expire pending suggestions untouched for `max_age`; returns how many."""
        now = self._now()
        expired = 0
        with new_session(self._engine) as s:
            for suggestion_id in slack_repo.stale_open(session=s, before=now - max_age):
                expired += slack_repo.transition(
                    session=s, suggestion_id=suggestion_id, old="open", new="expired",
                    audit=Audit(actor="ai-cost", action="expire"), now=now)
            s.commit()
        return expired
