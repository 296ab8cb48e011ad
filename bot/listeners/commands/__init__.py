"""The `/ai-cost` slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from storage.outage import UNAVAILABLE_ERRORS, unavailable


def register(app: App) -> None:
    app.command("/ai-cost")(ack=acknowledge, lazy=[answer])


def acknowledge(ack: Ack) -> None:
    """Ack at once, touching nothing: the answer follows through response_url."""
    ack()


def answer(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    try:
        reply = context["services"].commands.answer(text=body.get("text", ""),
                                                    slack_user_id=body["user_id"])
    except UNAVAILABLE_ERRORS as exc:  # acknowledged already: say why no answer follows
        respond(response_type="ephemeral", replace_original=False,
                text=f"ai-cost cannot answer just now: {unavailable(exc)}. Try again in a "
                     f"minute.")
        raise
    respond(**reply.to_response())
