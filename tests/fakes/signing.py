"""Sign requests exactly as Slack signs what it sends to an app's Request URL.

Slack's scheme (https://api.slack.com/authentication/verifying-requests-from-slack): the
signature is ``v0=`` + hex HMAC-SHA256, keyed with the app's signing secret, over
``"v0:{timestamp}:{raw body}"``; it travels in ``X-Slack-Signature`` with the Unix timestamp in
``X-Slack-Request-Timestamp``. Apps reject timestamps more than 5 minutes from their clock.

Usage::

    body = slash_command_body(text="top 5", user_id="U1", response_url=slack.response_url())
    headers = signed_headers(body, secret="s3cret")              # now
    stale = signed_headers(body, secret="s3cret", timestamp=time.time() - 600)
    httpx.post(f"{app_url}/slack/events", content=body, headers=headers)

`slash_command_body` and `interaction_body` build the form bodies Slack posts for a slash
command and for a block action (button click, modal submission).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"


def signature(body: bytes | str, *, secret: str, timestamp: int | float) -> str:
    """The value of X-Slack-Signature for `body` sent at Unix `timestamp`."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(int(timestamp)).encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes | str, *, secret: str, timestamp: int | float | None = None,
                   content_type: str = FORM) -> dict[str, str]:
    """Headers Slack would send with `body`: content type, timestamp and signature."""
    ts = int(time.time() if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(body, secret=secret, timestamp=ts),
    }


def slash_command_body(*, text: str = "", user_id: str = "U0ALICE", user_name: str = "alice",
                       channel_id: str = "C0GENERAL", command: str = "/ai-cost",
                       response_url: str = "", trigger_id: str = "1.2.abc",
                       team_id: str = "T0AICOST") -> str:
    """The form body Slack posts for a slash command."""
    return urlencode({
        "token": "deprecated-verification-token", "team_id": team_id, "team_domain": "fake",
        "channel_id": channel_id, "channel_name": "general", "user_id": user_id,
        "user_name": user_name, "command": command, "text": text, "api_app_id": "A0AICOST",
        "response_url": response_url, "trigger_id": trigger_id,
    })


def interaction_body(payload: dict[str, Any]) -> str:
    """The form body Slack posts for an interaction: ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload)})


def block_action_payload(*, action_id: str, value: str, user_id: str = "U0ALICE",
                         channel_id: str = "C0GENERAL", message_ts: str = "1.000001",
                         response_url: str = "", blocks: list[dict[str, Any]] | None = None,
                         trigger_id: str = "1.2.abc") -> dict[str, Any]:
    """A block_actions payload for a button click on a message."""
    return {
        "type": "block_actions",
        "team": {"id": "T0AICOST", "domain": "fake"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0AICOST"},
        "api_app_id": "A0AICOST",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                      "is_ephemeral": False},
        "trigger_id": trigger_id,
        "channel": {"id": channel_id, "name": "general"},
        "message": {"type": "message", "ts": message_ts, "text": "", "blocks": blocks or []},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b",
                     "value": value, "action_ts": f"{time.time():.6f}"}],
    }
