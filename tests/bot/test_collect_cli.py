from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli

DATA = Path(str(resources.files("collectors") / "data"))


def test_status_shows_what_collectors_rejected(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_COST_DATABASE_URL", f"sqlite:///{tmp_path / 'ai-cost.db'}")
    monkeypatch.setenv("AI_COST_SPOOL_PATH", str(tmp_path / "spool.jsonl"))  # its own state
    runner = CliRunner()
    stored = runner.invoke(cli, ["collect", "slurm", "--sacct-file",
                                 str(DATA / "sacct_bad_lines.txt"), "--cluster", "iowa-hpc"])
    assert stored.exit_code == 0, stored.output
    status = runner.invoke(cli, ["status"], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    assert "jobs 2" in status.output
    assert "slurm:iowa-hpc" in status.output
    assert "fields instead of" in status.output


def test_server_mode_needs_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["collect", "slurm", "--sacct-file",
                                      str(DATA / "sacct_gpu_jobs.txt"), "--cluster", "iowa-hpc",
                                      "--server", "http://127.0.0.1:9"],
                             env={"AI_COST_INGEST_TOKEN": ""})
    assert result.exit_code == 1 and "ingest token" in result.output
