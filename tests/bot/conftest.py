"""A running ai-cost server with the Slack app, talking to the fake Slack Web API."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import httpx
import pytest
import uvicorn
from rich.console import Console
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app import Services, create_app
from bot.demo import run_demo
from bot.server import create_server
from bot.services.swap_actions import SwapActions
from bot.slack_http import events_endpoint
from config.organisation import Organisation, load_organisation
from config.settings import Settings
from storage.db import make_engine
from tests.clock import SUITE_NOW, WEEK, at
from tests.fakes.signing import (
    block_action_payload,
    interaction_body,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET, SLACK_TEST_TOKEN

if TYPE_CHECKING:
    from tests.conftest import SeededUrl

# Wednesday of the week after, noon UTC: daytime in Berlin, Chicago, London and New York.
NOON = at(WEEK, 9, 12).timestamp()
HOOK_SECRET = "hook-secret"
PEOPLE = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE",
          "erin": "U0ERIN", "frank": "U0FRANK", "grace": "U0GRACE", "heidi": "U0HEIDI",
          "ivan": "U0IVAN", "judy": "U0JUDY"}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class SlackWorld:
    url: str
    slack: FakeSlackApi
    app: App
    engine: Engine
    organisation: Organisation
    clock: Clock
    hook_calls: list[dict[str, Any]]

    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined, no-any-return]

    def post(self, body: str, *, timestamp: float | None = None,
             secret: str = SLACK_TEST_SIGNING_SECRET,
             headers: dict[str, str] | None = None) -> httpx.Response:
        sent = signed_headers(body, secret=secret, timestamp=timestamp)
        sent.update(headers or {})
        return httpx.post(f"{self.url}/slack/events", content=body, headers=sent, timeout=10)

    def command(self, text: str, *, user: str = "alice", token: str | None = None
                ) -> httpx.Response:
        token = token or f"cmd-{time.monotonic_ns()}"
        return self.post(slash_command_body(text=text, user_id=PEOPLE[user], user_name=user,
                                            response_url=self.slack.response_url(token)))

    def answer(self, text: str, *, user: str = "alice") -> dict[str, Any]:
        token = f"cmd-{time.monotonic_ns()}"
        response = self.command(text, user=user, token=token)
        assert response.status_code == 200, response.text
        [call] = self.slack.wait_for(f"/response/{token}")
        return call.body

    def click(self, action_id: str, suggestion_id: int, *, user: str, channel: str = "C0NLP",
              message_ts: str = "1.000001", blocks: list[dict[str, Any]] | None = None,
              token: str | None = None) -> httpx.Response:
        payload = block_action_payload(
            action_id=action_id, value=str(suggestion_id), user_id=PEOPLE[user],
            channel_id=channel, message_ts=message_ts, blocks=blocks,
            response_url=self.slack.response_url(token or f"act-{time.monotonic_ns()}"))
        return self.post(interaction_body(payload))


def _free_server(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def seed_week(engine: Engine, organisation: Organisation, tmp_path: Path, *, gpus: int = 16,
              days: float = 2.0) -> None:
    """WEEK simulated by `ai-cost demo`'s path, on the suite's clock: ingested, rolled up,
    judged."""
    settings = Settings(database_url="sqlite://", out_dir=tmp_path / "out", now=SUITE_NOW)
    with open(os.devnull, "w") as quiet:
        run_demo(settings=settings, organisation=organisation, engine=engine, week=WEEK,
                 gpus=gpus, seed=7, days=days, console=Console(file=quiet))


def _demo_week(engine: Engine, scratch: Path) -> None:
    # The data only: the digests' Block Kit files and PNG charts in out/ are for people.
    with mock.patch("bot.demo.write_digests"):
        seed_week(engine, load_organisation(None), scratch)


@pytest.fixture
def demo_engine(seeded_url: SeededUrl) -> Iterator[Engine]:
    """An engine on this test's own copy of the demo's WEEK (simulated once per session)."""
    engine = make_engine(seeded_url("demo-week", _demo_week))
    yield engine
    engine.dispose()


@pytest.fixture
def slack_world(demo_engine: Engine, organisation: Organisation, slack_api: FakeSlackApi,
                tmp_path: Path) -> Iterator[SlackWorld]:
    engine = demo_engine
    hook_calls: list[dict[str, Any]] = []
    nlp = organisation.team("nlp")
    assert nlp is not None
    nlp.swap_action = {"type": "webhook", "url": slack_api.hook_url("swap"),
                       "secret_env": "NLP_SWAP_SECRET"}
    for name, user_id in PEOPLE.items():
        slack_api.add_user(user_id=user_id, email=f"{name}@example.org",
                           tz="America/New_York" if name == "judy" else "Europe/Berlin")
    settings = Settings(slack_bot_token=SLACK_TEST_TOKEN,
                        slack_signing_secret=SLACK_TEST_SIGNING_SECRET,
                        slack_api_url=slack_api.api_url)
    clock = Clock(NOON)
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url)
    actions = SwapActions(environ={"NLP_SWAP_SECRET": HOOK_SECRET}, sleep=lambda s: None,
                          clock=clock)
    app = create_app(settings, organisation, engine, client=client, clock=clock,
                     actions=actions)
    asgi = create_server(settings, organisation, engine, routes=[events_endpoint(app)])
    server, thread, url = _free_server(asgi)
    try:
        yield SlackWorld(url=url, slack=slack_api, app=app, engine=engine,
                         organisation=organisation, clock=clock, hook_calls=hook_calls)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
