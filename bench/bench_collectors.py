"""Collector figures: the agent's CPU per GPU sample, and HTTP ingest throughput."""

from __future__ import annotations

import json
import tempfile
import time
from importlib import resources
from pathlib import Path

import httpx

from bench import Result
from collectors.agent import Agent
from collectors.replay import ReplayReader
from collectors.sinks import Batch

TRACE = Path(str(resources.files("collectors") / "data" / "replay_trace_synthetic.jsonl"))


class _SerializingSink:
    """Does what the shipper does with a batch short of the network: the JSON body."""

    def __init__(self) -> None:
        self.bytes = 0

    def send(self, batch: Batch) -> str:
        self.bytes += len(json.dumps(batch.to_body(source="agent")).encode())
        return ""


def agent_cpu() -> Result:
    reader = ReplayReader(TRACE)
    sink = _SerializingSink()
    agent = Agent(reader=reader, node="bench-node", sink=sink)
    reads, per_batch = 3000, 6  # 10 s readings shipped every minute
    started = time.process_time()
    for i in range(reads):
        agent.collect()
        if (i + 1) % per_batch == 0:
            agent.ship()
    agent.ship()
    cpu_s = time.process_time() - started
    samples = reads * 4
    return Result("agent.cpu_ms_per_gpu_sample", cpu_s * 1000 / samples, "ms",
                  f"replay reader, 4 GPUs, {samples} samples read, attributed, batched and "
                  f"serialized to the ingest body; goal <= 1 ms")


# A client without a token, posting as fast as one process can: what a scanner or a
# misconfigured collector does. It stops on SIGTERM and prints how many requests it made.
_FLOOD = """
import signal, sys, httpx
sent = 0
def stop(*_):
    print(sent, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
one = b'{"gpu_uuid": "GPU-x", "node": "n", "ts": 1, "util_pct": 1},'
body = b'{"samples": [' + one * 40 + b'{}]}'
with httpx.Client(timeout=30) as client:
    while True:
        client.post(sys.argv[1] + "/ingest", content=body,
                    headers={"Content-Type": "application/json"})
        sent += 1
"""


def ingest_http() -> Result:
    import subprocess
    import sys

    from sqlalchemy import text

    from bot.server import create_server
    from config.organisation import load_organisation
    from config.settings import Settings
    from storage.db import make_engine, migrate
    from tests.live_server import running

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        engine = make_engine(url)
        organisation = load_organisation(None)
        app = create_server(Settings(database_url=url), organisation, engine)
        gpus, batch, batches = 64, 5000, 20
        start_ts = time.time() - 86400
        bodies = []
        for b in range(batches):
            samples = []
            for i in range(batch):
                n = b * batch + i
                samples.append({
                    "gpu_uuid": f"GPU-bench-{n % gpus:04d}", "node": f"node-{n % gpus // 8}",
                    "ts": start_ts + (n // gpus) * 10, "util_pct": n % 100,
                    "mem_used_mib": 1000 + n % 5000, "power_w": 100 + n % 300,
                    "energy_j": 1e6 + n * 10, "job": f"job-{n % gpus // 2}",
                    "gpu_type": "NVIDIA A100-SXM4-80GB", "mem_total_mib": 81920})
            bodies.append(json.dumps({"samples": samples}).encode())
        headers = {"Authorization": "Bearer demo-frankfurt-token",
                   "Content-Type": "application/json"}
        accepted = 0
        with running(app) as base, httpx.Client(timeout=120) as client:
            flood = subprocess.Popen([sys.executable, "-c", _FLOOD, base],
                                     stdout=subprocess.PIPE)
            while client.get(f"{base}/metrics").text.count('status="401"') == 0:
                time.sleep(0.05)  # the flood is under way before the clock starts
            started = time.perf_counter()
            for body in bodies:
                response = client.post(f"{base}/ingest", content=body, headers=headers)
                response.raise_for_status()
                accepted += response.json()["accepted"]
            elapsed = time.perf_counter() - started
            flood.terminate()
            refused = int((flood.communicate(timeout=30)[0] or b"0").split()[-1])
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM ingest_rejection")).scalar()
        engine.dispose()
    assert accepted == batch * batches, accepted
    assert rows == 0, rows  # refused requests wait in memory for the minute's flush
    return Result("ingest.http.samples_per_s", accepted / elapsed, "samples/s",
                  f"POST /ingest on loopback, {batches} batches of {batch}, SQLite, client and "
                  f"server on one machine, while a second process floods /ingest with "
                  f"unauthenticated requests ({refused:,} refused, {refused / elapsed:,.0f}/s, "
                  f"none written to the database); goal >= 20,000")


def run() -> list[Result]:
    return [agent_cpu(), ingest_http()]
