"""Dialog submissions: the optional reason of a dismissal."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.listeners.actions import DISMISS_VIEW
from bot.listeners.updates import show_outcome
from bot.services.approvals import Click


def register(app: App) -> None:
    app.view(DISMISS_VIEW)(ack=acknowledge, lazy=[dismiss])


def acknowledge(ack: Ack) -> None:
    ack()  # closes the dialog


def dismiss(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    pending = context["services"].pending.pop(meta.get("key", ""), None)
    user = body["user"]["id"]
    if pending is not None and pending["click"].slack_user_id == user:
        click = pending["click"]
    else:  # the server restarted since the click: the message cannot be rewritten
        click, pending = Click(suggestion_id=int(meta["suggestion_id"]), slack_user_id=user), None
    reason = (view.get("state", {}).get("values", {}).get("reason", {}).get("text", {})
              .get("value"))
    outcome = context["services"].approvals.dismiss(click, reason=reason)
    respond = None
    if pending is not None and pending.get("response_url"):
        hook = WebhookClient(pending["response_url"])

        def respond(**kwargs: Any) -> None:  # type: ignore[misc]
            hook.send_dict(kwargs)

    show_outcome(outcome, click, client=client, respond=respond,
                 blocks=pending["blocks"] if pending else [],
                 ephemeral=bool(pending and pending["ephemeral"]))
