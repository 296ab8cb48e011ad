"""POST /slack/events under bad input and a database outage: sized before it is read, refused
with a reason, and a slash command acknowledged during an outage still gets an answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from starlette.testclient import TestClient

from bot.app import create_app, web_client
from bot.server import create_server
from bot.slack_http import MAX_BODY_BYTES, events_endpoint
from config.organisation import Organisation
from config.settings import Settings
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET, SLACK_TEST_TOKEN

SECRET = SLACK_TEST_SIGNING_SECRET


def slack_settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return Settings(database_url=database_url, slack_bot_token=SLACK_TEST_TOKEN,
                    slack_signing_secret=SECRET, slack_api_url=slack_api.api_url)


@pytest.fixture
def client(database_url: str, engine: Engine, organisation: Organisation,
           slack_api: FakeSlackApi) -> TestClient:
    app = create_server(slack_settings(database_url, slack_api), organisation, engine)
    return TestClient(app, raise_server_exceptions=False)


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient) -> None:
    declared = client.post("/slack/events", content=b"x" * 10,
                           headers={"Content-Length": str(256 << 20)})
    assert declared.status_code == 413

    sent = {"bytes": 0}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body streams in pieces
        for _ in range(64):
            sent["bytes"] += 64 << 10
            yield b"x" * (64 << 10)

    streamed = client.post("/slack/events", content=chunks())
    assert streamed.status_code == 413
    assert "payload over" in streamed.json()["error"]
    assert MAX_BODY_BYTES < 4 << 20


@pytest.mark.parametrize("stamp", ["abc", "12.5", "-1", "1" * 40, ""])
def test_a_timestamp_that_is_not_unix_seconds_is_a_401(client: TestClient, stamp: str) -> None:
    body = slash_command_body(text="help")
    headers = {**signed_headers(body, secret=SECRET), "X-Slack-Request-Timestamp": stamp}
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize("body, content_type", [
    ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    ("[1, 2]", "application/json"),
    ('{"type": "block_actions", "actions": "not a list", "user": 5}', "application/json"),
    ("payload=" + json.dumps({"type": "view_submission", "view": [1]}),
     "application/x-www-form-urlencoded"),
])
def test_a_signed_payload_of_the_wrong_shape_is_a_400(client: TestClient, body: str,
                                                      content_type: str) -> None:
    response = client.post("/slack/events", content=body,
                           headers=signed_headers(body, secret=SECRET, content_type=content_type))
    assert response.status_code == 400, response.text
    assert "error" in response.json()


def test_a_slash_command_during_a_database_outage_is_answered_with_the_reason(
        database_url: str, engine: Engine, organisation: Organisation,
        slack_api: FakeSlackApi, tmp_path: Path) -> None:
    settings = slack_settings(database_url, slack_api)
    down = create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'ai-cost.db'}")
    bolt = create_app(settings, organisation, down, client=web_client(settings))
    app = create_server(settings, organisation, engine, routes=[events_endpoint(bolt)],
                        slack_events=False)
    body = slash_command_body(text="", response_url=slack_api.response_url("outage"))
    response = TestClient(app).post("/slack/events", content=body,
                                    headers=signed_headers(body, secret=SECRET))
    assert response.status_code == 200  # acknowledged at once
    [answer] = slack_api.wait_for("/response/outage")
    assert "cannot answer just now" in answer.body["text"]
    assert "database" in answer.body["text"]
