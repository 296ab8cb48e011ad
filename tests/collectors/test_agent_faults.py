"""The agent under faults: a server down for a minute, a poison batch, a refused token, a full
spool, SIGTERM with a batch pending; and its own /metrics. Clocks and sleeps are injected: no
test waits for real time to pass."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from bot.server import create_server
from collectors.agent import Agent
from collectors.agent_metrics import AgentMetrics
from collectors.nvml import NvmlReader
from collectors.replay import ReplayReader
from collectors.shipping import POISON_AFTER, ShipError, Shipper
from collectors.sinks import Batch
from collectors.spool import Spool
from config.organisation import Organisation
from config.settings import Settings
from domain.samples import GpuSample
from storage.db import session
from storage.models import Sample
from tests.bot.metrics_page import sample as metric
from tests.clock import SUITE_NOW, cli_env
from tests.collectors.fake_nvml import FakeNvml
from tests.live_server import free_port, running

SYNTHETIC = Path(str(resources.files("collectors") / "data" / "replay_trace_synthetic.jsonl"))
T0 = SUITE_NOW.timestamp() - 3600
TOKEN = "demo-frankfurt-token"


class FakeTime:
    """A clock that moves only when slept on (the agent's loop, tenacity's waits)."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


def stored(engine: Engine) -> int:
    with session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Sample)).scalar() or 0)


def relay(server: TestClient, down: Callable[[], bool] = lambda: False,
          answer: Callable[[httpx.Request], httpx.Response | None] = lambda r: None
          ) -> httpx.Client:
    """An HTTP client reaching `server`, except while `down()` (connection refused) or when
    `answer` gives its own response."""

    def handle(request: httpx.Request) -> httpx.Response:
        if down():
            raise httpx.ConnectError("connection refused", request=request)
        own = answer(request)
        if own is not None:
            return own
        got = server.request(request.method, request.url.path, content=request.content,
                             headers=dict(request.headers))
        return httpx.Response(got.status_code, content=got.content, headers=got.headers)

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://ai-cost")


@pytest.fixture
def server(database_url: str, engine: Engine, organisation: Organisation) -> TestClient:
    return TestClient(create_server(Settings(database_url=database_url), organisation, engine,
                                    clock=lambda: SUITE_NOW.timestamp()))


def batch_of(n: int, start: float = T0, gpu: str = "GPU-fault-0") -> Batch:
    return Batch(samples=[GpuSample(gpu_uuid=gpu, node="n1", ts=start + 10 * i, util_pct=50,
                                    mem_used_mib=10, power_w=100, energy_j=1000.0 + i,
                                    gpu_type="NVIDIA L4", mem_total_mib=23034)
                          for i in range(n)])


def test_a_server_down_for_a_minute_loses_no_sample(server: TestClient, engine: Engine,
                                                   tmp_path: Path) -> None:
    clock = FakeTime()
    outage_ends = T0 + 60
    shipper = Shipper(url="http://ai-cost", token=TOKEN, spool=tmp_path / "spool.jsonl",
                      client=relay(server, down=lambda: clock() < outage_ends),
                      sleep=clock.sleep, clock=clock, rng=random.Random(7))
    agent = Agent(reader=ReplayReader(SYNTHETIC, clock=clock), node="gpu-node-07",
                  sink=shipper, clock=clock, sleep=clock.sleep)
    agent.run(interval_s=10, ship_every_s=20, should_stop=lambda: clock() >= T0 + 300)
    assert stored(engine) == 4 * 30  # 30 reads of 4 GPUs, every one stored
    assert shipper.spooled() == 0 and not (tmp_path / "spool.jsonl").exists()


def test_backoff_grows_with_failures_jittered_and_capped(tmp_path: Path) -> None:
    clock = FakeTime()
    shipper = Shipper(url="http://ai-cost", token=TOKEN, spool=tmp_path / "spool.jsonl",
                      client=relay(TestClient(create_app_stub()), down=lambda: True),
                      sleep=clock.sleep, clock=clock, rng=random.Random(3), attempts=1,
                      wait_max_s=30)
    waits = []
    for _ in range(8):
        assert "spooled" in shipper.send(batch_of(1, start=clock()))
        waits.append(shipper._not_before - clock())
        clock.sleep(waits[-1])
    assert all(0 <= w <= min(30, 2 ** (k + 1)) for k, w in enumerate(waits))
    assert len(set(waits)) == len(waits)  # jittered: no two waits alike
    assert shipper.spooled() == 8


