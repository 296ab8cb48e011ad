"""`ai-cost collect slurm` as a command: loops that survive sacct, one-line errors, the cluster
sent with every batch."""

from __future__ import annotations

import logging
import time
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.queries import store_status
from tests.live_server import running

DATA = Path(str(resources.files("collectors") / "data"))

# Fails while the counter file says so, then answers with one GPU job of iowa-hpc.
FLAKY_SACCT = """#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0); echo $((n + 1)) > "$0.count"
echo "$@" >> "$0.args"
if [ "$n" -lt 2 ]; then echo "sacct: error: Problem talking to the database" >&2; exit 1; fi
printf '7001\\037ft\\037alice\\037nlp\\037gpu\\037cpu=8,gres/gpu:a100=2,gres/gpu=2\\037\\037\\037'
printf '00:10:00\\0371700000000\\0371700000600\\037COMPLETED\\037gpu01\\037\\037\\037600'
printf '\\037iowa-hpc\\n'
"""


class Stop(Exception):
    """Ends a loop in a test."""


@pytest.fixture
def sacct(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "sacct"
    script.write_text(FLAKY_SACCT)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    return script


def test_the_loop_survives_sacct_failures_with_backoff_and_says_so(
        sacct: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    waits: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if seconds < 1:  # subprocess polling its child, not the loop
            real_sleep(seconds)
            return
        waits.append(seconds)
        if len(waits) == 6:
            raise Stop

    monkeypatch.setattr("time.sleep", sleep)
    result = CliRunner().invoke(cli, ["collect", "slurm", "--cluster", "iowa-hpc",
                                      "--server", "http://127.0.0.1:9", "--token", "t",
                                      "--interval", "30", "--spool",
                                      str(sacct.parent / "spool.jsonl")])
    assert isinstance(result.exception, Stop), waits
    assert waits[:2] == [5.0, 10.0]  # backoff; later waits: the interval, the shipper's retries
    assert "failure 1 in a row, trying again in 5 s" in caplog.text
    assert "sacct failed (1): sacct: error: Problem talking to the database;" in caplog.text
    assert "failure 2 in a row, trying again in 10 s" in caplog.text
    assert "sacct answers again after 2 failures" in caplog.text
    starts = [line.split("--starttime=")[1].split()[0]
              for line in (sacct.parent / "sacct.args").read_text().splitlines()]
    assert starts[:3] == ["now-1hour"] * 3  # a failed run does not move the window
    assert starts[3] != "now-1hour" and "T" in starts[3]  # then local time, as sacct takes


def test_each_batch_names_its_cluster_and_the_server_checks_it(
        sacct: Path, database_url: str, engine: Engine, organisation: Organisation) -> None:
    sacct.with_suffix(".count").write_text("2")  # sacct answers at once
    app = create_server(Settings(database_url=database_url), organisation, engine)
    other = organisation.cluster("frankfurt-k8s").ingest_token or ""
    with running(app) as url:
        refused = CliRunner().invoke(cli, ["collect", "slurm", "--once", "--cluster",
                                           "iowa-hpc", "--server", url, "--token", other,
                                           "--spool", str(sacct.parent / "spool.jsonl")])
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)  # one line
    assert "this token is for cluster 'frankfurt-k8s'" in refused.stderr


def test_no_sacct_ends_a_loop_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(cli, ["collect", "slurm", "--cluster", "iowa-hpc", "--print"])
    assert result.exit_code == 1 and "sacct is not installed" in result.stderr
    result = CliRunner().invoke(cli, ["collect", "slurm", "--cluster", "iowa-hpc", "--server",
                                      "http://127.0.0.1:9", "--token", "t"])
    assert result.exit_code == 1 and "sacct is not installed" in result.stderr


def test_print_implies_once_and_an_unknown_cluster_is_one_line(sacct: Path) -> None:
    sacct.with_suffix(".count").write_text("2")
    printed = CliRunner().invoke(cli, ["collect", "slurm", "--print", "--cluster", "iowa-hpc"])
    assert printed.exit_code == 0  # returned: no loop
    wrong = CliRunner().invoke(cli, ["collect", "slurm", "--print", "--cluster", "nowhere"])
    assert wrong.exit_code == 1
    assert len([x for x in wrong.stderr.splitlines() if x.strip()]) == 1


def test_the_same_bad_lines_count_once_across_runs(
        database_url: str, engine: Engine, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two timer runs over the same window: the store counts its two bad lines once."""
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    args = ["collect", "slurm", "--cluster", "iowa-hpc", "--sacct-file",
            str(DATA / "sacct_bad_lines.txt"), "--spool", str(tmp_path / "spool.jsonl")]
    for _ in range(2):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    with session(engine) as s:
        status = store_status(session=s)
    assert sum(n for src, _, n, _ in status.rejections if src == "slurm:iowa-hpc") == 2


def test_an_unreadable_sacct_file_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["collect", "slurm", "--print", "--cluster", "iowa-hpc",
                                      "--sacct-file", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1 and "cannot read --sacct-file" in result.stderr
