"""The CLI people expect: --version, --log-level, --json on status and migrate --check, and
tables that are not cut at 80 columns when piped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app, version
from tests.clock import WEEK, cli_env

RUNNER = CliRunner()


def test_version_and_a_bad_log_level() -> None:
    shown = RUNNER.invoke(app, ["--version"])
    assert shown.exit_code == 0 and shown.output.strip() == f"ai-cost {version()}"
    assert version()[0].isdigit()
    bad = RUNNER.invoke(app, ["--log-level", "loud", "status"])
    assert bad.exit_code == 2 and "debug, info, warning, error" in bad.output


def test_status_and_migrate_check_in_json(demo_engine: Engine, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_COST_DATABASE_URL",
                       demo_engine.url.render_as_string(hide_password=False))
    status = json.loads(RUNNER.invoke(app, ["status", "--json"],
                                      catch_exceptions=False).output)
    assert status["gpus"] > 0 and status["rollups"] > 0 and status["newest_sample"]
    assert isinstance(status["problems"], list) and isinstance(status["rejections"], list)
    check = RUNNER.invoke(app, ["migrate", "--check", "--json"], catch_exceptions=False)
    assert check.exit_code == 0 and json.loads(check.output)["at_head"] is True
    missing = tmp_path / "none.db"
    monkeypatch.setenv("AI_COST_DATABASE_URL", f"sqlite:///{missing}")
    absent = RUNNER.invoke(app, ["migrate", "--check", "--json"], catch_exceptions=False)
    assert absent.exit_code == 1 and json.loads(absent.output)["exists"] is False
    assert not missing.exists()


@pytest.mark.dated
def test_a_piped_table_is_not_cut_at_80_columns(demo_engine: Engine) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    env = cli_env(AI_COST_DATABASE_URL=url)
    env.pop("COLUMNS", None)
    piped = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()",
                            "report", "--week", WEEK], capture_output=True, text=True,
                           env=env, timeout=120)
    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert max(len(line) for line in lines) > 80
    assert "…" not in piped.stdout
    assert "alembic" not in piped.stderr.lower()
