"""`ai-cost report --csv`: the chargeback table, as the read API gives it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from config.organisation import Organisation
from tests.clock import WEEK

pytestmark = pytest.mark.dated


def test_report_csv_is_the_chargeback_of_the_json_report(
        demo_engine: Engine, organisation: Organisation, monkeypatch: pytest.MonkeyPatch,
        cli_clock) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AI_COST_DATABASE_URL",
                       demo_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    report = json.loads(runner.invoke(app, ["report", "--week", WEEK, "--json"],
                                      catch_exceptions=False).output)
    result = runner.invoke(app, ["report", "--week", WEEK, "--csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    by_team = {r["team"]: r for r in rows}
    assert set(by_team) == {t["team"] for t in report["teams"]}
    for team in report["teams"]:
        assert float(by_team[team["team"]]["cost"]) == pytest.approx(team["cost_usd"], abs=0.01)
        assert by_team[team["team"]]["week"] == WEEK
    assert {r["currency"] for r in rows} == {organisation.currency}
    one = runner.invoke(app, ["report", "--week", WEEK, "--team", "nlp", "--csv"],
                        catch_exceptions=False)
    assert [r["team"] for r in csv.DictReader(io.StringIO(one.output))] == ["nlp"]
