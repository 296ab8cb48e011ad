"""The slim agent: `ai-cost-agent` runs from collectors/ and domain/ alone, and its distribution
depends on nothing heavy."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "collectors" / "data" / "replay_trace_synthetic.jsonl"
# Not rich: httpx imports it for its own command line where it is installed (here, not in the
# agent's environment: bench/bench_agent.py checks that one).
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "torch", "transformers", "langchain",
         "matplotlib", "typer", "pydantic", "storage", "bot", "config", "analyzers", "reports")


def test_the_agent_reads_and_prints_without_importing_anything_heavy(tmp_path: Path) -> None:
    script = ("import sys, json\n"
              "from collectors.agent_main import main\n"
              f"code = main(['--replay', {str(TRACE)!r}, '--once', '--print'])\n"
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})),"
              " file=sys.stderr)\n"
              "raise SystemExit(code)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    samples = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert samples and all("gpu_uuid" in s for s in samples)
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_a_missing_server_is_one_line_not_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "collectors.agent_main", "--once"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ai-cost-agent: --server (or AI_COST_SERVER_URL) is required, or --print"]


def test_the_agent_distribution_needs_nothing_heavy() -> None:
    project = tomllib.loads((ROOT / "deploy" / "agent" / "pyproject.toml").read_text())
    needs = [d.split(">")[0].split("[")[0].lower() for d in project["project"]["dependencies"]]
    # pyyaml and pydantic read the organisation file the collectors attribute usage with.
    assert set(needs) == {"nvidia-ml-py", "httpx", "tenacity", "prometheus-client", "pyyaml",
                          "pydantic"}
    assert project["project"]["scripts"] == {"ai-cost-agent": "collectors.agent_main:main"}
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == [
        "collectors", "domain", "config", "config.data"]


def test_ctrl_c_ends_a_collector_loop_quietly(exporter: int) -> None:
    loop = subprocess.Popen(
        [sys.executable, "-m", "collectors.agent_main", "collect", "dcgm", "--url",
         f"http://127.0.0.1:{exporter}/dcgm", "--interval", "30", "--print"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert loop.stdout is not None
    first = json.loads(loop.stdout.readline())  # the first round is out: it is looping
    assert first["gpu_uuid"].startswith("GPU-")
    loop.send_signal(signal.SIGINT)
    _, err = loop.communicate(timeout=60)
    assert loop.returncode == 130
    assert "Traceback" not in err
