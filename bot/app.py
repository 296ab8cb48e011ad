"""The Slack app: `create_app` builds a Bolt App with every surface registered.

Listeners acknowledge at once (no database work before the ack) and do the rest in lazy
listeners, answering through response_url or the Web API. HTTP requests are verified with
the signing secret (5-minute window); Socket Mode needs no public URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.listeners import actions as action_listeners
from bot.listeners import commands as command_listeners
from bot.listeners import events as event_listeners
from bot.listeners import views as view_listeners
from bot.services.approvals import Approvals
from bot.services.commands import CommandService
from bot.services.directory import Directory
from bot.services.home import HomeService
from bot.services.nudges import Nudges
from bot.services.swap_actions import SwapActions
from bot.services.team_view import TeamViews
from bot.slack_http import error_response
from config.organisation import Organisation
from config.settings import Settings

log = logging.getLogger("ai_cost.slack")


class SlackSetupError(ValueError):
    """The Slack settings are missing or unusable."""


@dataclass(slots=True)
class Services:
    """What the listeners call, shared (never copied) between an ack and its lazy work."""

    commands: CommandService
    approvals: Approvals
    home: HomeService
    nudges: Nudges
    views: TeamViews
    directory: Directory

    def __copy__(self) -> Services:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Services:
        return self


def web_client(settings: Settings) -> WebClient:
    """The Web API client of the bot token, at SLACK_API_URL when set."""
    if not settings.slack_bot_token:
        raise SlackSetupError("SLACK_BOT_TOKEN is not set: the bot token (xoxb-...) of the "
                              "installed app")
    base_url = settings.slack_api_url or WebClient.BASE_URL
    return WebClient(token=settings.slack_bot_token, base_url=base_url.rstrip("/") + "/")


def build_services(*, organisation: Organisation, engine: Engine, client: WebClient,
                   clock: Callable[[], float] = time.time,
                   actions: SwapActions | None = None, cache_s: float = 60.0,
                   settings: Settings | None = None) -> Services:
    directory = Directory(organisation=organisation, client=client)
    team_views = TeamViews(organisation=organisation, clock=clock, cache_s=cache_s)
    return Services(
        commands=CommandService(organisation=organisation, engine=engine, directory=directory,
                                views=team_views, clock=clock, settings=settings),
        approvals=Approvals(organisation=organisation, engine=engine, directory=directory,
                            actions=actions or SwapActions(clock=clock), clock=clock,
                            on_change=team_views.forget),
        home=HomeService(engine=engine, directory=directory, views=team_views),
        nudges=Nudges(organisation=organisation, engine=engine, client=client,
                      directory=directory, views=team_views, clock=clock),
        views=team_views, directory=directory)


def create_app(settings: Settings, organisation: Organisation, engine: Engine,
               client: WebClient | None = None, clock: Callable[[], float] = time.time, *,
               actions: SwapActions | None = None, cache_s: float = 60.0,
               socket_mode: bool = False) -> App:
    """The Bolt app with every listener registered; nothing touches Slack until a request."""
    if not socket_mode and not settings.slack_signing_secret:
        raise SlackSetupError("SLACK_SIGNING_SECRET is not set: Slack's requests cannot be "
                              "verified (Basic Information > App Credentials)")
    client = client or web_client(settings)
    app = App(client=client, signing_secret=settings.slack_signing_secret or "socket-mode",
              token_verification_enabled=False, request_verification_enabled=not socket_mode,
              # Over HTTP the ack is the response; slow work runs in lazy listeners.
              process_before_response=not socket_mode, logger=log)
    services = build_services(organisation=organisation, engine=engine, client=client,
                              clock=clock, actions=actions, cache_s=cache_s, settings=settings)

    @app.middleware
    def inject_services(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        context["services"] = services
        next()

    @app.error
    def report_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        log.error("Slack listener failed on %s: %s", body.get("type") or body.get("command"),
                  error, exc_info=error)
        return error_response(error)  # 503 when the database is down, else 400: never a 500

    for surface in (command_listeners, action_listeners, view_listeners, event_listeners):
        surface.register(app)
    app.services = services  # type: ignore[attr-defined]  # for the nudge scheduler and tests
    return app
