from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.models import Job, Sample
from storage.queries import store_status
from tests.bot.metrics_page import sample as metric
from tests.clock import SUITE_NOW

NOW = SUITE_NOW.timestamp()
TOKEN = {"Authorization": "Bearer demo-frankfurt-token"}


def sample(i: int, **overrides: object) -> dict[str, object]:
    obj: dict[str, object] = {
        "gpu_uuid": f"GPU-test-{i % 4}", "node": "node-1", "ts": NOW - 600 + i * 10,
        "util_pct": 50.0, "mem_used_mib": 1000.0, "power_w": 200.0, "energy_j": 1e6 + i,
        "job": "nlp/Job/train", "gpu_type": "NVIDIA A100-SXM4-80GB", "mem_total_mib": 81920,
    }
    obj.update(overrides)
    return obj


@pytest.fixture
def client(database_url: str, engine: Engine, organisation: Organisation) -> TestClient:
    settings = Settings(database_url=database_url, ingest_max_batch=100)
    return TestClient(create_server(settings, organisation, engine, clock=lambda: NOW))


def count_samples(engine: Engine) -> int:
    with session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Sample)).scalar() or 0)


def rejections(engine: Engine) -> list[tuple[str, str, int, str | None]]:
    with session(engine) as s:
        return store_status(session=s).rejections


def test_a_good_batch_is_stored_with_its_job_and_team(client: TestClient, engine: Engine) -> None:
    body = {"jobs": [{"external_id": "nlp/Job/train", "name": "train", "account": "nlp"}],
            "samples": [sample(i) for i in range(8)]}
    response = client.post("/ingest", json=body, headers=TOKEN)
    assert response.status_code == 200
    assert response.json()["accepted"] == 8
    assert response.json()["rejected"] == []
    assert count_samples(engine) == 8
    with session(engine) as s:
        assert s.execute(select(Job.team).where(Job.external_id == "nlp/Job/train")).scalar() \
            == "nlp"


def test_sending_the_same_batch_twice_counts_it_once(client: TestClient, engine: Engine) -> None:
    body = {"samples": [sample(i) for i in range(6)]}
    first = client.post("/ingest", json=body, headers=TOKEN).json()
    second = client.post("/ingest", json=body, headers=TOKEN).json()
    assert (first["accepted"], second["accepted"], second["duplicates"]) == (6, 0, 6)
    assert count_samples(engine) == 6


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic demo-frankfurt-token"}])
def test_a_batch_without_a_valid_token_is_refused_and_counted_in_memory(
        client: TestClient, engine: Engine, headers: dict[str, str]) -> None:
    for _ in range(3):
        response = client.post("/ingest", json={"samples": [sample(0)]}, headers=headers)
        assert response.status_code == 401
        assert "token" in response.json()["error"]
    assert count_samples(engine) == 0
    assert rejections(engine) == []  # no write per refused request
    page = client.get("/metrics").text
    assert metric(page, "ai_cost_ingest_rejections_total", source="ingest") == 3
    assert client.app.state.refusals.flush(engine) == 3  # type: ignore[attr-defined]
    assert [(src, n) for src, _, n, _ in rejections(engine)] == [("ingest", 3)]


def test_a_token_of_one_cluster_cannot_write_to_another(client: TestClient) -> None:
    response = client.post("/ingest", json={"cluster": "iowa-hpc", "samples": [sample(0)]},
                           headers=TOKEN)
    assert response.status_code == 401
    assert "frankfurt-k8s" in response.json()["error"]


def test_bad_json_is_a_400_with_the_reason(client: TestClient, engine: Engine) -> None:
    response = client.post("/ingest", content=b'{"samples": [', headers=TOKEN)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    client.app.state.refusals.flush(engine)  # type: ignore[attr-defined]
    [(source, reason, count, _)] = rejections(engine)
    assert (source, count) == ("ingest:frankfurt-k8s", 1)


def test_an_oversized_batch_is_a_413(client: TestClient, engine: Engine) -> None:
    response = client.post("/ingest", json={"samples": [sample(i) for i in range(101)]},
                           headers=TOKEN)
    assert response.status_code == 413
    assert "at most 100" in response.json()["error"]
    too_many_bytes = json.dumps({"samples": [], "pad": "x" * 200_000}).encode()
    assert client.post("/ingest", content=too_many_bytes, headers=TOKEN).status_code == 413
    assert count_samples(engine) == 0


def test_a_mixed_batch_keeps_the_good_samples_and_names_the_bad(
        client: TestClient, engine: Engine) -> None:
    samples = [sample(0), sample(1, util_pct=140), sample(2, power_w=float("nan")),
               sample(3, power_w=-5), sample(4, ts=NOW + 3600), sample(5),
               sample(6, gpu_uuid="GPU-never-seen", gpu_type=None), "not an object"]
    response = client.post("/ingest", content=json.dumps({"samples": samples}),
                           headers=dict(TOKEN, **{"Content-Type": "application/json"}))
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == 2
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4, 6, 7]
    assert "util_pct" in reasons[1] and "power_w" in reasons[3]
    assert "future" in reasons[4] and "unknown GPU" in reasons[6]
    assert count_samples(engine) == 2
    assert sum(n for src, _, n, _ in rejections(engine) if src == "ingest:frankfurt-k8s") == 6


def test_collector_side_rejections_are_counted_under_their_source(
        client: TestClient, engine: Engine) -> None:
    body = {"source": "dcgm", "samples": [sample(0)],
            "rejected": ["line 3: malformed exposition line"]}
    assert client.post("/ingest", json=body, headers=TOKEN).status_code == 200
    assert [(src, n) for src, _, n, _ in rejections(engine)] == [("dcgm:frankfurt-k8s", 1)]


def test_health_metrics_and_extra_routes(database_url: str, engine: Engine,
                                         organisation: Organisation) -> None:
    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("slack")

    app = create_server(Settings(database_url=database_url), organisation, engine,
                        clock=lambda: NOW, routes=[Route("/slack/events", hello,
                                                         methods=["POST"])])
    client = TestClient(app)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/healthz/ready").json() == {"status": "ok"}
    assert client.get("/healthz/live").json() == {"status": "alive"}
    client.post("/ingest", json={"samples": [sample(0)]}, headers=TOKEN)
    metrics = client.get("/metrics").text
    assert 'ai_cost_ingest_samples_total{cluster="frankfurt-k8s",outcome="accepted"} 1.0' \
        in metrics
    assert client.post("/slack/events").text == "slack"
    # A second app has its own registry: building it twice does not clash.
    create_server(Settings(database_url=database_url), organisation, engine)
