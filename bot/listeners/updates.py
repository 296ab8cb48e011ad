"""Showing a click's outcome: the message updated in place, a private note to the clicker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.messages.swaps import outcome_blocks, replace_swap_buttons
from bot.services.approvals import Click, Outcome
from bot.services.home import HomeService

ICONS = {"applied": ":white_check_mark:", "done": ":white_check_mark:", "failed": ":warning:",
         "manual": ":hammer_and_wrench:", "dismissed": ":no_entry:"}


def show_home_outcome(outcome: Outcome, slack_user_id: str, *, client: WebClient,
                      home: HomeService) -> None:
    """A click on the App Home: the tab published again, its first line saying what happened."""
    notice = f"{ICONS.get(outcome.status, ':information_source:')} {outcome.message}"
    client.views_publish(user_id=slack_user_id,
                         view=home.view_for(slack_user_id=slack_user_id, notice=notice))


def show_outcome(outcome: Outcome, click: Click, *, client: WebClient,
                 respond: Respond | Callable[..., Any] | None,
                 blocks: list[dict[str, Any]], ephemeral: bool,
                 response_url: str | None = None) -> None:
    """Update the clicked message for everyone; refusals and "already" go only to the clicker."""
    if outcome.status in ("refused", "missing", "already"):
        note = f":information_source: {outcome.message}"
        if respond is not None:
            respond(text=note, response_type="ephemeral", replace_original=False)
        elif click.channel:
            client.chat_postEphemeral(channel=click.channel, user=click.slack_user_id, text=note)
        return  # the winning click updates the message
    new_blocks = replace_swap_buttons(
        blocks, click.suggestion_id,
        outcome_blocks(outcome.status, outcome.message, click.suggestion_id, outcome.at))
    text = outcome.message
    if ephemeral or not (click.channel and click.message_ts):
        if respond is not None:
            respond(text=text, blocks=new_blocks, replace_original=True)
        return
    try:
        client.chat_update(channel=click.channel, ts=click.message_ts, text=text,
                           blocks=new_blocks)
    except SlackApiError:
        if respond is not None:  # e.g. a message we may not edit: tell the clicker at least
            respond(text=text, response_type="ephemeral", replace_original=False)
