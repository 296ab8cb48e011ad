"""Slack over HTTP and over Socket Mode.

`slack_routes` gives the Starlette route POST /slack/events (slash commands, interactivity and
events share it); Bolt runs in the thread pool, so the event loop keeps serving while a
listener acks. `run_socket_mode` connects out to Slack instead (needs SLACK_APP_TOKEN).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import count_api_errors
from config.organisation import Organisation
from config.settings import Settings
from storage.outage import unavailable

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

MAX_BODY_BYTES = 1 << 20  # Slack's payloads are a few kB; a view submission at most ~100 kB
RETRY_AFTER_S = 10
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
log = logging.getLogger("ai_cost.slack")


class _TooLarge(Exception):
    pass


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, read no further than `limit` bytes (_TooLarge past it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse(status: int, error: str) -> Response:
    return JSONResponse({"error": error}, status_code=status)


def error_response(error: Exception) -> BoltResponse:
    """What Slack gets when a listener or middleware failed on its request (never a 500).

    The database unavailable: 503 with Retry-After, so Slack tries again; Slack's Web API
    unreachable: 502. Anything else was raised by this request's content (a signed payload
    of an unexpected shape): 400.
    """
    reason = unavailable(error)
    if reason is not None:
        return BoltResponse(status=503, body=json.dumps({"error": reason}),
                            headers={"Content-Type": "application/json",
                                     "Retry-After": str(RETRY_AFTER_S)})
    if isinstance(error, OSError):  # urllib's URLError and socket errors: Slack unreachable
        return BoltResponse(status=502, body=json.dumps(
            {"error": f"Slack's Web API cannot be reached: {error}"[:300]}),
            headers={"Content-Type": "application/json"})
    return BoltResponse(status=400, body=json.dumps(
        {"error": f"this request could not be handled ({type(error).__name__})"}),
        headers={"Content-Type": "application/json"})


def events_endpoint(app: App) -> Route:
    """POST /slack/events answered by `app`.

    The body is size-checked while it is read; a timestamp that is not Unix seconds is refused
    (401), a body that is not a Slack payload too (400), before Bolt sees either.
    """

    async def handle(request: Request) -> Response:
        try:
            body = await _read_limited(request, MAX_BODY_BYTES)
        except _TooLarge:
            return _refuse(413, f"payload over {MAX_BODY_BYTES} bytes")
        stamp = request.headers.get("x-slack-request-timestamp")
        if stamp is not None and not _TIMESTAMP.fullmatch(stamp):
            return _refuse(401, "invalid request: X-Slack-Request-Timestamp is not Unix seconds")
        collected: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            collected.setdefault(key.lower(), []).append(value)
        headers: dict[str, str | Sequence[str]] = dict(collected)
        try:
            bolt_request = BoltRequest(body=body.decode("utf-8", errors="replace"),
                                       query=request.url.query, headers=headers)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError,
                RecursionError) as exc:
            return _refuse(400, f"not a Slack payload ({type(exc).__name__})")
        if not isinstance(bolt_request.body, dict):
            return _refuse(400, "not a Slack payload (not an object)")
        result = await run_in_threadpool(app.dispatch, bolt_request)
        return Response(content=result.body, status_code=result.status,
                        headers=result.first_headers_without_set_cookie())

    return Route("/slack/events", handle, methods=["POST"])


def slack_routes(settings: Settings, organisation: Organisation, engine: Engine, *,
                 api_errors: Counter | None = None) -> list[BaseRoute]:
    """[POST /slack/events] when the bot token and signing secret are set, else [].

    With `api_errors`, the app's failed Slack API calls are counted there.
    """
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return []
    from bot.app import create_app, web_client

    client = web_client(settings)
    if api_errors is not None:
        count_api_errors(client, api_errors)
    return [events_endpoint(create_app(settings, organisation, engine, client=client))]


Connect = Callable[["SocketModeHandler"], None]


def _connect(handler: SocketModeHandler) -> None:
    handler.connect()


def start_socket_mode(settings: Settings, organisation: Organisation, engine: Engine, *,
                      api_errors: Counter | None = None,
                      connect: Connect | None = None) -> SocketModeHandler:
    """Connect the Bolt app to Slack over Socket Mode; the handler, whose threads serve it.

    Raises SlackSetupError without SLACK_APP_TOKEN and ConnectionError when Slack refuses or
    cannot be reached. `connect` opens the connection (tests pass their own).
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    from bot.app import SlackSetupError, create_app, web_client

    if not settings.slack_app_token:
        raise SlackSetupError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level "
                              "token (xapp-...) with connections:write")
    client = web_client(settings)
    if api_errors is not None:
        count_api_errors(client, api_errors)
    app = create_app(settings, organisation, engine, client=client, socket_mode=True)
    handler = SocketModeHandler(app, app_token=settings.slack_app_token, web_client=client)
    try:
        (connect or _connect)(handler)
    except SlackApiError as exc:
        raise ConnectionError(f"Slack refused the Socket Mode connection: "
                              f"{_error(exc.response)}") from exc
    except OSError as exc:
        raise ConnectionError(f"cannot reach Slack at {client.base_url} to open a Socket Mode "
                              f"connection: {exc}") from exc
    from slack_bolt.util.utils import get_boot_message

    app.logger.info(get_boot_message())
    return handler


def _error(response: Any) -> str:
    return str(response.get("error") if hasattr(response, "get") else response)


def run_socket_mode(settings: Settings, organisation: Organisation, engine: Engine) -> None:
    """Serve Slack over Socket Mode until interrupted; ConnectionError when Slack is unreachable."""
    handler = start_socket_mode(settings, organisation, engine)
    try:
        threading.Event().wait()
    finally:
        handler.close()
