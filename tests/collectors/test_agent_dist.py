"""The slim distribution for real: `ai-cost-agent`'s wheel, built by `make agent-dist` (into
pytest's temporary folder), installed into a fresh virtual environment without system site
packages, then the node agent and the dcgm, Prometheus and Slurm collectors run from it with
`--once`, shipping to a live ai-cost server.

The environment is built once per test session (in pytest's temporary folder, shared by the
xdist workers under a lock) with pip as this machine has it configured.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.models import Job
from storage.queries import store_status
from tests.live_server import running

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(str(resources.files("collectors") / "data"))
TRACE = DATA / "replay_trace_synthetic.jsonl"
# What the slim distribution must neither install nor import.
FORBIDDEN = ("torch", "transformers", "langchain", "langchain_core", "matplotlib", "sqlalchemy",
             "sqlmodel", "alembic", "psycopg", "psycopg2", "asyncpg", "pymysql", "typer",
             "rich", "pydantic_settings", "numpy", "slack_bolt", "bot", "storage", "analyzers",
             "reports", "config.settings")

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # one database is enough here


def _build(home: Path) -> Path:
    """Stage, build the wheel, and install it into a fresh venv under `home`; the venv."""
    venv = home / "venv"
    if (venv / "installed").exists():
        return venv
    built = subprocess.run(["make", "-C", str(ROOT), "agent-dist", f"AGENT_BUILD={home}"],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    (wheel,) = (home / "dist").glob("ai_cost_agent-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)],
                   check=True)
    # This venv's pip installs into the new one (which then holds no pip of its own).
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                           "install", "-q", str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    (venv / "installed").touch()
    return venv


@pytest.fixture(scope="session")
def agent_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    home = shared / "ai-cost-agent-dist"
    home.mkdir(exist_ok=True)
    with (shared / "ai-cost-agent-dist.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(home)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # Nothing of this checkout or its venv: the installed copy alone.
    return {"PATH": f"{tmp_path}:/usr/bin:/bin", "HOME": str(tmp_path), **extra}


def agent(venv: Path, args: list[str], tmp_path: Path,
          **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "ai-cost-agent"), *args], cwd=tmp_path,
                          env=_env(tmp_path, **env), capture_output=True, text=True, timeout=120)


def test_it_installs_and_imports_nothing_heavy(agent_venv: Path, tmp_path: Path) -> None:
    script = """
import importlib, importlib.util, json, pkgutil, sys
import collectors
names = sorted(m.name for m in pkgutil.walk_packages(collectors.__path__, "collectors."))
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "where": collectors.__file__, "modules": names,
    "imported": sorted({m.split(".")[0] for m in sys.modules}),
    "installed": [m for m in sys.argv[1:] if importlib.util.find_spec(m) is not None]}))
"""
    done = subprocess.run([str(agent_venv / "bin" / "python"), "-c", script, *FORBIDDEN],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["where"].startswith(str(agent_venv))  # the installed copy, not the checkout
    assert {"collectors.agent_main", "collectors.collect_main", "collectors.dcgm",
            "collectors.prometheus", "collectors.slurm", "collectors.nvml",
            "collectors.served"} <= set(
                found["modules"])
    assert found["installed"] == []
    assert not set(found["imported"]) & set(FORBIDDEN)
    version = agent(agent_venv, ["--version"], tmp_path)
    assert version.stdout.strip() == "ai-cost-agent 0.1.0"


@pytest.fixture
def server(database_url: str, engine: Engine, organisation: Organisation) -> Iterator[str]:
    with running(create_server(Settings(database_url=database_url), organisation,
                               engine)) as url:
        yield url


def _jobs(engine: Engine) -> dict[str, str]:
    with session(engine) as s:
        return dict(s.execute(select(Job.external_id, Job.team)).all())  # type: ignore[arg-type]


def _samples(engine: Engine) -> int:
    with session(engine) as s:
        return store_status(session=s).raw_samples


@SQLITE
def test_the_node_agent_ships_a_replayed_trace(agent_venv: Path, server: str, engine: Engine,
                                               tmp_path: Path) -> None:
    done = agent(agent_venv, ["--replay", str(TRACE), "--once", "--server", server,
                              "--token", "demo-frankfurt-token"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert _samples(engine) == 4  # one reading of the trace's four GPUs
    assert _jobs(engine)["4242"] == "nlp"


@SQLITE
def test_the_dcgm_collector_ships_a_scraped_page(agent_venv: Path, server: str,
                                                 engine: Engine, exporter: int,
                                                 tmp_path: Path) -> None:
    done = agent(agent_venv, ["collect", "dcgm", "--url", f"http://127.0.0.1:{exporter}/dcgm",
                              "--once", "--server", server], tmp_path,
                 AI_COST_INGEST_TOKEN="demo-frankfurt-token")
    assert done.returncode == 0, done.stderr
    assert "4 stored" in done.stderr  # the log line of the batch shipped
    assert _samples(engine) == 4
    assert _jobs(engine)["nlp/Pod/llama-ft-0-r7kx2"] == "nlp"
    failed = agent(agent_venv, ["collect", "dcgm", "--url", f"http://127.0.0.1:{exporter}/gone",
                                "--once", "--server", server, "--token", "t"], tmp_path)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "cannot scrape" in failed.stderr.strip().splitlines()[-1]


@SQLITE
def test_the_prometheus_collector_ships_what_prometheus_holds(
        agent_venv: Path, server: str, engine: Engine, prometheus: str,
        tmp_path: Path) -> None:
    done = agent(agent_venv, ["collect", "prometheus", "--url", prometheus, "--since", "60",
                              "--step", "5", "--once", "--server", server, "--token",
                              "demo-frankfurt-token"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert _samples(engine) >= 4
    jobs = _jobs(engine)
    assert jobs["nlp/Job/llama-ft"] == "nlp"
    # The pod's owning Deployment, from kube-state-metrics, which only Prometheus holds here
    assert "shared-inference/Deployment/sentiment-api" in jobs


@SQLITE
def test_the_slurm_collector_ships_sacct_jobs(agent_venv: Path, server: str, engine: Engine,
                                              tmp_path: Path) -> None:
    sacct = tmp_path / "sacct"  # sacct's saved output of the fixture, on PATH
    sacct.write_text(f"#!/bin/sh\ncat {DATA / 'sacct_gpu_jobs.txt'}\n")
    sacct.chmod(0o755)
    done = agent(agent_venv, ["collect", "slurm", "--cluster", "iowa-hpc", "--once",
                              "--server", server, "--token", "demo-iowa-token"], tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = _jobs(engine)
    assert jobs["71234"] == "nlp"
    assert len(jobs) >= 3
    refused = agent(agent_venv, ["collect", "slurm", "--cluster", "iowa-hpc", "--once",
                                 "--server", server, "--token", "demo-frankfurt-token"],
                    tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "this token is for cluster 'frankfurt-k8s'" in refused.stderr


def test_without_a_server_each_collector_says_what_to_pass(agent_venv: Path,
                                                           tmp_path: Path) -> None:
    for args in (["collect", "dcgm", "--url", "http://127.0.0.1:9/metrics", "--once"],
                 ["collect", "slurm", "--once"], ["--once"]):
        done = agent(agent_venv, args, tmp_path)
        assert done.returncode == 2, args
        assert done.stderr.strip().endswith("--server (or AI_COST_SERVER_URL) is required, "
                                            "or --print"), done.stderr
