"""Slack's Block Kit limits, checked on every message the fake Slack received."""

from __future__ import annotations

from typing import Any

from tests.fakes.slack_api import FakeSlackApi

POSTING = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish",
           "views.open")


def problems(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    if len(blocks) > 50:
        found.append(f"{len(blocks)} blocks")
    for block in blocks:
        kind = block.get("type")
        if kind == "header" and len(block["text"]["text"]) > 150:
            found.append("header over 150")
        if kind == "section":
            if "text" in block and len(block["text"]["text"]) > 3000:
                found.append("section over 3000")
            if len(block.get("fields", [])) > 10:
                found.append("over 10 fields")
        if kind == "actions":
            if len(block["elements"]) > 25:
                found.append("actions over 25 elements")
            for element in block["elements"]:
                if element.get("type") == "button" and len(element["text"]["text"]) > 75:
                    found.append("button label over 75")
        if kind == "context" and len(block.get("elements", [])) > 10:
            found.append("context over 10 elements")
    return found


def assert_all_within_limits(slack: FakeSlackApi) -> int:
    """Every posted, updated or published message; returns how many were checked."""
    checked = 0
    for call in slack.calls():
        if call.method in POSTING or call.method.startswith("/response/"):
            body = call.body.get("view", call.body) if call.method.startswith("views.") \
                else call.body
            blocks = body.get("blocks") or []
            assert not problems(blocks), (call.method, problems(blocks))
            checked += 1
    return checked
