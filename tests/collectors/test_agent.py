from __future__ import annotations

import io
import json
import socket
from importlib import resources
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.server import create_server
from collectors.agent import Agent
from collectors.replay import ReplayReader
from collectors.shipping import ShipError, Shipper
from collectors.sinks import PrintSink
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.models import Job, Sample
from tests.clock import SUITE_NOW

SYNTHETIC = Path(str(resources.files("collectors") / "data" / "replay_trace_synthetic.jsonl"))
NOW = SUITE_NOW.timestamp() - 3600


def replay() -> ReplayReader:
    ticks = iter(range(10_000))
    return ReplayReader(SYNTHETIC, clock=lambda: NOW + 10 * next(ticks))


def stored(engine: Engine) -> int:
    with session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Sample)).scalar() or 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(database_url: str, engine: Engine, organisation: Organisation) -> TestClient:
    settings = Settings(database_url=database_url)
    return TestClient(create_server(settings, organisation, engine, clock=lambda: NOW + 600))


def test_print_writes_one_sample_per_gpu_attributed_to_jobs() -> None:
    out = io.StringIO()
    agent = Agent(reader=replay(), node="gpu-node-07", sink=PrintSink(out))
    agent.run(interval_s=0, ship_every_s=0, once=True)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(lines) == 4
    assert [x["job"] for x in lines][:3] == ["4242", "4242", "4251"]
    assert all(x["gpu_type"] == "NVIDIA A100-SXM4-80GB" for x in lines)


def test_samples_reach_the_server_with_their_jobs_and_teams(server: TestClient,
                                                            engine: Engine) -> None:
    shipper = Shipper(url="http://testserver", token="demo-frankfurt-token", spool=None,
                      client=server)
    agent = Agent(reader=replay(), node="gpu-node-07", sink=shipper)
    for _ in range(5):
        agent.collect()
    assert "20 stored" in agent.ship()
    assert stored(engine) == 20
    with session(engine) as s:
        teams = dict(s.execute(select(Job.external_id, Job.team)).all())  # type: ignore[arg-type]
    assert teams["4242"] == "nlp" and teams["4251"] == "research"


def test_a_down_server_spools_and_the_spool_flushes_exactly_once(
        server: TestClient, engine: Engine, tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    down = Shipper(url=f"http://127.0.0.1:{free_port()}", token="demo-frankfurt-token",
                   spool=spool, attempts=2, sleep=lambda s: None,
                   client=httpx.Client(timeout=1.0))
    agent = Agent(reader=replay(), node="gpu-node-07", sink=down)
    for _ in range(3):
        agent.collect()
        assert "spooled" in agent.ship()
    assert down.spooled() == 3 and stored(engine) == 0

    up = Shipper(url="http://testserver", token="demo-frankfurt-token", spool=spool,
                 client=server)
    assert up.flush_spool()
    assert not spool.exists()
    assert stored(engine) == 12
    assert up.flush_spool()  # nothing left: flushing again sends nothing
    assert stored(engine) == 12


def test_a_batch_sent_again_after_a_lost_reply_is_not_counted_twice(
        server: TestClient, engine: Engine, tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    shipper = Shipper(url="http://testserver", token="demo-frankfurt-token", spool=spool,
                      client=server)
    agent = Agent(reader=replay(), node="gpu-node-07", sink=shipper)
    agent.collect()
    body = agent._pending.to_body(source="agent")  # what the lost request carried
    agent.ship()
    spool.write_text(json.dumps(body) + "\n")  # and was spooled anyway
    assert shipper.flush_spool()
    assert stored(engine) == 4


def test_a_refused_token_stops_the_agent_and_keeps_the_batch(
        server: TestClient, tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    shipper = Shipper(url="http://testserver", token="wrong", spool=spool, client=server)
    agent = Agent(reader=replay(), node="gpu-node-07", sink=shipper)
    agent.collect()
    with pytest.raises(ShipError, match="refused the token"):
        agent.ship()
    assert shipper.spooled() == 1


def test_record_then_replay_gives_the_same_samples(tmp_path: Path) -> None:
    from collectors.replay import TraceRecorder

    trace = tmp_path / "rec.jsonl"
    first, second = io.StringIO(), io.StringIO()
    Agent(reader=replay(), node="n", sink=PrintSink(first),
          recorder=TraceRecorder(trace, node="n")).run(interval_s=0, ship_every_s=0, once=True)
    Agent(reader=ReplayReader(trace, rebase=False), node="n",
          sink=PrintSink(second)).run(interval_s=0, ship_every_s=0, once=True)
    assert first.getvalue() == second.getvalue()


def test_the_agent_without_a_driver_exits_with_one_clear_line() -> None:
    import pynvml

    try:
        pynvml.nvmlInit()
        pytest.skip("this machine has a working NVML")
    except pynvml.NVMLError:
        pass
    result = CliRunner().invoke(cli, ["agent", "--once", "--print"])
    assert result.exit_code == 1
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: NVML could not be loaded:")
    assert "Traceback" not in result.output


def test_the_agent_replays_a_trace_from_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["agent", "--once", "--print", "--replay", str(SYNTHETIC),
                                      "--record", str(tmp_path / "again.jsonl")])
    assert result.exit_code == 0, result.output
    samples = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert len(samples) == 4 and samples[0]["node"] == "gpu-node-07"
    assert (tmp_path / "again.jsonl").read_text().count("\n") == 2  # header and one read
