"""The slim agent: its install size and the resident memory of the agent and the collectors.

Builds the `ai-cost-agent` distribution (deploy/agent/stage.py lays it out: collectors/,
domain/ and the organisation file's reader) into a fresh virtual environment with pip,
measures what it installed (site-packages; the venv holds no pip), then runs, each shipping
to a local stub of /ingest, and reads each process's peak resident memory (wait4's
ru_maxrss): `ai-cost-agent --replay TRACE --once`, `ai-cost-agent collect dcgm --once` on a
local dcgm-exporter page and `ai-cost-agent collect slurm --once` on a fake sacct printing
the Slurm fixture. (The Prometheus collector needs a Prometheus: tests only.)
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import Result

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "collectors" / "data"
TRACE = DATA / "replay_trace_synthetic.jsonl"
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "torch", "transformers", "langchain",
         "matplotlib", "typer", "rich", "pydantic_settings", "storage", "bot")
INSTALL_LIMIT_MB = 200.0
RSS_LIMIT_MB = 60.0


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


class _Stub(http.server.BaseHTTPRequestHandler):
    """/ingest answering as the server does, and a dcgm-exporter page on GET."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(json.dumps({"accepted": len(body.get("samples", [])), "duplicates": 0,
                                 "rejected": [], "rejected_jobs": []}).encode(),
                     "application/json")

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer((DATA / "dcgm_a100_k8s.prom").read_bytes(), "text/plain; version=0.0.4")

    def _answer(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _peak_rss_mib(args: list[str], env: dict[str, str]) -> float:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, errors.decode()[-2000:]
    return usage.ru_maxrss / 1024  # KiB on Linux


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "deploy" / "agent" / "stage.py"),
                        str(home / "stage"), str(ROOT)], check=True)
        venv = home / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                        "install", "-q", str(home / "stage")], check=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        installed = _size_mb(site)
        imported = subprocess.run(
            [str(venv / "bin" / "python"), "-c",
             "import sys, collectors.agent_main, collectors.collect_main, collectors.dcgm, "
             "collectors.prometheus, collectors.slurm, collectors.nvml; "
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
            check=True, capture_output=True, text=True, cwd=home).stdout.split()
        heavy = sorted(set(imported) & set(HEAVY))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        sacct = home / "sacct"
        sacct.write_text(f"#!/bin/sh\ncat {DATA / 'sacct_gpu_jobs.txt'}\n")
        sacct.chmod(0o755)
        env = {"PATH": f"{home}:/usr/bin:/bin", "HOME": str(home),
               "AI_COST_INGEST_TOKEN": "bench-token", "AI_COST_LOG_LEVEL": "warning",
               "AI_COST_SPOOL_PATH": str(home / "spool.jsonl")}
        agent = str(venv / "bin" / "ai-cost-agent")
        rss = {
            "agent": _peak_rss_mib([agent, "--replay", str(TRACE), "--once", "--server", url],
                                   env),
            "dcgm": _peak_rss_mib([agent, "collect", "dcgm", "--url", f"{url}/metrics",
                                   "--once", "--server", url], env),
            "slurm": _peak_rss_mib([agent, "collect", "slurm", "--cluster", "iowa-hpc",
                                    "--once", "--server", url], env),
        }
        server.shutdown()
    assert not heavy, f"the agent imports {heavy}"
    return [Result("agent.install_mb", installed, "MB",
                   f"ai-cost-agent and its dependencies in a fresh venv's site-packages (no "
                   f"pip); goal under {INSTALL_LIMIT_MB:.0f} MB"),
            Result("agent.rss_mb", rss["agent"], "MiB",
                   f"peak resident memory of `ai-cost-agent --replay --once` shipping to a "
                   f"local /ingest; goal under {RSS_LIMIT_MB:.0f} MiB"),
            Result("agent.collect_dcgm_rss_mb", rss["dcgm"], "MiB",
                   "peak resident memory of `ai-cost-agent collect dcgm --once` (one 4-GPU "
                   f"page, organisation file read) shipping; goal under {RSS_LIMIT_MB:.0f} MiB"),
            Result("agent.collect_slurm_rss_mb", rss["slurm"], "MiB",
                   "peak resident memory of `ai-cost-agent collect slurm --once` (the sacct "
                   f"fixture) shipping; goal under {RSS_LIMIT_MB:.0f} MiB")]
