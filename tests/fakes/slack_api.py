"""A local HTTP server that speaks enough of Slack's Web API for ai-cost, and records requests.

Use it through the `slack_api` pytest fixture (tests/fakes/slack_fixtures.py, registered as a
plugin in tests/conftest.py), or directly::

    with FakeSlackApi() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="#ml", text="hi")
        [call] = slack.calls("chat.postMessage")
        assert call.body["channel"] == "#ml"

What it answers (shaped like Slack's responses: `ok`, `ts`, `channel`, `message`, ...):

- ``auth.test``, ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``,
  ``chat.delete``, ``views.publish``, ``views.open``, ``users.lookupByEmail``, ``users.info``,
  ``conversations.open``, ``files.getUploadURLExternal`` (its ``upload_url`` points back at this
  server), the upload ``POST /upload/<file_id>`` itself, ``files.completeUploadExternal``.
  Any other method answers ``{"ok": false, "error": "unknown_method"}``.
- ``POST /response/<token>``: a response_url (see `response_url()`); answers ``ok``.
- ``POST /hooks/<name>``: a generic receiver, handy as a webhook target (see `hook_url()`).

Every request is recorded as a `RecordedRequest` (method or path, HTTP verb, headers, parsed
body) in `requests`; `calls(method)` filters them and `wait_for(method, count)` blocks until
work done after an acknowledgement (lazy listeners, threads) has arrived.

Failures on demand, for the next N calls of one method (or path such as ``/hooks/swap``):

- `rate_limit(method, count=1, retry_after=1)`: HTTP 429 with ``Retry-After``.
- `fail(method, count=1, status=500)`: an HTTP error status.
- `error(method, error="channel_not_found", count=1)`: HTTP 200 with ``ok: false``.

Users for ``users.lookupByEmail`` / ``users.info`` are added with `add_user()`. Posted and
updated messages are kept in `messages` keyed by ``(channel id, ts)``, so a test can read a
message as it stands after ``chat.update``. A token given to the constructor is checked
(``invalid_auth`` otherwise); a missing token is always ``not_authed``.

Channels, as Slack keeps them: `add_channel(name, private=...)` makes one (a channel first
posted to by name, ``#ml`` or ``ml``, is made public on the spot, as if the bot had been
invited). ``chat.postMessage`` takes a name or an id and answers the id; ``conversations.history``
takes only an id (a name is ``channel_not_found``, as Slack answers); ``conversations.list``
lists them by ``types``, a page of ``limit`` at a time with ``response_metadata.next_cursor``.
Scopes: `scopes` (None: every scope) are the bot token's; without ``channels:history`` /
``groups:history`` the history of a public / private channel, and without ``channels:read`` /
``groups:read`` the listing of that type, is ``missing_scope`` with ``needed`` and
``provided``, as Slack answers.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOTAICOST"
BOT_ID = "BAICOST"
TEAM_ID = "T0AICOST"


@dataclass
class RecordedRequest:
    """One request the fake received."""

    method: str
    """API method (``chat.postMessage``) or, outside /api/, the path (``/response/abc``)."""
    http_method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: float = field(default_factory=time.time)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return self.body.get("token")


@dataclass
class _Injected:
    remaining: int
    status: int
    error: str | None = None
    retry_after: int | None = None


@dataclass
class FakeChannel:
    id: str
    name: str
    is_private: bool = False


@dataclass
class FakeUser:
    id: str
    email: str
    name: str
    tz: str = "UTC"
    tz_offset: int = 0


def _is_id(channel: str) -> bool:
    """A conversation id (C..., G..., D...), not a name."""
    return bool(re.fullmatch(r"[CGD][A-Z0-9]{2,}", channel))


def _decode_json_fields(body: dict[str, Any]) -> dict[str, Any]:
    # Form-encoded calls carry blocks/attachments as JSON strings, as Slack accepts them.
    for key in ("blocks", "attachments", "view", "files", "metadata"):
        value = body.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                body[key] = json.loads(value)
            except ValueError:
                pass
    return body


class FakeSlackApi:
    """Slack's Web API on 127.0.0.1, port chosen by the OS, served from a daemon thread."""

    def __init__(self, *, token: str | None = None, host: str = "127.0.0.1",
                 scopes: set[str] | None = None) -> None:
        self.expected_token = token
        self.scopes = scopes
        self.channels: dict[str, FakeChannel] = {}
        self.requests: list[RecordedRequest] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.users: dict[str, FakeUser] = {}
        self._injected: dict[str, list[_Injected]] = {}
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        # serve_forever notices shutdown() once per poll: 0.5 s by default, at every test's end
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True,
                                        name="fake-slack-api")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """Base URL for slack_sdk's WebClient(base_url=...) and SLACK_API_URL."""
        return f"{self.base_url}/api/"

    def response_url(self, token: str = "r1") -> str:
        """A response_url to put in a slash-command or interaction payload."""
        return f"{self.base_url}/response/{token}"

    def hook_url(self, name: str = "swap") -> str:
        """A generic POST receiver (recorded under the path ``/hooks/<name>``)."""
        return f"{self.base_url}/hooks/{name}"

    # -- test controls -----------------------------------------------------------------------
    def add_user(self, *, user_id: str, email: str, name: str | None = None, tz: str = "UTC",
                 tz_offset: int = 0) -> FakeUser:
        user = FakeUser(id=user_id, email=email, name=name or email.split("@")[0], tz=tz,
                        tz_offset=tz_offset)
        self.users[user_id] = user
        return user

    def add_channel(self, name: str, *, private: bool = False,
                    channel_id: str | None = None) -> str:
        """A channel called `name` (no #); its id (C..., as Slack gives private ones too)."""
        with self._lock:
            found = self._by_name(name)
            if found is not None:
                return found.id
            channel = FakeChannel(channel_id or f"C{next(self._ids):08d}", name.lstrip("#"),
                                  private)
            self.channels[channel.id] = channel
            return channel.id

    def _by_name(self, name: str) -> FakeChannel | None:
        name = name.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def rate_limit(self, method: str, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next `count` calls of `method` with 429 and Retry-After."""
        self._inject(method, _Injected(count, 429, "ratelimited", retry_after))

    def fail(self, method: str, count: int = 1, status: int = 500) -> None:
        """Answer the next `count` calls of `method` with HTTP `status`."""
        self._inject(method, _Injected(count, status, "internal_error"))

    def error(self, method: str, error: str = "channel_not_found", count: int = 1) -> None:
        """Answer the next `count` calls of `method` with HTTP 200 and ok=false."""
        self._inject(method, _Injected(count, 200, error))

    def _inject(self, method: str, injected: _Injected) -> None:
        with self._lock:
            self._injected.setdefault(method, []).append(injected)

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those of one method (or path)."""
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until `count` calls of `method` have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [r for r in self.requests if r.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({r.method for r in self.requests})
                    raise AssertionError(
                        f"{method}: {len(found)} call(s) after {timeout}s, wanted {count}; "
                        f"seen: {', '.join(seen) or 'nothing'}")
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- request handling --------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _record(self, request: RecordedRequest) -> _Injected | None:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            queue = self._injected.get(request.method)
            if queue:
                head = queue[0]
                head.remaining -= 1
                if head.remaining <= 0:
                    queue.pop(0)
                return head
        return None

    def _api(self, method: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if self.expected_token is not None and token != self.expected_token:
            return {"ok": False, "error": "invalid_auth"}
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(body)

    def _channel_id(self, channel: str) -> str:
        # A DM to a user id lands in an IM channel, as Slack answers it.
        if channel.startswith(("U", "W")):
            return "D" + channel[1:]
        if _is_id(channel):
            return channel
        return self.add_channel(channel)  # a name: the channel's id

    def _missing(self, needed: str) -> dict[str, Any] | None:
        """Slack's answer to a call the token lacks `needed` for, else None."""
        if self.scopes is None or needed in self.scopes:
            return None
        return {"ok": False, "error": "missing_scope", "needed": needed,
                "provided": ",".join(sorted(self.scopes))}

    def _m_conversations_list(self, body: dict[str, Any]) -> dict[str, Any]:
        """Channels of the requested types, a page of `limit` after `cursor`."""
        types = str(body.get("types") or "public_channel").split(",")
        for kind, needed in (("public_channel", "channels:read"),
                             ("private_channel", "groups:read")):
            if kind in types and (missing := self._missing(needed)):
                return missing
        with self._lock:
            found = [{"id": c.id, "name": c.name, "is_channel": True, "is_private": c.is_private,
                      "is_archived": False, "is_member": True}
                     for c in self.channels.values()
                     if ("private_channel" if c.is_private else "public_channel") in types]
        start = int(body.get("cursor") or 0)
        limit = max(1, min(int(body.get("limit") or 100), 1000))
        page = found[start:start + limit]
        more = start + limit < len(found)
        return {"ok": True, "channels": page,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _message(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts,
                   "text": body.get("text", "")}
        if "blocks" in body:
            message["blocks"] = body["blocks"]
        if isinstance(body.get("metadata"), dict):
            message["metadata"] = body["metadata"]
        return message

    def _m_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake-workspace.slack.com/", "team": "Fake",
                "user": "ai-cost", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _m_chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not body.get("text") and not body.get("blocks") and not body.get("attachments"):
            return {"ok": False, "error": "no_text"}
        channel, ts = self._channel_id(str(body["channel"])), self._next_ts()
        message = self._message(body, ts)
        with self._lock:
            self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = self._channel_id(str(body.get("channel", ""))), str(body.get("ts", ""))
        with self._lock:
            if (channel, ts) not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            message = self._message(body, ts)
            self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "text": body.get("text", ""),
                "message": message}

    def _m_conversations_history(self, body: dict[str, Any]) -> dict[str, Any]:
        """A channel's messages, newest first, between `oldest` and `latest` (inclusive or not);
        metadata only with include_all_metadata, as Slack answers."""
        channel = str(body.get("channel", ""))
        if not _is_id(channel):
            return {"ok": False, "error": "channel_not_found"}  # a name is not an id
        known = self.channels.get(channel)
        needed = "groups:history" if known and known.is_private else "channels:history"
        if missing := self._missing(needed):
            return missing
        latest, oldest = float(body.get("latest") or "inf"), float(body.get("oldest") or 0)
        inclusive = str(body.get("inclusive", "")).lower() in ("1", "true")
        metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [dict(m) for (c, ts), m in self.messages.items() if c == channel and (
                oldest <= float(ts) <= latest if inclusive else oldest < float(ts) < latest)]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        if not metadata:
            for m in found:
                m.pop("metadata", None)
        limit = int(body.get("limit") or 100)
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    def _m_chat_delete(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = self._channel_id(str(body.get("channel", ""))), str(body.get("ts", ""))
        with self._lock:
            if self.messages.pop((channel, ts), None) is None:
                return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _m_chat_postEphemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("channel") or not body.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_views_publish(self, body: dict[str, Any]) -> dict[str, Any]:
        user_id, view = body.get("user_id"), body.get("view")
        if not user_id or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        stored = {"id": f"V{next(self._ids):08d}", "team_id": TEAM_ID, **view}
        with self._lock:
            self.views[str(user_id)] = stored
        return {"ok": True, "view": stored}

    def _m_views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        view = body.get("view")
        if not body.get("trigger_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        stored = {"id": f"V{next(self._ids):08d}", "team_id": TEAM_ID, **view}
        return {"ok": True, "view": stored}

    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        return {"id": user.id, "team_id": TEAM_ID, "name": user.name, "real_name": user.name,
                "tz": user.tz, "tz_offset": user.tz_offset, "is_bot": False,
                "profile": {"email": user.email, "real_name": user.name,
                            "display_name": user.name}}

    def _m_users_lookupByEmail(self, body: dict[str, Any]) -> dict[str, Any]:
        email = str(body.get("email", "")).lower()
        for user in self.users.values():
            if user.email.lower() == email:
                return {"ok": True, "user": self._user_json(user)}
        return {"ok": False, "error": "users_not_found"}

    def _m_users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(body.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user_json(user)}

    def _m_conversations_open(self, body: dict[str, Any]) -> dict[str, Any]:
        users = str(body.get("users", "")).split(",")
        if not users or not users[0]:
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": self._channel_id(users[0])}}

    def _m_files_getUploadURLExternal(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("filename") or not body.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, body: dict[str, Any]) -> dict[str, Any]:
        files = body.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not files:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in files:
            if item["id"] not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            done.append({"id": item["id"], "title": item.get("title", ""),
                         "size": len(self.uploads[item["id"]])})
        return {"ok": True, "files": done}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: tests read `requests` instead

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                body: dict[str, Any] = dict(parse_qsl(parts.query))
                ctype = headers.get("content-type", "")
                if parts.path.startswith("/upload/"):
                    pass  # raw file bytes
                elif "json" in ctype and raw:
                    try:
                        loaded = json.loads(raw)
                        body.update(loaded if isinstance(loaded, dict) else {"_json": loaded})
                    except ValueError:
                        body["_invalid_json"] = raw.decode(errors="replace")
                elif raw:
                    body.update(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
                body = _decode_json_fields(body)
                is_api = parts.path.startswith("/api/")
                method = parts.path[len("/api/"):] if is_api else parts.path
                recorded = RecordedRequest(method=method, http_method=self.command,
                                           path=parts.path, headers=headers, body=body, raw=raw)
                injected = fake._record(recorded)
                if injected is not None and injected.status != 200:
                    extra = {"Retry-After": str(injected.retry_after)} if injected.retry_after \
                        else {}
                    self._send(injected.status, {"ok": False, "error": injected.error}, extra)
                    return
                if injected is not None:
                    self._send(200, {"ok": False, "error": injected.error})
                elif is_api:
                    self._send(200, fake._api(method, body, recorded.token))
                elif parts.path.startswith("/upload/"):
                    fake.uploads[parts.path.rsplit("/", 1)[1]] = raw
                    self._send_text(200, f"OK - {len(raw)}")
                elif parts.path.startswith(("/response/", "/hooks/")):
                    self._send_text(200, "ok")
                else:
                    self._send_text(404, "not found")

            def _send(self, status: int, payload: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _send_text(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
