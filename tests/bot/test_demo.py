"""`ai-cost demo` end to end on a small simulated cluster, and `ai-cost report`.

Every command runs on the suite's clock (AI_COST_NOW, tests/clock.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from reports.blocks import MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT
from tests.clock import WEEK, weeks_before

pytestmark = pytest.mark.dated


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        cli_clock):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    monkeypatch.setenv("AI_COST_OUT_DIR", str(tmp_path / "out"))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result

    return invoke


def test_demo_writes_a_digest_per_team_and_adds_nothing_twice(run, tmp_path: Path):
    first = run("demo", "--week", WEEK, "--gpus", "16", "--days", "2")
    assert first.exit_code == 0, first.output
    assert "0 rejected" in first.output
    out = tmp_path / "out"
    for team in ("nlp", "vision", "speech", "research"):
        blocks = json.loads((out / f"digest-{team}-{WEEK}.blocks.json").read_text())
        assert blocks["channel"].startswith("#")
        assert len(blocks["blocks"]) <= MAX_BLOCKS
        assert blocks["blocks"][0]["type"] == "header"
        assert len(blocks["blocks"][0]["text"]["text"]) <= MAX_HEADER_TEXT
        for block in blocks["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
        assert (out / f"digest-{team}-{WEEK}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    report = json.loads(run("report", "--week", WEEK, "--json").output)
    teams = {t["team"]: t for t in report["teams"]}
    assert {"nlp", "vision", "speech", "research"} <= set(teams)
    assert sum(t["oversized_jobs"] for t in teams.values()) > 0
    assert all(t["energy_kwh"] >= 0 and t["cost_usd"] >= t["gpu_cost_usd"]
               for t in teams.values())
    for t in teams.values():
        assert t["label"] in tuple("ABCDEFG")
        assert sum(t["jobs_by_label"].values()) == t["jobs"]
        assert set(t["suggestions"]) == {"open", "approved", "applied", "dismissed"}
    for name in ("nlp", "vision", "speech", "research"):
        assert 1 <= teams[name]["rank"] <= teams[name]["teams_ranked"] == 4
    assert teams["unassigned"]["rank"] is None  # usage nobody owns is not ranked
    assert sum(t["suggestions"]["open"] for t in teams.values()) > 0

    again = run("demo", "--week", WEEK, "--gpus", "16", "--days", "2")
    assert "0 new samples" in again.output
    assert json.loads(run("report", "--week", WEEK, "--json").output) == report


def test_report_for_one_team_and_bad_input(run):
    assert run("report").exit_code == 1  # nothing stored yet
    run("demo", "--week", WEEK, "--gpus", "8", "--days", "1")
    one = json.loads(run("report", "--team", "nlp", "--json").output)
    assert one["week"] == WEEK and [t["team"] for t in one["teams"]] == ["nlp"]
    bad_team = run("report", "--team", "nobody")
    assert bad_team.exit_code == 1 and "unknown team 'nobody'" in bad_team.output
    bad_week = run("report", "--week", WEEK.replace("-W", "-"))
    assert bad_week.exit_code == 1 and "not an ISO week" in bad_week.output


def test_a_demo_of_an_old_week_run_again_after_a_report_stores_nothing_new(run):
    """Issue 22: a week older than the raw-sample retention (14 days) behind the suite's now.

    The demo ingests as the week ends, so its samples are within the retention window of its
    own clock; `report` in between prunes nothing, so the second demo finds every sample
    already stored.
    """
    old = weeks_before(WEEK, 4)  # five weeks before the week the suite's now is in
    first = run("demo", "--week", old, "--gpus", "8", "--days", "1")
    assert first.exit_code == 0, first.output
    stored = re.search(r"([\d,]+) new samples", first.output)
    assert stored and int(stored.group(1).replace(",", "")) > 0, first.output
    assert "0 rejected" in first.output
    report = run("report", "--week", old, "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.output)["week"] == old
    again = run("demo", "--week", old, "--gpus", "8", "--days", "1")
    assert again.exit_code == 0, again.output
    assert re.search(r"\b0 new samples", again.output), again.output
    assert f"{stored.group(1)} already stored" in again.output
