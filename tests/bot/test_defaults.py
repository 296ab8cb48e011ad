"""No silent defaults: the organisation file's gaps, `ai-cost status`, commands that only read
never create a database, and the digest of the usage no team owns."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from bot.cli import app as cli
from config.organisation import UNASSIGNED, load_organisation
from tests.clock import WEEK

ATLANTIS_ORG = """\
name: atlantis
gpu_prices_usd_per_hour: {H100: 4.0}
clusters:
  - name: lost
    region: Atlantis
  - name: frankfurt
    region: Germany
    pue: 1.3
    energy_price_usd_per_kwh: 0.2
teams:
  - name: quiet
  - name: loud
    slack_channel: "#loud"
"""


def ai_cost(*args: str, url: str, **env: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"AI_COST_DATABASE_URL": url,
                                                     "COLUMNS": "300", **env})


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def atlantis(tmp_path: Path) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(ATLANTIS_ORG)
    return path


def test_loading_the_organisation_file_names_each_problem_once(atlantis: Path,
                                                                 caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="ai_cost.organisation"):
        organisation = load_organisation(atlantis)
    warned = [r.getMessage() for r in caplog.records]
    assert warned == [f"{atlantis}: {p}" for p in organisation.problems()]
    assert organisation.problems() == [
        "cluster lost: no pue: the default 1.2",
        "cluster lost: no energy_price_usd_per_kwh: the default 0.15 $/kWh",
        "cluster lost: region 'Atlantis' unknown: world average 475 g/kWh",
        "team quiet: no slack_channel: its digest is posted nowhere until one is set here or "
        "with `/ai-cost subscribe`",
    ]
    seen = organisation.problems(gpu_types_seen=["NVIDIA H100 80GB HBM3", "Tesla P100-PCIE-16GB",
                                                 "Tesla P100-PCIE-16GB"])
    assert seen[-1] == "no price for GPU type Tesla P100-PCIE-16GB: the default 2.00 $/h"
    assert len(seen) == 5  # each GPU type once, the priced one not at all
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ai_cost.organisation"):
        load_organisation(None)  # the shipped example has no gap
    assert caplog.records == []


@pytest.mark.parametrize("command", [("status",), ("report",), ("ask", "how much did nlp spend?"),
                                     ("suggest", "--job", "j1"), ("digest", "--team", "nlp")])
@pytest.mark.parametrize("auto_migrate", ["true", "false"])
def test_commands_that_only_read_never_create_a_database(tmp_path: Path, command: tuple[str, ...],
                                                         auto_migrate: str):
    path = tmp_path / "nowhere" / "ai-cost.db"
    path.parent.mkdir()
    result = ai_cost(*command, url=f"sqlite:///{path}", AI_COST_AUTO_MIGRATE=auto_migrate)
    assert result.exit_code == 1
    line = one_line(result)
    assert line.startswith(f"error: no ai-cost database at {path}: run `ai-cost demo`")
    assert "`ai-cost migrate`" in line
    assert list(path.parent.iterdir()) == []  # no file, no -wal, no -shm


def test_an_empty_sqlite_file_says_the_same(tmp_path: Path):
    empty = tmp_path / "empty.db"
    empty.touch()
    result = ai_cost("status", url=f"sqlite:///{empty}")
    assert result.exit_code == 1
    assert one_line(result).startswith(f"error: no ai-cost database at {empty}")


def test_a_postgres_database_missing_or_without_schema_says_the_same(pg_admin: Engine):
    server = pg_admin.url.set(database="").render_as_string(hide_password=False).rstrip("/")
    name = f"ai_cost_test_empty_{uuid.uuid4().hex[:8]}"
    missing = ai_cost("status", url=f"{server}/{name}")
    assert missing.exit_code == 1
    assert one_line(missing).startswith(f"error: no ai-cost database at {server}/{name}")
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        empty = ai_cost("report", url=f"{server}/{name}", AI_COST_AUTO_MIGRATE="true")
        assert empty.exit_code == 1
        assert one_line(empty).startswith(f"error: no ai-cost database at {server}/{name}")
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_status_lists_the_defaults_in_use_with_the_gpu_types_stored(demo_engine: Engine,
                                                                    atlantis: Path):
    url = demo_engine.url.render_as_string(hide_password=False)
    shown = ai_cost("status", url=url)
    assert shown.exit_code == 0, shown.output
    # the demo's P100s have no price in the example organisation file
    assert "- no price for GPU type Tesla P100" in shown.output
    assert "the default 2.00 $/h" in shown.output
    other = ai_cost("status", url=url, AI_COST_ORG_FILE=str(atlantis))
    assert other.exit_code == 0, other.output
    assert "region 'Atlantis' unknown: world average 475 g/kWh" in other.output
    assert "team quiet: no slack_channel" in other.output
    assert other.output.count("region 'Atlantis'") == 1  # listed, not logged as well


@pytest.mark.dated
def test_the_digest_of_usage_no_team_owns(demo_engine: Engine, cli_clock):  # type: ignore[no-untyped-def]
    url = demo_engine.url.render_as_string(hide_password=False)
    shown = ai_cost("digest", "--team", UNASSIGNED, "--week", WEEK, "--text", url=url)
    assert shown.exit_code == 0, shown.output
    assert f"AI energy digest for {UNASSIGNED}, {WEEK}" in shown.output
    posted = ai_cost("digest", "--team", UNASSIGNED, "--week", WEEK, "--post", url=url)
    assert posted.exit_code == 1
    assert "no Slack channel" in one_line(posted)
    unknown = ai_cost("digest", "--team", "nobody", url=url)
    assert unknown.exit_code == 1 and "unknown team 'nobody'" in unknown.output
