"""An answer as Slack Block Kit: the text, where its numbers come from, a button to go on."""

from __future__ import annotations

from typing import Any

from bot.ask.answer import Answer
from reports.blocks import Block, button, clip, context, enforce_limits, section

RUN_COMMAND_ACTION = "ask_run_command"
MAX_BUTTON_VALUE = 2000


def answer_blocks(answer: Answer) -> list[Block]:
    """Blocks of an answer: text, source line, and a button to the matching /ai-cost command."""
    blocks: list[Block] = [section(answer.text)]
    sources = "; ".join(s.describe() for s in answer.sources)
    if sources:
        flags = " · cached" if answer.cached else ""
        how = {"model": " · answered by the chat model", "parser": ""}.get(answer.how, "")
        blocks.append(context(f"Source: {sources}{how}{flags}"))
    if answer.command:
        command = f"/ai-cost {answer.command}"
        blocks.append({"type": "actions", "elements": [
            button(f"Open {command}", RUN_COMMAND_ACTION, command[:MAX_BUTTON_VALUE],
                   style="primary"),
        ]})
    return enforce_limits(blocks)


def slack_response(answer: Answer) -> dict[str, Any]:
    """The reply to `/ai-cost ask ...` for response_url: only the asker sees it."""
    return {"response_type": "ephemeral", "replace_original": False,
            "text": clip(answer.text, 3000), "blocks": answer_blocks(answer)}
