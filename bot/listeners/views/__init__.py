"""Dialog submissions: the optional reason of a dismissal.

Everything the submission needs travels in the view's private_metadata, so whichever replica
receives it finishes it: the message is read back from the channel to update it in place.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.listeners.actions import DISMISS_VIEW
from bot.listeners.updates import show_home_outcome, show_outcome
from bot.services.approvals import Click


def register(app: App) -> None:
    app.view(DISMISS_VIEW)(ack=acknowledge, lazy=[dismiss])


def acknowledge(ack: Ack) -> None:
    ack()  # closes the dialog


def _message_blocks(client: WebClient, channel: str, ts: str) -> list[dict[str, Any]]:
    """The blocks of the message the click came from, as the channel holds it now."""
    try:
        found = client.conversations_history(channel=channel, latest=ts, inclusive=True,
                                             limit=1)
    except SlackApiError:
        return []
    for message in found.get("messages") or []:
        if message.get("ts") == ts:
            return list(message.get("blocks") or [])
    return []


def dismiss(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    user = body["user"]["id"]  # the submitter decides, whoever clicked: their rights are checked
    click = Click(suggestion_id=int(meta["s"]), slack_user_id=user, channel=meta.get("c"),
                  message_ts=meta.get("t"))
    reason = (view.get("state", {}).get("values", {}).get("reason", {}).get("text", {})
              .get("value"))
    outcome = context["services"].approvals.dismiss(click, reason=reason)
    if meta.get("h"):
        show_home_outcome(outcome, user, client=client, home=context["services"].home)
        return
    respond = None
    if meta.get("r"):
        hook = WebhookClient(meta["r"])

        def respond(**kwargs: Any) -> None:  # type: ignore[misc]
            hook.send_dict(kwargs)

    ephemeral = bool(meta.get("e"))
    blocks = ([] if ephemeral or not (click.channel and click.message_ts)
              else _message_blocks(client, click.channel, click.message_ts))
    show_outcome(outcome, click, client=client, respond=respond, blocks=blocks,
                 ephemeral=ephemeral)
