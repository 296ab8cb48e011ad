"""Posting to Slack from the scheduler: the Web API client, retries, pacing and chart upload."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from config.settings import Settings

Sleep = Callable[[float], None]
# Slack asks for about one message per second per channel (chat.postMessage, "special" tier).
CHANNEL_INTERVAL_S = 1.0
NOT_RETRIED_ON_5XX = ("chat.postMessage",)


class SlackNotConfigured(RuntimeError):
    """No bot token: digests can be shown but not posted."""


class ChannelNotFound(SlackClientError):
    """A channel name that is none of the channels the app can see."""


CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
LIST_PAGES = 50  # conversations.list pages of 1,000: 50,000 channels


def scope_hint(exc: BaseException) -> str | None:
    """The one line saying which scope to add when Slack answered missing_scope, else None."""
    if not isinstance(exc, SlackApiError):
        return None
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    if data.get("error") != "missing_scope":
        return None
    needed = data.get("needed") or "a scope"
    return (f"the Slack app lacks the {needed} scope: add it to its bot scopes "
            "(deploy/slack-app-manifest.yaml) and reinstall the app")


class RetryAfter(RateLimitErrorRetryHandler):
    """429: wait exactly what Retry-After says (an injectable sleep), then try again."""

    def __init__(self, max_retry_count: int = 3, sleep: Sleep = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        if response is None:
            raise error or RuntimeError("rate limited without a response")
        state.next_attempt_requested = True
        value = next((v for k, v in response.headers.items() if k.lower() == "retry-after"),
                     None)
        text = value[0] if isinstance(value, list) else value
        self.sleep(float(text) if text and str(text).strip().isdigit() else 1.0)
        state.increment_current_attempt()


class ServerErrorBackoff(ServerErrorRetryHandler):
    """5xx (500, 502, 503, 504): exponential backoff, base `backoff_s`, injectable sleep."""

    def __init__(self, max_retry_count: int = 3, backoff_s: float = 1.0,
                 sleep: Sleep = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.backoff_s = backoff_s
        self.sleep = sleep

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        # A 5xx to chat.postMessage may come after Slack posted the message: sending it again
        # could post it twice, so the caller checks the channel's history instead.
        if request.url.rstrip("/").endswith(NOT_RETRIED_ON_5XX):
            return False
        return response is not None and response.status_code in (500, 502, 503, 504)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        state.next_attempt_requested = True
        self.sleep(self.backoff_s * (2 ** state.current_attempt))
        state.increment_current_attempt()


def retry_handlers(sleep: Sleep = time.sleep, backoff_s: float = 1.0) -> list[RetryHandler]:
    return [RetryAfter(sleep=sleep), ServerErrorBackoff(backoff_s=backoff_s, sleep=sleep)]


def make_client(settings: Settings, *, sleep: Sleep = time.sleep,
                backoff_s: float = 1.0) -> WebClient:
    """A WebClient on the bot token (and SLACK_API_URL when set) that retries 429 and 5xx."""
    if not settings.slack_bot_token:
        raise SlackNotConfigured("set AI_COST_SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN) to post")
    kwargs: dict[str, Any] = {}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(token=settings.slack_bot_token,
                     retry_handlers=retry_handlers(sleep, backoff_s), **kwargs)


@dataclass
class ChannelPacer:
    """At most one message per `interval_s` per channel, across the threads of a process."""

    interval_s: float = CHANNEL_INTERVAL_S
    monotonic: Callable[[], float] = time.monotonic
    sleep: Sleep = time.sleep
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, channel: str) -> None:
        """Block until a message may be sent to `channel`, then count it as sent."""
        with self._lock:
            now = self.monotonic()
            due = self._last.get(channel, -float("inf")) + self.interval_s
            if due > now:
                self.sleep(due - now)
                now = due
            self._last[channel] = now


@dataclass
class Poster:
    """Posts messages and uploads charts through one client, paced per channel."""

    client: WebClient
    pacer: ChannelPacer = field(default_factory=ChannelPacer)
    sleep: Sleep = time.sleep
    file_ready_tries: int = 4
    channel_ids: dict[str, str] = field(default_factory=dict)  # name -> id, learnt once

    def upload_png(self, png: bytes, *, filename: str, title: str, alt_text: str) -> str:
        """Upload a PNG (getUploadURLExternal, upload, completeUploadExternal); its file id.

        Not shared to any channel: the digest's image block references it by id.
        """
        response = self.client.files_upload_v2(content=png, filename=filename, title=title,
                                               alt_txt=alt_text)
        file = response.get("file") or (response.get("files") or [{}])[0]
        file_id = file.get("id")
        if not file_id:
            raise SlackApiError("upload gave no file id", response)
        return str(file_id)

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]],
             metadata: dict[str, Any] | None = None) -> tuple[str, str]:
        """Post a message; (channel id, ts). Retries while an uploaded file is not ready yet."""
        for attempt in range(self.file_ready_tries):
            self.pacer.wait(channel)
            try:
                kwargs: dict[str, Any] = {"metadata": metadata} if metadata else {}
                response = self.client.chat_postMessage(channel=channel, text=text,
                                                        blocks=blocks, **kwargs)
                if not CHANNEL_ID.fullmatch(channel):
                    self.channel_ids[channel.lstrip("#")] = str(response["channel"])
                return str(response["channel"]), str(response["ts"])
            except SlackApiError as exc:
                # Uploads finish asynchronously: a fresh file can be "invalid" for a moment.
                if (attempt + 1 < self.file_ready_tries and _file_not_ready(exc)):
                    self.sleep(2.0 ** attempt)
                    continue
                raise
        raise AssertionError("unreachable")


    def channel_id(self, channel: str) -> str:
        """The id of `channel` (an id, or a name with or without #); ChannelNotFound if none.

        Slack's history, unlike chat.postMessage, takes only an id. Names are learnt from
        conversations.list a page at a time and kept (and from each post's answer); private
        channels are listed only with the groups:read scope.
        """
        if CHANNEL_ID.fullmatch(channel):
            return channel
        name = channel.lstrip("#")
        if name in self.channel_ids:
            return self.channel_ids[name]
        try:
            return self._listed(name, "public_channel,private_channel")
        except SlackApiError as exc:
            if scope_hint(exc) is None:
                raise
            try:  # without groups:read: the public channels, and the hint if it is not there
                return self._listed(name, "public_channel")
            except ChannelNotFound:
                raise exc from None

    def _listed(self, name: str, types: str) -> str:
        """`name`'s id from conversations.list of `types`, every page read once, kept."""
        cursor = None
        for _ in range(LIST_PAGES):
            kwargs: dict[str, Any] = {"cursor": cursor} if cursor else {}
            page = self.client.conversations_list(types=types, exclude_archived=True,
                                                  limit=1000, **kwargs)
            for found in page.get("channels") or []:
                self.channel_ids.setdefault(str(found["name"]), str(found["id"]))
            if name in self.channel_ids:
                return self.channel_ids[name]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        raise ChannelNotFound(f"no channel #{name} among those the app can see: invite the app "
                              "to it, or give the channel's id")

    def find_posted(self, *, channel: str, event_type: str, payload: dict[str, Any],
                    oldest_ts: float | None = None, pages: int = 5) -> str | None:
        """The ts of a message in `channel` carrying this metadata (the bot's own), or None.

        How a post whose outcome is unknown (a timeout, a 5xx, a crash) is settled before
        anything is posted again. `channel` is an id or a name (resolved by `channel_id`).
        Raises SlackClientError when the history cannot be read.
        """
        channel = self.channel_id(channel)
        cursor = None
        for _ in range(pages):
            kwargs: dict[str, Any] = {"oldest": f"{oldest_ts:.6f}"} if oldest_ts else {}
            if cursor:
                kwargs["cursor"] = cursor
            found = self.client.conversations_history(channel=channel, limit=200,
                                                      include_all_metadata=True, **kwargs)
            for message in found.get("messages") or []:
                meta = message.get("metadata") or {}
                given = meta.get("event_payload") or {}
                if meta.get("event_type") == event_type and all(
                        given.get(k) == v for k, v in payload.items()):
                    return str(message["ts"])
            cursor = (found.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None


def _file_not_ready(exc: SlackApiError) -> bool:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return data.get("error") == "invalid_blocks" and "slack_file" in str(data.get("errors", ""))
