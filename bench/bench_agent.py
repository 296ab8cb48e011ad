"""The slim agent: its install size and its resident memory while it reads and ships.

Builds the `ai-cost-agent` distribution (deploy/agent/pyproject.toml, collectors/ and
domain/) into a fresh virtual environment with pip, measures what it installed (site-packages
without pip itself), then runs `ai-cost-agent --replay TRACE --once` shipping to a local stub
of /ingest and reads the process's peak resident memory (wait4's ru_maxrss).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import Result

ROOT = Path(__file__).resolve().parents[1]
TRACE = ROOT / "collectors" / "data" / "replay_trace_synthetic.jsonl"
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "torch", "transformers", "langchain",
         "matplotlib", "typer", "rich", "pydantic", "storage", "bot", "config")
INSTALL_LIMIT_MB = 200.0
RSS_LIMIT_MB = 60.0


def stage(dest: Path) -> Path:
    """A folder pip can build the agent's distribution from."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "deploy" / "agent" / "pyproject.toml", dest / "pyproject.toml")
    for package in ("collectors", "domain"):
        shutil.copytree(ROOT / package, dest / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _size_mb(path: Path, skip: tuple[str, ...]) -> float:
    total = 0
    for entry in path.iterdir():
        if entry.name.lower().startswith(skip):
            continue
        files = [entry] if entry.is_file() else [f for f in entry.rglob("*") if f.is_file()]
        total += sum(f.stat().st_size for f in files)
    return total / 1e6


class _Ingest(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = json.dumps({"accepted": len(body.get("samples", [])), "duplicates": 0,
                             "rejected": [], "rejected_jobs": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        str(stage(Path(tmp) / "stage"))], check=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        installed = _size_mb(site, ("pip", "setuptools", "_distutils_hack", "distutils-precedence"))
        imported = subprocess.run(
            [str(venv / "bin" / "python"), "-c",
             "import sys, collectors.agent_main, collectors.agent, collectors.shipping, "
             "collectors.nvml; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
            check=True, capture_output=True, text=True).stdout.split()
        heavy = sorted(set(imported) & set(HEAVY))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {**os.environ, "AI_COST_INGEST_TOKEN": "bench-token"}
        process = subprocess.Popen(
            [str(venv / "bin" / "ai-cost-agent"), "--replay", str(TRACE), "--once",
             "--server", f"http://127.0.0.1:{server.server_address[1]}",
             "--spool", str(Path(tmp) / "spool.jsonl"), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        server.shutdown()
    assert os.waitstatus_to_exitcode(status) == 0, errors
    assert not heavy, f"the agent imports {heavy}"
    rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return [Result("agent.install_mb", installed, "MB",
                   f"ai-cost-agent and its dependencies in a fresh venv's site-packages (pip "
                   f"itself left out); goal under {INSTALL_LIMIT_MB:.0f} MB"),
            Result("agent.rss_mb", rss_mb, "MiB",
                   f"peak resident memory of `ai-cost-agent --replay --once` shipping to a "
                   f"local /ingest; goal under {RSS_LIMIT_MB:.0f} MiB")]
