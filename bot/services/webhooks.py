"""Signed webhook calls of the approval actions, and what an action did.

Every call is a JSON POST signed with HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed by a secret
(``X-AI-Cost-Timestamp``, ``X-AI-Cost-Signature: sha256=<hex>``) with an ``Idempotency-Key``,
retried on connection errors, timeouts, 429 and 5xx; any other answer is final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What applying a change did: ok or not, and a line a person can read."""

    ok: bool
    kind: str
    detail: str


def webhook_signature(body: bytes, *, secret: str, timestamp: int) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed with `secret`."""
    base = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedPost:
    """How signed posts are sent: the client, attempts, backoff, and the injected clock."""

    http: httpx.Client
    attempts: int
    backoff_s: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]

    def send(self, url: str, payload: dict[str, Any], *, secret: str, idempotency_key: str,
             what: str = "webhook", timeout_s: float | None = None) -> tuple[bool, str]:
        """POST `payload` to `url`; (ok, "<what> answered 200" or why it failed)."""
        body = json.dumps(payload, sort_keys=True).encode()
        problem = ""
        for attempt in range(1, self.attempts + 1):
            ts = int(self.clock())
            headers = {"Content-Type": "application/json", "X-AI-Cost-Timestamp": str(ts),
                       "X-AI-Cost-Signature": webhook_signature(body, secret=secret, timestamp=ts),
                       "Idempotency-Key": idempotency_key}
            try:
                extra: dict[str, Any] = {} if timeout_s is None else {"timeout": timeout_s}
                response = self.http.post(url, content=body, headers=headers, **extra)
            except httpx.TimeoutException:
                problem = f"{what} did not answer within {timeout_s or 'the timeout'} s"
            except httpx.HTTPError as exc:
                problem = f"{what} unreachable: {type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    return True, f"{what} answered {response.status_code}"
                problem = f"{what} answered {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    said = _said(response)  # a refusal: the receiver's reason is the news
                    return False, problem + (f": {said}" if said else "")
            if attempt < self.attempts:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
        return False, f"{problem} after {self.attempts} attempts"


def _said(response: httpx.Response) -> str:
    """The reason a receiver gave (its JSON `error`/`message`, or its first text line)."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return text[0][:200] if text else ""
    if isinstance(data, dict):
        for key in ("error", "message", "reason", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])[:200]
    return ""
