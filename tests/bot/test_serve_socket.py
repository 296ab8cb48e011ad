"""`ai-cost serve` with SLACK_APP_TOKEN: the HTTP server and Socket Mode in one process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from slack_bolt import BoltRequest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.cli.collect import build_server
from config.organisation import Organisation
from config.settings import Settings
from tests.bot.metrics_page import sample
from tests.fakes.signing import signed_headers
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET, SLACK_TEST_TOKEN

HOME_OPENED = {"type": "event_callback", "team_id": "T0", "api_app_id": "A0", "event_id": "Ev1",
               "event_time": 1, "event": {"type": "app_home_opened", "user": "U0ALICE",
                                          "tab": "home", "channel": "D0"}}


def settings(database_url: str, slack_api: FakeSlackApi, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, slack_bot_token=SLACK_TEST_TOKEN,
                    slack_signing_secret=SLACK_TEST_SIGNING_SECRET,
                    slack_api_url=slack_api.api_url, **overrides)


def test_with_an_app_token_slack_comes_over_the_socket_not_http(
        database_url: str, engine: Engine, organisation: Organisation,
        slack_api: FakeSlackApi) -> None:
    connected: list[Any] = []
    app, handler = build_server(settings(database_url, slack_api, slack_app_token="xapp-1"),
                                organisation, engine, connect=connected.append)
    assert handler is not None and connected == [handler]
    try:
        client = TestClient(app)
        assert client.get("/healthz").json() == {"status": "ok"}
        body = json.dumps(HOME_OPENED)
        # no /slack/events: Slack's requests come over the socket
        assert client.post("/slack/events", content=body, headers=signed_headers(
            body, secret=SLACK_TEST_SIGNING_SECRET)).status_code == 404
        # what arrives on the socket reaches the same listeners; Slack's errors are counted
        slack_api.add_user(user_id="U0ALICE", email="alice@example.org")
        slack_api.error("views.publish", "not_authed")
        response = handler.app.dispatch(BoltRequest(body=HOME_OPENED, mode="socket_mode"))
        assert response.status == 200
        slack_api.wait_for("views.publish")
        deadline, errors = time.monotonic() + 10, None
        while not errors and time.monotonic() < deadline:
            errors = sample(client.get("/metrics").text, "ai_cost_slack_api_errors_total",
                            method="views.publish", error="not_authed")
            time.sleep(0.05)
        assert errors == 1
    finally:
        handler.close()


def test_no_socket_keeps_slack_on_http(database_url: str, engine: Engine,
                                       organisation: Organisation,
                                       slack_api: FakeSlackApi) -> None:
    def refuse(handler: Any) -> None:
        raise AssertionError("--no-socket must not connect")

    app, handler = build_server(settings(database_url, slack_api, slack_app_token="xapp-1"),
                                organisation, engine, socket_mode=False, connect=refuse)
    assert handler is None
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"})
    response = TestClient(app).post("/slack/events", content=body, headers=signed_headers(
        body, secret=SLACK_TEST_SIGNING_SECRET, content_type="application/json"))
    assert response.status_code == 200 and response.json() == {"challenge": "abc"}


def test_serve_stops_with_one_line_when_slack_cannot_be_reached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    env = {"AI_COST_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test",
           "SLACK_API_URL": "http://127.0.0.1:9/api/", "COLUMNS": "300"}  # nothing listens
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert "cannot reach Slack" in line and "Socket Mode" in line
    assert served == []  # the HTTP server never started half-configured
    no_socket = CliRunner().invoke(cli, ["serve", "--no-socket"], env=env)
    assert no_socket.exit_code == 0, no_socket.output
    assert len(served) == 1
