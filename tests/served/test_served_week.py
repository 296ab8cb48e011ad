"""A hand-made week through POST /ingest and refresh: Wh per 1,000 requests, idle, stars."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from config.organisation import Organisation
from storage.db import session
from storage.ledger_repo import load_ledger
from storage.served_repo import load_served
from storage.slack_repo import Audit, transition
from tests.clock import SUITE_NOW, WEEK, WEEK_START, weeks_before
from tests.served.helpers import (
    POWER_W,
    STEP_S,
    Endpoint,
    batch,
    client,
    expected_requests,
    judge,
    send,
)

pytestmark = pytest.mark.dated
STEPS = 6 * 60  # six hours a minute apart


def week_rows(engine: Engine, week: str = WEEK) -> dict[str, dict]:  # type: ignore[type-arg]
    with session(engine) as s:
        return {r["service"]: r for r in load_served(session=s, weeks=[week])}


def test_wh_per_1000_requests_of_a_hand_made_week_is_exact(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    chat = Endpoint("serve-chat", gpus=2, per_step=(12, 8, 0, 20))
    http = client(database_url, engine, organisation, SUITE_NOW)
    body = send(http, batch(chat, WEEK_START + timedelta(days=2), STEPS))
    assert body["served_accepted"] == STEPS + 1 and body["rejected_served"] == []
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    row = week_rows(engine)["serve-chat"]
    energy_wh = chat.gpus * POWER_W * STEP_S * STEPS / 3600.0
    requests = expected_requests(chat, STEPS)
    assert row["requests"] == requests
    assert row["wh_per_1k_requests"] == pytest.approx(energy_wh / (requests / 1000), rel=0.005)
    tokens = requests * chat.tokens_per_request
    assert row["wh_per_1k_tokens"] == pytest.approx(energy_wh / (tokens / 1000), rel=0.005)
    # One step in four completes no request: a quarter of the energy is idle.
    assert row["idle_share"] == pytest.approx(0.25, abs=0.01)
    assert row["gpu_type"] == "NVIDIA A100-SXM4-80GB" and row["gpus"] == 2
    assert row["team"] == "nlp" and row["task"] == "text_generation"
    assert row["size_class"] == "A" and row["stars"] in range(1, 6)
    assert "reference GPU" in row["stars_note"]


def test_only_the_stretch_the_counters_cover_is_charged(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    late = Endpoint("serve-late", per_step=(10, 30))
    http = client(database_url, engine, organisation, SUITE_NOW)
    send(http, batch(late, WEEK_START + timedelta(days=4), STEPS, served_from=STEPS // 3))
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    row = week_rows(engine)["serve-late"]
    covered_wh = POWER_W * STEP_S * (STEPS - STEPS // 3) / 3600.0
    requests = expected_requests(late, STEPS, served_from=STEPS // 3)
    assert row["requests"] == requests
    assert row["wh_per_1k_requests"] == pytest.approx(covered_wh / (requests / 1000), rel=0.005)
    assert row["coverage"] == pytest.approx(2 / 3, abs=0.01)


@pytest.mark.parametrize("where", ["pod", "node and GPU"])
def test_counters_without_a_job_join_by_pod_or_by_node_and_gpu(
        where: str, database_url: str, engine: Engine, organisation: Organisation) -> None:
    chat = Endpoint("serve-chat", per_step=(10,))
    body = batch(chat, WEEK_START + timedelta(days=2), STEPS)
    for row in body["served"]:
        del row["job"]
        if where != "pod":
            del row["namespace"], row["pod"]
            row.update(node="node-serve", gpu="GPU-serve-chat-0")
    send(client(database_url, engine, organisation, SUITE_NOW), body)
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    row = week_rows(engine)["serve-chat"]
    energy_wh = POWER_W * STEP_S * STEPS / 3600.0
    assert row["team"] == "nlp" and row["requests"] == expected_requests(chat, STEPS)
    assert row["wh_per_1k_requests"] == pytest.approx(energy_wh / (row["requests"] / 1000),
                                                      rel=0.005)


def test_a_server_restart_counts_from_the_new_value(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    steady = Endpoint("serve-steady", per_step=(10,), restart_at=100)
    http = client(database_url, engine, organisation, SUITE_NOW)
    send(http, batch(steady, WEEK_START + timedelta(days=1), STEPS))
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    assert week_rows(engine)["serve-steady"]["requests"] == expected_requests(steady, STEPS)


def test_a_service_that_sits_idle_says_too_many_replicas(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    idle = Endpoint("serve-quiet", gpus=4, per_step=(5, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    http = client(database_url, engine, organisation, SUITE_NOW)
    send(http, batch(idle, WEEK_START + timedelta(days=3), STEPS))
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    row = week_rows(engine)["serve-quiet"]
    assert row["idle_share"] == pytest.approx(0.9, abs=0.01)
    assert "too many replicas" in row["advice"] and "not a bad model" in row["advice"]


def test_a_deploy_that_costs_more_per_request_is_flagged_against_last_week(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    before = Endpoint("serve-chat", per_step=(10,), image="vllm/vllm-openai:v0.9.1")
    after = Endpoint("serve-chat", per_step=(10,), image="vllm/vllm-openai:v0.10.0",
                     power_w=POWER_W * 1.5)
    http = client(database_url, engine, organisation, SUITE_NOW)
    # Each week judged as it ends, as the scheduler does: the job's image is the week's.
    send(http, batch(before, WEEK_START - timedelta(days=5), STEPS))
    judge(database_url, engine, organisation, SUITE_NOW, [weeks_before(WEEK)])
    send(http, batch(after, WEEK_START + timedelta(days=2), STEPS))
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    row = week_rows(engine)["serve-chat"]
    assert row["change_pct"] == pytest.approx(50.0, abs=1.0)
    assert row["worse_after_deploy"] is True
    assert row["deploy"] == "image vllm/vllm-openai:v0.9.1 -> vllm/vllm-openai:v0.10.0"
    [(week, wh)] = row["trend"]
    assert week == weeks_before(WEEK) and wh == week_rows(engine, week)[
        "serve-chat"]["wh_per_1k_requests"]


def test_an_applied_swap_shows_wh_per_1000_requests_before_and_after(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    before = weeks_before(WEEK)
    big = Endpoint("serve-intent", per_step=(10,), model="meta-llama/Llama-3.1-70B-Instruct",
                   task="text_classification")
    small = Endpoint("serve-intent", per_step=(10,), model="distilbert-base-uncased",
                     task="text_classification", power_w=POWER_W / 4)
    http = client(database_url, engine, organisation, SUITE_NOW)
    send(http, batch(big, WEEK_START - timedelta(days=6), STEPS * 4))
    judge(database_url, engine, organisation, SUITE_NOW, [before])
    with session(engine) as s:
        ledger = load_ledger(session=s, week=before)
        assert ledger is not None
        [line] = ledger.teams["nlp"].jobs
        swap = next(x for x in line.suggestions if x.kind == "model_swap")
        assert swap.id is not None
        for old, new in (("open", "approved"), ("approved", "applied")):
            assert transition(session=s, suggestion_id=swap.id, old=old, new=new,
                              audit=Audit(actor="alice", action=new, outcome="webhook"),
                              now=WEEK_START - timedelta(days=1))
        s.commit()
    send(http, batch(small, WEEK_START + timedelta(days=2), STEPS * 4))
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    row = week_rows(engine)["serve-intent"]
    was = week_rows(engine, before)["serve-intent"]["wh_per_1k_requests"]
    assert row["swap"]["suggestion_id"] == swap.id
    assert row["swap"]["before_wh_per_1k_requests"] == pytest.approx(was)
    assert row["swap"]["after_wh_per_1k_requests"] == pytest.approx(row["wh_per_1k_requests"])
    assert row["swap"]["saved_pct"] == pytest.approx(75.0, abs=0.5)


def test_a_malformed_served_sample_is_rejected_and_the_batch_kept(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    chat = Endpoint("serve-chat")
    body = batch(chat, WEEK_START + timedelta(days=2), 10)
    body["served"][3]["requests"] = "many"
    body["served"][5]["server"] = "ollama"
    del body["served"][7]["job"], body["served"][7]["pod"]
    http = client(database_url, engine, organisation, SUITE_NOW)
    response = http.post("/ingest", json=body, headers={
        "Authorization": "Bearer demo-frankfurt-token"})
    assert response.status_code == 422
    result = response.json()
    reasons = {r["index"]: r["reason"] for r in result["rejected_served"]}
    assert sorted(reasons) == [3, 5, 7]
    assert "requests must be a number" in reasons[3] and "server must be one of" in reasons[5]
    assert "pod" in reasons[7]
    assert result["served_accepted"] == 8 and result["accepted"] == 11
