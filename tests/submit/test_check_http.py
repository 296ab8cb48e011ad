"""POST /api/v1/check over real HTTP: what Slurm's job_submit plugin and scripts send, the
warnings they print, the recorded warnings and the counted refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.server import create_server
from bot.submit_http import OUTCOMES
from config.organisation import Organisation
from config.settings import Settings
from storage.db import make_engine, session
from storage.models import SubmitWarning
from tests.bot.metrics_page import sample as metric
from tests.clock import SUITE_NOW
from tests.live_server import free_port, running

TOKEN = "demo-iowa-token"  # iowa-hpc, the example organisation's Slurm cluster
OVERSIZED = {"job_name": "llama3-70b-sentiment", "source": "slurm", "user": "alice",
             "team": "nlp", "gpus": 8, "gpu_type": "a100", "time_limit_s": 86400,
             "command": "python classify.py --model meta-llama/Meta-Llama-3-70B "
                        "--task sentiment"}


def post(base: str, body: dict[str, Any] | bytes, token: str | None = TOKEN) -> httpx.Response:
    content = body if isinstance(body, bytes) else httpx.Request(
        "POST", base, json=body).content
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(base + "/api/v1/check", content=content, headers=headers, timeout=60)


def stored(engine: Engine) -> list[SubmitWarning]:
    with session(engine) as s:
        return list(s.exec(select(SubmitWarning).order_by(col(SubmitWarning.id))).all())


def counted(base: str) -> dict[str, float | None]:
    page = httpx.get(base + "/metrics", timeout=30).text
    return {o: metric(page, "ai_cost_submit_checks_total", outcome=o) for o in OUTCOMES}


@pytest.fixture
def server(database_url: str, engine: Engine, organisation: Organisation) -> Iterator[str]:
    app = create_server(Settings(database_url=database_url), organisation, engine,
                        clock=SUITE_NOW.timestamp, slack_events=False)
    with running(app) as base:
        yield base


def test_an_oversized_request_is_warned_and_recorded(server: str, engine: Engine) -> None:
    response = post(server, OVERSIZED)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"warnings", "deny", "kinds", "suggestion", "est_saved_usd_week",
                         "currency"}
    assert body["kinds"] == ["oversized_model"] and body["deny"] is False
    assert body["warnings"][0].startswith("ai-cost: llama3-70b-sentiment looks like text "
                                          "classification")
    assert body["suggestion"]["kind"] == "model_swap" and body["currency"] == "USD"
    assert body["est_saved_usd_week"] > 0
    (row,) = stored(engine)
    assert (row.source, row.cluster, row.team, row.user, row.job_name) == (
        "slurm", "iowa-hpc", "nlp", "alice", "llama3-70b-sentiment")
    assert row.kinds == ["oversized_model"] and row.outcome is None
    assert row.est_saved_usd_week == pytest.approx(body["est_saved_usd_week"], abs=0.01)
    assert row.request["gpus"] == 8 and row.warnings == body["warnings"]
    assert counted(server)["warned"] == 1


def test_a_right_sized_request_passes_and_is_not_recorded(server: str, engine: Engine) -> None:
    response = post(server, {"job_name": "resnet50-train", "gpus": 1, "gpu_type": "a100",
                             "command": "python train.py --model resnet50 --precision bf16"})
    assert response.status_code == 200
    assert response.json()["warnings"] == [] and response.json()["kinds"] == []
    assert stored(engine) == []
    assert counted(server)["passed"] == 1


def test_fp32_and_notebooks_in_the_command_are_read_as_check_reads_them(server: str) -> None:
    # the Slurm plugin sends the script's command lines, not a precision field
    response = post(server, {"job_name": "fp32-train", "gpus": 1, "gpu_type": "a100",
                             "command": "python train.py --precision fp32"})
    assert response.status_code == 200, response.text
    assert response.json()["kinds"] == ["fp32"]
    notebook = post(server, {"job_name": "explore", "gpus": 8, "gpu_type": "a100",
                             "command": "jupyter lab --no-browser --port 8888"})
    assert notebook.json()["kinds"] == ["notebook_gpus"]


def test_bad_bodies_and_tokens_get_their_reason_and_are_counted(
        server: str, engine: Engine) -> None:
    before = counted(server)
    assert all(v == 0 for v in before.values()), before  # every outcome shown, from 0
    cases = [
        (post(server, b'{"job_name": "x", "gpus": '), 400, "not valid JSON", "bad_json"),
        (post(server, {"job_name": "x", "gpus": "eight"}), 400, "gpus must be", "bad_request"),
        (post(server, {"job_name": "x", "gpu_count": 8}), 400, "unknown field 'gpu_count'",
         "bad_request"),
        (post(server, {**OVERSIZED, "gpus": 10**20}), 400, "gpus must be at most 1,000,000",
         "bad_request"),  # no estimate of sextillions of dollars
        (post(server, {**OVERSIZED, "cluster": "frankfurt-k8s"}), 400,
         "not the token's cluster", "bad_request"),
        (post(server, OVERSIZED, token=None), 401, "missing bearer token", "unauthorized"),
        (post(server, OVERSIZED, token="guess"), 401, "unknown token", "unauthorized"),
        (post(server, b"{" + b" " * (70 * 1024) + b"}"), 413, "over 64 KiB", "too_large"),
    ]
    for response, status, reason, _ in cases:
        assert response.status_code == status, response.text
        assert reason in response.json()["error"]
    after = counted(server)
    for outcome in ("bad_json", "bad_request", "unauthorized", "too_large"):
        assert after[outcome] == sum(1 for *_, o in cases if o == outcome), outcome
    assert stored(engine) == []


def test_a_denied_rule_says_so_and_the_database_down_still_warns(
        organisation: Organisation) -> None:
    strict = organisation.model_copy(update={"submit": organisation.submit.model_copy(
        update={"deny": ["notebook_gpus"]})})
    down = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/ai_cost")
    from prometheus_client import CollectorRegistry
    from starlette.applications import Starlette

    from bot.submit_http import SubmitCheckEndpoint

    registry = CollectorRegistry()
    endpoint = SubmitCheckEndpoint(organisation=strict, engine=down, registry=registry,
                                   clock=SUITE_NOW.timestamp)
    with running(Starlette(routes=endpoint.routes())) as base:
        response = post(base, {"job_name": "explore", "gpus": 8, "gpu_type": "A100",
                               "interactive": True})
    assert response.status_code == 200
    assert response.json()["deny"] is True and response.json()["kinds"] == ["notebook_gpus"]
    assert registry.get_sample_value("ai_cost_submit_checks_total",
                                     {"outcome": "unrecorded"}) == 1


def test_the_warnings_link_leads_to_a_page_saying_what_they_mean(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    linked = organisation.model_copy(update={"submit": organisation.submit.model_copy(
        update={"deny": ["notebook_gpus"], "public_url": "https://ai-cost.example.org"})})
    app = create_server(Settings(database_url=database_url), linked, engine,
                        clock=SUITE_NOW.timestamp, slack_events=False)
    with running(app) as base:
        warning = post(base, OVERSIZED).json()["warnings"][-1]
        page = httpx.get(base + "/docs/submit-time", timeout=30)
    assert warning.endswith("More: https://ai-cost.example.org/docs/submit-time")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    for words in ("oversized_model", "notebook_gpus", "fp32", "more than 2 GPUs",
                  "refuse a submission here: notebook_gpus"):
        assert words in page.text, words
