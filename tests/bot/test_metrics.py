"""The server's /metrics after real requests: routes, rejections by reason, Slack errors."""

from __future__ import annotations

import json
import time

from sqlalchemy import Engine
from starlette.testclient import TestClient

from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.ingest import reason_key
from tests.bot.metrics_page import sample
from tests.bot.test_server import NOW, TOKEN
from tests.bot.test_server import sample as gpu_sample
from tests.fakes.signing import signed_headers
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET, SLACK_TEST_TOKEN


def test_a_rejected_batch_is_counted_by_reason_and_route(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    client = TestClient(create_server(Settings(database_url=database_url), organisation,
                                      engine, clock=lambda: NOW))
    batch = {"samples": [gpu_sample(0), gpu_sample(1, util_pct=140), gpu_sample(2, util_pct=150),
                         gpu_sample(3, ts=NOW + 3600)]}
    response = client.post("/ingest", json=batch, headers=TOKEN)
    assert response.status_code == 422
    reasons = [r["reason"] for r in response.json()["rejected"]]
    assert client.post("/ingest", json=batch, headers={}).status_code == 401
    assert client.get("/no/such/page").status_code == 404
    page = client.get("/metrics").text

    cluster = {"cluster": "frankfurt-k8s", "source": "ingest"}
    assert reason_key(reasons[0]) == reason_key(reasons[1])  # 140 and 150: one reason
    assert sample(page, "ai_cost_ingest_rejections_total", **cluster,
                  reason="invalid_util_pct") == 2
    assert sample(page, "ai_cost_ingest_rejections_total", **cluster, reason="future") == 1
    refused = sample(page, "ai_cost_ingest_rejections_total", cluster="other", source="ingest",
                     reason="http_401")
    assert refused == 1
    assert sample(page, "ai_cost_http_requests_total", route="/ingest", method="POST",
                  status="422") == 1
    assert sample(page, "ai_cost_http_requests_total", route="/ingest", method="POST",
                  status="401") == 1
    assert sample(page, "ai_cost_http_requests_total", route="<unmatched>", method="GET",
                  status="404") == 1
    assert sample(page, "ai_cost_ingest_samples_total", cluster="frankfurt-k8s",
                  outcome="rejected") == 3
    assert sample(page, "ai_cost_http_request_duration_seconds_count", route="/ingest") == 2


def test_slack_events_are_counted_and_the_apps_slack_errors_too(
        database_url: str, engine: Engine, organisation: Organisation,
        slack_api: FakeSlackApi) -> None:
    settings = Settings(database_url=database_url, slack_bot_token=SLACK_TEST_TOKEN,
                        slack_signing_secret=SLACK_TEST_SIGNING_SECRET,
                        slack_api_url=slack_api.api_url)
    client = TestClient(create_server(settings, organisation, engine))
    slack_api.add_user(user_id="U0ALICE", email="alice@example.org")
    slack_api.error("views.publish", "invalid_blocks")
    body = json.dumps({"type": "event_callback", "team_id": "T0", "api_app_id": "A0",
                       "event_id": "Ev1", "event_time": int(time.time()),
                       "event": {"type": "app_home_opened", "user": "U0ALICE", "tab": "home",
                                 "channel": "D0"}})
    response = client.post("/slack/events", content=body,
                           headers={**signed_headers(body, secret=SLACK_TEST_SIGNING_SECRET),
                                    "Content-Type": "application/json"})
    assert response.status_code == 200
    forged = client.post("/slack/events", content=body,
                         headers=signed_headers(body, secret="not-the-secret"))
    assert forged.status_code == 401
    slack_api.wait_for("views.publish")  # the App Home is published by a lazy listener
    deadline = time.monotonic() + 10
    while True:
        page = client.get("/metrics").text
        errors = sample(page, "ai_cost_slack_api_errors_total", method="views.publish",
                        error="invalid_blocks")
        if errors or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert errors == 1
    assert sample(page, "ai_cost_http_requests_total", route="/slack/events", method="POST",
                  status="200") == 1
    assert sample(page, "ai_cost_http_requests_total", route="/slack/events", method="POST",
                  status="401") == 1
