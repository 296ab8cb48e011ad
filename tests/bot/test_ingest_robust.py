"""POST /ingest under bad input, concurrency and database trouble: never a 500 for content,
nothing written across clusters, 503 with Retry-After when the database cannot serve."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, event, func, select, text
from starlette.testclient import TestClient

from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.models import Gpu, Job, Node, Sample
from tests.bot.metrics_page import sample as metric
from tests.clock import SUITE_NOW
from tests.live_server import running

NOW = SUITE_NOW.timestamp()
FRANKFURT = {"Authorization": "Bearer demo-frankfurt-token"}
IOWA = {"Authorization": "Bearer demo-iowa-token"}


def gpu_sample(i: int, *, gpu: str = "GPU-robust-0", node: str = "node-1",
               **overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "gpu_uuid": gpu, "node": node, "ts": NOW - 3000 + i * 10, "util_pct": 50.0,
        "mem_used_mib": 1000.0, "power_w": 200.0, "energy_j": 1e6 + i * 2000,
        "gpu_type": "NVIDIA A100-SXM4-80GB", "mem_total_mib": 81920}
    obj.update(overrides)
    return obj


def stored(engine: Engine) -> int:
    with session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Sample)).scalar() or 0)


@pytest.fixture
def client(database_url: str, engine: Engine, organisation: Organisation) -> TestClient:
    settings = Settings(database_url=database_url)
    return TestClient(create_server(settings, organisation, engine, clock=lambda: NOW))


def post_raw(client: TestClient, raw: bytes | str, headers: dict[str, str] = FRANKFURT
             ) -> httpx.Response:
    return client.post("/ingest", content=raw,
                       headers={**headers, "Content-Type": "application/json"})


def test_bad_fields_reject_their_item_and_the_rest_is_stored(
        client: TestClient, engine: Engine) -> None:
    samples: list[Any] = [
        gpu_sample(0), gpu_sample(1, node="node\u0000evil"), gpu_sample(2, gpu="GPU-\ud800"),
        gpu_sample(3, units=["mW"]), gpu_sample(4, ts=10 ** 400), gpu_sample(5, job={"id": 1}),
        gpu_sample(6, util_pct="high"), gpu_sample(7, ts="yesterday"), gpu_sample(8),
        gpu_sample(9, gpu_type=["A100"], gpu="GPU-robust-new"), gpu_sample(10, energy_j=True)]
    jobs = [{"external_id": "ok-job", "name": "fine", "account": "nlp"},
            {"external_id": "big", "batch_size": "big"},
            {"external_id": "nul", "name": "a\u0000b"},
            {"external_id": "surrogate", "user": "\udcff"},
            {"external_id": ["a list"]}, {"external_id": "neg", "gpus_requested": -1},
            {"external_id": "dup", "name": "first"}, {"external_id": "dup", "command": "x"}]
    # json.dumps writes the NUL and the lone surrogates as \u escapes, as an attacker would.
    response = post_raw(client, json.dumps({"samples": samples, "jobs": jobs}))
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == 2
    assert sorted(r["index"] for r in body["rejected"]) == [1, 2, 3, 4, 5, 6, 7, 9, 10]
    reasons = {r["index"]: r["reason"] for r in body["rejected_jobs"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5]
    assert "batch_size" in reasons[1] and "job name" in reasons[2] and "user" in reasons[3]
    assert all("\u0000" not in r and len(r) < 300 for r in reasons.values())
    assert stored(engine) == 2
    with session(engine) as s:
        names = dict(s.execute(select(Job.external_id, Job.name)).all())  # type: ignore[arg-type]
    assert names["ok-job"] == "fine" and names["dup"] == "first"


@pytest.mark.parametrize("raw, error", [
    ("[" * 100_000 + "]" * 100_000, "nested too deep"),
    ('{"samples": [{"ts": ' + "9" * 5000 + "}]}", "not valid JSON"),
    (b'{"samples": []}\xff', "not valid JSON"),
    ('{"samples": {}}', "samples must be a list"),
    ('{"samples": [], "source": "a\\u0000b"}', "source must be"),
    ('{"samples": [], "cluster": ["x"]}', "this token is for cluster"),
])
def test_a_body_that_is_no_batch_is_a_400_with_its_reason(
        client: TestClient, raw: str | bytes, error: str) -> None:
    response = post_raw(client, raw)
    assert response.status_code in (400, 401)
    assert error in response.json()["error"]


def test_collector_side_reasons_are_stored_cleaned(client: TestClient, engine: Engine) -> None:
    body = {"source": "dcgm", "samples": [gpu_sample(0)],
            "rejected": ["bad\u0000line", {"nested": [1]}, "x" * 10_000]}
    assert post_raw(client, json.dumps(body)).status_code == 200
    with session(engine) as s:
        examples = [e for (e,) in s.execute(text("SELECT example FROM ingest_rejection"))]
    assert len(examples) == 3 and all("\u0000" not in e and len(e) <= 500 for e in examples)


def test_a_token_writes_only_its_own_clusters_gpus(client: TestClient, engine: Engine) -> None:
    ours = [gpu_sample(i) for i in range(6)]
    assert post_raw(client, json.dumps({"samples": ours[:1]})).status_code == 200
    # iowa's token claims frankfurt's GPU, its samples timed ahead of frankfurt's own
    forged = [gpu_sample(i, util_pct=99, job="iowa-job") for i in range(1, 6)]
    response = post_raw(client, json.dumps({"samples": forged}), IOWA)
    assert response.status_code == 422
    assert response.json()["accepted"] == 0
    assert all("belongs to another cluster" in r["reason"]
               for r in response.json()["rejected"])
    genuine = post_raw(client, json.dumps({"samples": ours[1:]})).json()
    assert (genuine["accepted"], genuine["duplicates"]) == (5, 0)
    with session(engine) as s:
        utils = {u for (u,) in s.execute(select(Sample.util_pct))}
        assert s.execute(select(func.count()).select_from(Job)).scalar() == 0
    assert utils == {50}
    page = client.get("/metrics").text
    assert metric(page, "ai_cost_ingest_samples_total", cluster="iowa-hpc",
                  outcome="other_cluster") == 5


def test_a_jobs_team_comes_from_the_organisation_file_unless_the_cluster_is_trusted(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    claim = {"jobs": [{"external_id": "j1", "account": "nlp", "team": "vision"},
                      {"external_id": "j2", "user": "dave", "team": "research"},
                      {"external_id": "j3", "team": "speech"}]}
    for trusted in (False, True):
        org = organisation.model_copy(deep=True)
        org.clusters[0].trust_collector_team = trusted
        client = TestClient(create_server(Settings(database_url=database_url), org, engine,
                                          clock=lambda: NOW))
        claim["jobs"] = [dict(j, external_id=f"{j['external_id']}-{trusted}")
                         for j in claim["jobs"]]
        assert post_raw(client, json.dumps(claim)).status_code == 200
    with session(engine) as s:
        teams = dict(s.execute(select(Job.external_id, Job.team)).all())  # type: ignore[arg-type]
    assert teams == {"j1-False": "nlp", "j2-False": "vision", "j3-False": "unassigned",
                     "j1-False-True": "vision", "j2-False-True": "research",
                     "j3-False-True": "speech"}


def test_naive_iso_timestamps_are_read_as_utc(client: TestClient, engine: Engine) -> None:
    moment = datetime.fromtimestamp(int(NOW) - 600, UTC)
    naive = moment.replace(tzinfo=None).isoformat()
    assert post_raw(client, json.dumps({"samples": [gpu_sample(0, ts=naive)]})).status_code \
        == 200
    with session(engine) as s:
        assert s.execute(select(Sample.ts)).scalar() == int(moment.timestamp())


def test_eight_concurrent_batches_introducing_one_gpu_are_all_stored(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    app = create_server(Settings(database_url=database_url), organisation, engine,
                        clock=lambda: NOW)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def one(n: int, url: str) -> None:
        samples = [gpu_sample(n * 30 + i, gpu=f"GPU-shared-{i % 2}", node=f"node-new-{i % 2}",
                              job=f"job-{i % 3}") for i in range(30)]
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            response = http.post(f"{url}/ingest", json={"samples": samples}, headers=FRANKFURT)
        statuses.append(response.status_code)

    with running(app) as url:
        threads = [threading.Thread(target=one, args=(n, url)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == [200] * 8
    assert stored(engine) == 240
    with session(engine) as s:
        assert s.execute(select(func.count()).select_from(Gpu)).scalar() == 2
        assert s.execute(select(func.count()).select_from(Node)).scalar() == 2
        assert s.execute(select(func.count()).select_from(Job)).scalar() == 3


def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("a SQLite file's own locks and page limit")


def test_a_write_lock_held_past_the_timeout_is_a_503_with_retry_after(
        backend: str, database_url: str, organisation: Organisation) -> None:
    sqlite_only(backend)
    engine = create_engine(database_url, connect_args={"timeout": 0.2})
    client = TestClient(create_server(Settings(database_url=database_url), organisation,
                                      engine, clock=lambda: NOW))
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = post_raw(client, json.dumps({"samples": [gpu_sample(0)]}))
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "locked" in response.json()["error"]
        assert client.get("/healthz/live").status_code == 200
        ready = client.get("/healthz/ready")  # reads still work: the failed write tells
        assert ready.status_code == 503 and "locked" in ready.json()["database"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert post_raw(client, json.dumps({"samples": [gpu_sample(0)]})).status_code == 200
    assert client.get("/healthz/ready").status_code == 200
    engine.dispose()


def test_a_full_disk_is_a_503_that_says_so(backend: str, database_url: str,
                                           organisation: Organisation, tmp_path: Path) -> None:
    sqlite_only(backend)
    engine = create_engine(database_url)
    client = TestClient(create_server(Settings(database_url=database_url), organisation,
                                      engine, clock=lambda: NOW))

    @event.listens_for(engine, "connect")
    def _small(dbapi_conn: Any, _record: Any) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()  # connections from now on have no room to grow
    samples = [gpu_sample(0, gpu=f"GPU-fill-{i % 50}", ts=NOW - 3000 + i // 50 * 10)
               for i in range(3000)]
    response = post_raw(client, json.dumps({"samples": samples}))
    assert response.status_code == 503
    assert "disk is full" in response.json()["error"]
    assert "Retry-After" in response.headers
    engine.dispose()


def test_ready_tells_a_schema_behind_from_a_live_process(
        client: TestClient, engine: Engine) -> None:
    assert client.get("/healthz/ready").status_code == 200
    with engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        for path in ("/healthz/ready", "/healthz"):
            response = client.get(path)
            assert response.status_code == 503
            assert "ai-cost migrate" in response.json()["database"]
        assert client.get("/healthz/live").json() == {"status": "alive"}
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
