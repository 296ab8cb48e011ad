"""No command prints the database password: every command that shows settings or errors,
run as a user runs it, with a PostgreSQL URL holding a password (the local server trusts
127.0.0.1, so the password is carried but not needed), on a working, an unreachable and an
invalid database URL, with debug logging, and the server's start-up log and probes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.processes import AI_COST, run_side_by_side
from tests.clock import cli_env
from tests.live_server import free_port

PASSWORD = "Zq7pW4sh3dKx9"


def with_password(url: str, port: int | None = None) -> str:
    """`url` (postgresql+psycopg://postgres@HOST:PORT/DB) with the password, and another port."""
    scheme, rest = url.split("://", 1)
    user, where = rest.split("@", 1)
    host_port, db = where.split("/", 1)
    if port is not None:
        host_port = f"{host_port.rsplit(':', 1)[0]}:{port}"
    return f"{scheme}://{user}:{PASSWORD}@{host_port}/{db}"


def env(url: str, tmp_path: Path) -> dict[str, str]:
    said = cli_env(AI_COST_DATABASE_URL=url, AI_COST_OUT_DIR=str(tmp_path / "out"))
    said.pop("AI_COST_LOG_LEVEL", None)
    return said


@pytest.mark.dated  # demo and refresh judge the weeks before the CLI's now
@pytest.mark.parametrize("backend", ["postgresql"])
def test_no_command_prints_the_password(database_url: str, tmp_path: Path) -> None:
    good = with_password(database_url)
    down = with_password(database_url, port=free_port())
    invalid = f"mysql://ai_cost:{PASSWORD}@db.example:3306/ai_cost"
    commands = {
        "status": (good, ["status"]),
        "status --json": (good, ["status", "--json"]),
        "migrate --check": (good, ["migrate", "--check"]),
        "migrate --check --json": (good, ["migrate", "--check", "--json"]),
        "debug migrate": (good, ["--log-level", "debug", "migrate"]),
        "debug status": (good, ["--log-level", "debug", "status", "--json"]),
        "down status": (down, ["status"]),
        "down migrate": (down, ["migrate"]),
        "down migrate --check --json": (down, ["migrate", "--check", "--json"]),
        "down debug refresh": (down, ["--log-level", "debug", "refresh"]),
        "invalid status": (invalid, ["status", "--json"]),
    }
    # The demo writes first, alone: the others then read what it stored, side by side.
    done = run_side_by_side({"demo": (env(good, tmp_path),
                                      ["demo", "--days", "0.25", "--gpus", "8"])}, cwd=tmp_path)
    done |= run_side_by_side({name: (env(url, tmp_path), args)
                              for name, (url, args) in commands.items()}, cwd=tmp_path)
    for name, result in done.items():
        said = result.stdout + result.stderr
        assert PASSWORD not in said, f"`ai-cost {name}` printed the password:\n{said[-3000:]}"
        assert "Traceback" not in said, f"`ai-cost {name}`:\n{said[-3000:]}"
    # They ran, and where they name the database they hide the password.
    assert done["status"].returncode == 0 and done["status --json"].returncode == 0
    assert done["debug migrate"].returncode == 0 and done["debug status"].returncode == 0
    assert "postgres:***@" in done["debug migrate"].stdout
    assert "postgres:***@" in done["migrate --check --json"].stdout
    assert done["demo"].returncode == 0, done["demo"].stderr[-2000:]
    assert "postgres:***@" in done["demo"].stdout
    for name in ("down status", "down migrate", "down migrate --check --json",
                 "down debug refresh"):
        assert done[name].returncode == 1, name
        assert "postgres:***@" in done[name].stdout + done[name].stderr, name
    invalid_said = done["invalid status"]
    assert invalid_said.returncode == 1
    assert invalid_said.stderr.strip() == ("error: invalid settings: AI_COST_DATABASE_URL: "
                                           "must be a sqlite:// or postgresql:// URL")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_server_logs_and_probes_hide_the_password(database_url: str,
                                                      tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(AI_COST_DATABASE_URL=with_password(database_url))
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([AI_COST, "--log-level", "debug", "serve", "--port", str(port),
                               "--no-socket"], env=env, cwd=tmp_path, stdout=log,
                              stderr=subprocess.STDOUT)
    pages = []
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                pages.append(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5))
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)  # polling a process that starts; no event to wait on
        for path in ("/healthz/ready", "/healthz/live", "/metrics"):
            pages.append(httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    said = (tmp_path / "serve.log").read_text()
    assert "Uvicorn running" in said or "Application startup complete" in said, said[-2000:]
    assert PASSWORD not in said, said[-3000:]
    assert pages[0].status_code == 200
    for page in pages:
        assert PASSWORD not in page.text, page.url
