"""Which swap buttons a reader gets: open suggestions only, and only theirs to decide."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from bot.messages.swaps import suggestion_buttons
from bot.services.directory import Directory, Person
from bot.services.swap_actions import by_hand_reason
from reports.blocks import Block, SwapButtons
from storage import slack_repo


def swap_buttons(*, session: Session, directory: Directory, ids: Iterable[int],
                 person: Person | None = None, public: bool = False) -> SwapButtons:
    """Buttons of suggestions `ids` as they are stored now.

    `public` (a channel message anyone may click: each click is checked) shows them on every
    open suggestion; otherwise only where `person` may approve (the job's owner or an approver
    of its team), as in an ephemeral reply or the App Home.
    """
    rows = slack_repo.suggestions_by_id(session=session, ids=list(ids))

    def buttons(suggestion_id: int) -> Block | None:
        found = rows.get(suggestion_id)
        if found is None:
            return None
        suggestion, job = found
        if not public and not directory.may_approve(person, team=job.team, owner=job.user):
            return None
        return suggestion_buttons(suggestion, by_hand=by_hand_reason(
            directory.organisation.team(job.team), suggestion, job))

    return buttons
