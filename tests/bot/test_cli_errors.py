"""An unreachable database or a missing file is one line on stderr, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/ai_cost"  # nothing listens on port 1


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


@pytest.mark.parametrize("command", [("refresh",), ("report",), ("demo", "--days", "0.25"),
                                     ("migrate",)])
def test_an_unreachable_database_is_one_line(command: tuple[str, ...], tmp_path: Path) -> None:
    done = _run(*command, env={"AI_COST_DATABASE_URL": UNREACHABLE,
                               "AI_COST_OUT_DIR": str(tmp_path)})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "127.0.0.1" in lines[0] and "Traceback" not in done.stderr


def test_a_missing_input_file_is_one_line(tmp_path: Path) -> None:
    done = _run("classify", "--input", str(tmp_path / "nope.jsonl"), env={})
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: cannot read {tmp_path / 'nope.jsonl'}: No such " \
                                  "file or directory"


def test_a_once_collection_that_collects_nothing_fails(tmp_path: Path) -> None:
    done = _run("collect", "dcgm", "--url", "http://127.0.0.1:1/metrics", "--cluster",
                "frankfurt-k8s", "--once",
                env={"AI_COST_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: http://127.0.0.1:1/metrics: cannot scrape")
