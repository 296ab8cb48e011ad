"""Buttons: the change (Approve), Dismiss (opens the reason dialog), Retry, Mark done.

A click on a message updates that message; a click on the App Home publishes the tab again
with the outcome. Who may decide is checked before the dismiss dialog opens, and the dialog
carries its context in the view's private_metadata, so any replica can finish it.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.ask import RUN_COMMAND_ACTION
from bot.listeners.updates import show_home_outcome, show_outcome
from bot.messages.swaps import APPROVE, DISMISS, MARK_DONE, RETRY
from bot.services.approvals import Click, Outcome

DISMISS_VIEW = "dismiss_reason"


def register(app: App) -> None:
    app.action(RUN_COMMAND_ACTION)(ack=acknowledge, lazy=[run_command])
    app.action(APPROVE)(ack=acknowledge, lazy=[approve])
    app.action(RETRY)(ack=acknowledge, lazy=[retry])
    app.action(MARK_DONE)(ack=acknowledge, lazy=[mark_done])
    app.action(DISMISS)(ask_reason)


def acknowledge(ack: Ack) -> None:
    ack()


def run_command(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """The button under an `ask` answer: run the matching `/ai-cost` command for the clicker."""
    text = body["actions"][0]["value"].removeprefix("/ai-cost").strip()
    reply = context["services"].commands.answer(text=text, slack_user_id=body["user"]["id"])
    respond(**reply.to_response())


def in_home(body: dict[str, Any]) -> bool:
    """The click came from the App Home tab (no message to update, no response_url)."""
    return (body.get("container", {}).get("type") == "view"
            and body.get("view", {}).get("type") == "home")


def click_of(body: dict[str, Any]) -> Click:
    container = body.get("container", {})
    return Click(suggestion_id=int(body["actions"][0]["value"]), slack_user_id=body["user"]["id"],
                 channel=container.get("channel_id") or body.get("channel", {}).get("id"),
                 message_ts=container.get("message_ts"))


def _done(body: dict[str, Any], outcome: Outcome, client: WebClient, respond: Respond,
          context: BoltContext) -> None:
    if in_home(body):
        show_home_outcome(outcome, body["user"]["id"], client=client,
                          home=context["services"].home)
        return
    show_outcome(outcome, click_of(body), client=client, respond=respond,
                 blocks=body.get("message", {}).get("blocks", []),
                 ephemeral=bool(body.get("container", {}).get("is_ephemeral")))


def approve(body: dict[str, Any], client: WebClient, respond: Respond,
            context: BoltContext) -> None:
    _done(body, context["services"].approvals.approve(click_of(body)), client, respond, context)


def retry(body: dict[str, Any], client: WebClient, respond: Respond,
          context: BoltContext) -> None:
    _done(body, context["services"].approvals.retry(click_of(body)), client, respond, context)


def mark_done(body: dict[str, Any], client: WebClient, respond: Respond,
              context: BoltContext) -> None:
    _done(body, context["services"].approvals.mark_done(click_of(body)), client, respond,
          context)


def ask_reason(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond,
               context: BoltContext) -> None:
    """Open the dialog asking why (optional), once the clicker may dismiss.

    The trigger is valid for 3 seconds only; the check is one indexed read.
    """
    ack()
    click = click_of(body)
    refused = context["services"].approvals.may_decide(click, "dismiss")
    if refused is not None:
        _done(body, refused, client, respond, context)
        return
    meta = {"s": click.suggestion_id, "u": click.slack_user_id, "c": click.channel,
            "t": click.message_ts, "e": bool(body.get("container", {}).get("is_ephemeral")),
            "r": body.get("response_url"), "h": in_home(body)}
    client.views_open(trigger_id=body["trigger_id"], view={
        "type": "modal", "callback_id": DISMISS_VIEW,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": "Dismiss this suggestion"},
        "submit": {"type": "plain_text", "text": "Dismiss"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text":
                "It will not be suggested again for this workload."}},
            {"type": "input", "block_id": "reason", "optional": True,
             "label": {"type": "plain_text", "text": "Why? (optional)"},
             "element": {"type": "plain_text_input", "action_id": "text", "max_length": 500}},
        ]})