def create_app_stub() -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("never reached: the relay is down")
    return app


def test_a_batch_refused_for_its_content_is_set_aside_and_the_rest_ships(
        server: TestClient, engine: Engine, tmp_path: Path) -> None:
    spool_path = tmp_path / "spool.jsonl"
    spool = Spool(spool_path)
    spool.append(batch_of(3).to_body(source="agent"))
    spool.append({"source": "agent", "samples": {"not": "a list"}})  # the server says 400
    spool.append(batch_of(3, start=T0 + 100).to_body(source="agent"))
    metrics = AgentMetrics()
    shipper = Shipper(url="http://ai-cost", token=TOKEN, spool=spool_path,
                      client=relay(server), on_drop=metrics.dropped, on_shipped=metrics.shipped)
    assert shipper.flush_spool()
    assert stored(engine) == 6
    [aside] = [json.loads(x) for x in spool.quarantine_path.read_text().splitlines()]
    assert aside["reason"].startswith("HTTP 400") and "samples must be a list" in aside["reason"]
    assert aside["body"]["samples"] == {"not": "a list"}
    page = _page(metrics)
    assert metric(page, "ai_cost_agent_samples_shipped_total") == 6


def test_a_batch_the_server_fails_on_again_and_again_stops_blocking(
        server: TestClient, engine: Engine, tmp_path: Path) -> None:
    def fail_the_poison(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(500, json={"error": "boom"}) if b"poison" in request.content \
            else None

    clock = FakeTime()
    shipper = Shipper(url="http://ai-cost", token=TOKEN, spool=tmp_path / "spool.jsonl",
                      client=relay(server, answer=fail_the_poison), attempts=1,
                      sleep=clock.sleep, clock=clock, rng=random.Random(1))
    poison = batch_of(2)
    poison.problems.append("poison")
    shipper.send(poison)
    for n in range(POISON_AFTER + 1):
        clock.sleep(3600)  # past any backoff
        shipper.send(batch_of(1, start=T0 + 1000 + 10 * n, gpu=f"GPU-later-{n}"))
    assert stored(engine) == POISON_AFTER + 1
    assert shipper.spooled() == 0
    assert "HTTP 500" in shipper.spool.quarantine_path.read_text()  # type: ignore[union-attr]


def test_a_refused_token_while_flushing_keeps_the_current_batch(
        server: TestClient, tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    Spool(spool).append(batch_of(2).to_body(source="agent"))
    shipper = Shipper(url="http://ai-cost", token="wrong", spool=spool, client=relay(server))
    with pytest.raises(ShipError, match="refused the token"):
        shipper.send(batch_of(3, start=T0 + 500))
    assert shipper.spooled() == 2


def test_a_full_spool_drops_the_oldest_counts_them_and_never_grows_past_its_cap(
        tmp_path: Path) -> None:
    metrics = AgentMetrics()
    body = batch_of(20).to_body(source="agent")
    line = len(json.dumps(dict(body, n=10), separators=(",", ":"))) + 1
    spool = Spool(tmp_path / "spool.jsonl", max_bytes=10 * line, on_drop=metrics.dropped)
    for n in range(10, 35):
        spool.append(dict(body, n=n))
        assert spool.pending_bytes <= 10 * line
        assert spool.path.stat().st_size <= 12.5 * line + line  # delivered head: compacted
    assert len(spool) == 10
    head = spool.head()
    assert head is not None and head[0]["n"] == 25  # the oldest went first
    assert spool.dropped_samples == 15 * 20
    assert metric(_page(metrics), "ai_cost_agent_samples_dropped_total",
                  reason="spool_full") == 300


def test_shipping_marks_the_spool_instead_of_rewriting_it(
        server: TestClient, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    spool = Spool(path)
    for n in range(3):
        later = batch_of(2, start=T0 + 100 * n)
        later.problems.append(f"batch {n}")
        spool.append(later.to_body(source="agent"))
    inode = path.stat().st_ino
    up = {"third": False}

    def busy_on_the_third(request: httpx.Request) -> httpx.Response | None:
        return None if up["third"] or b"batch 2" not in request.content \
            else httpx.Response(503, json={"error": "busy"})

    shipper = Shipper(url="http://ai-cost", token=TOKEN, spool=path, attempts=1,
                      client=relay(server, answer=busy_on_the_third))
    assert not shipper.flush_spool()
    assert stored(engine) == 4
    assert path.stat().st_ino == inode  # marked as delivered, not rewritten
    assert len(Spool(path)) == 1  # a restarted agent resumes after what was delivered
    up["third"] = True
    assert shipper.flush_spool() and not path.exists()
    assert stored(engine) == 6


def test_nvml_errors_and_the_spool_show_on_the_agents_metrics(tmp_path: Path) -> None:
    metrics = AgentMetrics()
    gpus = [{"uuid": "GPU-ok", "name": "NVIDIA L4", "util": 5, "used": 1, "total": 2,
             "power_mw": 1000, "energy_mj": 5, "processes": []},
            {"uuid": "GPU-lost", "name": "NVIDIA L4", "fail": "util"}]
    reader = NvmlReader(FakeNvml(gpus), on_error=metrics.nvml_error)
    assert len(reader.read()) == 1
    shipper = Shipper(url=f"http://127.0.0.1:{free_port()}", token=TOKEN,
                      spool=tmp_path / "spool.jsonl", attempts=1, on_drop=metrics.dropped,
                      client=httpx.Client(timeout=2))
    metrics.watch_spool(lambda: shipper.spool.pending_bytes if shipper.spool else 0)
    shipper.send(batch_of(3))
    port = free_port()
    metrics.serve(port, addr="127.0.0.1")
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert metric(page, "ai_cost_agent_nvml_errors_total", error="GPU_IS_LOST") == 1
    assert (metric(page, "ai_cost_agent_spool_bytes") or 0) > 0
    assert metric(page, "ai_cost_agent_samples_dropped_total", reason="quarantined") == 0


def _page(metrics: AgentMetrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.registry).decode()


def _reads(trace: Path) -> int:
    return max(0, len(trace.read_text().splitlines()) - 1) if trace.exists() else 0


def _agent(args: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).with_name("ai-cost")), "agent", "--replay",
               str(SYNTHETIC), "--token", TOKEN, "--spool", str(tmp_path / "spool.jsonl"),
               "--record", str(tmp_path / "read.jsonl"), "--interval", "0.3",
               "--ship-every", "3600", *args]
    return subprocess.Popen(command, env=cli_env(AI_COST_DATABASE_URL="sqlite:///unused.db"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stop_after(agent: subprocess.Popen[bytes], trace: Path, reads: int) -> int:
    """SIGTERM once the agent has read `reads` times; how many reads it made in all."""
    deadline = time.monotonic() + 60
    while _reads(trace) < reads:  # the trace gains a line per read: the event waited on
        assert agent.poll() is None, agent.communicate()
        assert time.monotonic() < deadline, "the agent never read"
        time.sleep(0.05)
    agent.send_signal(signal.SIGTERM)
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    return _reads(trace)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sigterm_ships_the_pending_batch(database_url: str, engine: Engine,
                                         organisation: Organisation, tmp_path: Path) -> None:
    app = create_server(Settings(database_url=database_url), organisation, engine)
    with running(app) as url:
        agent = _agent(["--server", url], tmp_path)
        reads = _stop_after(agent, tmp_path / "read.jsonl", 3)
        page = httpx.get(f"{url}/metrics").text
    took = sum(metric(page, "ai_cost_ingest_samples_total", cluster="frankfurt-k8s",
                      outcome=o) or 0 for o in ("accepted", "duplicate"))
    assert took == 4 * reads and stored(engine) > 0
    assert not (tmp_path / "spool.jsonl").exists()


def test_sigterm_with_the_server_down_spools_the_pending_batch(tmp_path: Path) -> None:
    agent = _agent(["--server", f"http://127.0.0.1:{free_port()}"], tmp_path)
    reads = _stop_after(agent, tmp_path / "read.jsonl", 3)
    bodies = [json.loads(x) for x in (tmp_path / "spool.jsonl").read_text().splitlines()]
    assert sum(len(b["samples"]) for b in bodies) == 4 * reads
    assert os.path.getsize(tmp_path / "spool.jsonl") > 0
