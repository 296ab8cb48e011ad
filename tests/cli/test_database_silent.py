"""A PostgreSQL URL whose host takes the connection and never answers (a wrong port, a
firewall that holds connections): commands end with one line after libpq's connect timeout,
instead of hanging."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.processes import run_side_by_side
from tests.clock import cli_env


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts (the backlog) and nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def test_a_database_that_never_answers_is_one_line(silent_port: int, tmp_path: Path) -> None:
    env = cli_env(AI_COST_DATABASE_URL=f"postgresql://ai_cost:pw@127.0.0.1:{silent_port}/x")
    done = run_side_by_side({"status": (env, ["status"]), "refresh": (env, ["refresh"]),
                             "migrate --check": (env, ["migrate", "--check"])}, cwd=tmp_path)
    for name, result in done.items():
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 1, (name, result.stderr[-2000:])
        assert len(lines) == 1 and "timeout expired" in lines[0], (name, result.stderr[-2000:])
