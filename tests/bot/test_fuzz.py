"""Property-based fuzz of POST /ingest and POST /slack/events: whatever arrives, never a 5xx.

Derandomized (the same examples every run) and a few hundred each, so the suite stays fast and
deterministic. Bodies mix well-formed batches and payloads with wrong types, control characters,
lone surrogates, huge and non-finite numbers, deep nesting and bytes that are not UTF-8.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from starlette.testclient import TestClient

from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from tests.clock import SUITE_NOW
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET, SLACK_TEST_TOKEN

NOW = SUITE_NOW.timestamp()
FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
NASTY_TEXT = st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x\udcff", "\n", "é" * 300,
                              "GPU-' OR 1=1 --", "x" * 5000, "\u202e", "🙂"])
TEXT = st.one_of(st.text(max_size=20), NASTY_TEXT)
NUMBER = st.one_of(st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                   st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([10 ** 400, -1, 0, 1e308, NOW, NOW + 10 ** 6]))
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSONISH = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def _good_sample(i: int) -> dict[str, Any]:
    return {"gpu_uuid": f"GPU-fuzz-{i % 3}", "node": "node-f", "ts": NOW - 600 + i,
            "util_pct": 40, "mem_used_mib": 100, "power_w": 150, "energy_j": 1000 + i,
            "job": f"job-{i % 2}", "gpu_type": "NVIDIA L4", "mem_total_mib": 23034}


SAMPLE_KEYS = list(_good_sample(0)) + ["units"]
JOB_KEYS = ["external_id", "job_id", "name", "user", "team", "account", "command", "image",
            "model", "task", "kind", "precision", "batch_size", "gpus_requested", "recurrence"]


@st.composite
def samples(draw: st.DrawFn) -> Any:
    base = _good_sample(draw(st.integers(0, 500)))
    for key in draw(st.lists(st.sampled_from(SAMPLE_KEYS), max_size=3)):
        base[key] = draw(JSONISH)
    return draw(st.one_of(st.just(base), JSONISH)) if draw(st.booleans()) else base


@st.composite
def jobs(draw: st.DrawFn) -> Any:
    job: dict[str, Any] = {"external_id": draw(st.one_of(TEXT, NUMBER))}
    for key in draw(st.lists(st.sampled_from(JOB_KEYS), max_size=4)):
        job[key] = draw(JSONISH)
    return job


@st.composite
def ingest_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["batch", "batch", "batch", "json", "bytes", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        depth = draw(st.integers(10, 200_000))
        return b"[" * depth + b"]" * draw(st.sampled_from([depth, 0]))
    if kind == "json":
        return json.dumps(draw(JSONISH)).encode()
    body: dict[str, Any] = {"samples": draw(st.lists(samples(), max_size=12)),
                            "jobs": draw(st.lists(jobs(), max_size=4))}
    for key in draw(st.lists(st.sampled_from(["source", "cluster", "rejected"]), max_size=2)):
        body[key] = draw(JSONISH)
    return json.dumps(body).encode()


@pytest.fixture
def ingest(database_url: str, engine: Engine, organisation: Organisation) -> TestClient:
    app = create_server(Settings(database_url=database_url), organisation, engine,
                        clock=lambda: NOW)
    return TestClient(app, raise_server_exceptions=False)


def test_ingest_never_answers_5xx(ingest: TestClient) -> None:
    headers = {"Authorization": "Bearer demo-frankfurt-token",
               "Content-Type": "application/json"}
    seen: set[int] = set()

    @FUZZ
    @given(ingest_bodies())
    def post(raw: bytes) -> None:
        response = ingest.post("/ingest", content=raw, headers=headers)
        seen.add(response.status_code)
        assert response.status_code < 500, (raw[:300], response.text[:300])

    post()
    assert {200, 400, 422} <= seen  # the fuzz reached storing, refusing and rejecting


INTERACTION_TYPES = ["block_actions", "view_submission", "view_closed", "shortcut",
                     "message_action", "block_suggestion", "interactive_message", "event_callback",
                     "url_verification", "app_rate_limited"]


def _utf8(text: str) -> str:
    """What a form can carry of `text`: lone surrogates replaced."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@st.composite
def slack_bodies(draw: st.DrawFn, response_url: str) -> tuple[str | bytes, str]:
    """A body Slack could post (or a forger), and its content type."""
    kind = draw(st.sampled_from(["command", "payload", "event", "garbage"]))
    if kind == "command":
        return slash_command_body(text=_utf8(draw(TEXT)), user_id=_utf8(draw(TEXT)) or "U1",
                                  response_url=response_url), "application/x-www-form-urlencoded"
    if kind == "garbage":
        garbage = draw(st.one_of(st.binary(max_size=100), TEXT))
        if isinstance(garbage, str):
            garbage = garbage.encode("utf-8", "surrogatepass")
        return garbage, draw(st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain"]))
    payload = draw(st.dictionaries(TEXT, JSONISH, max_size=5))
    payload["type"] = draw(st.one_of(st.sampled_from(INTERACTION_TYPES), JSONISH))
    for key in draw(st.lists(st.sampled_from(["user", "team", "actions", "view", "event",
                                              "authorizations", "container", "channel"]),
                             max_size=3)):
        payload[key] = draw(JSONISH)
    if kind == "event":
        return json.dumps(payload), "application/json"
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def test_slack_events_never_answer_5xx(database_url: str, engine: Engine,
                                       organisation: Organisation,
                                       slack_api: FakeSlackApi) -> None:
    settings_ = Settings(database_url=database_url, slack_bot_token=SLACK_TEST_TOKEN,
                         slack_signing_secret=SLACK_TEST_SIGNING_SECRET,
                         slack_api_url=slack_api.api_url)
    client = TestClient(create_server(settings_, organisation, engine),
                        raise_server_exceptions=False)
    seen: set[int] = set()

    @FUZZ
    @given(slack_bodies(slack_api.response_url()), st.sampled_from(["signed", "signed",
                                                                     "unsigned", "bad-ts"]))
    def post(body_and_type: tuple[str | bytes, str], how: str) -> None:
        body, content_type = body_and_type
        headers = signed_headers(body, secret=SLACK_TEST_SIGNING_SECRET,
                                 content_type=content_type)
        if how == "unsigned":
            headers.pop("X-Slack-Signature")
        elif how == "bad-ts":
            headers["X-Slack-Request-Timestamp"] = "abc" if len(body) % 2 else "12.5e3"
        response = client.post("/slack/events", content=body, headers=headers)
        seen.add(response.status_code)
        assert response.status_code < 500, (body[:300], response.text[:300])

    post()
    assert {200, 400, 401} <= seen
