"""What people see of served endpoints: `rate --served`, the digest section, /ai-cost rating."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rich.console import Console
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.digests import build_digests
from config.organisation import Organisation
from reports.blocks import digest_blocks
from reports.terminal import render_markdown, render_rich, render_text
from storage.db import session
from storage.served_repo import load_served
from tests.bot.blockkit import problems
from tests.bot.conftest import SlackWorld
from tests.clock import SUITE_NOW, SUITE_NOW_ISO, WEEK, WEEK_START, weeks_before
from tests.served.helpers import Endpoint, batch, client, judge, send

pytestmark = pytest.mark.dated
CHAT = Endpoint("serve-chat", gpus=2, per_step=(12, 8, 0, 20))


@pytest.fixture
def judged(database_url: str, engine: Engine, organisation: Organisation) -> str:
    """WEEK with the chat endpoint, sent through POST /ingest and judged by refresh."""
    http = client(database_url, engine, organisation, SUITE_NOW)
    body = batch(CHAT, WEEK_START + timedelta(days=2), 6 * 60)
    for row in body["served"]:
        row["service"] = "chat <!channel>"
    send(http, body)
    judge(database_url, engine, organisation, SUITE_NOW, [WEEK])
    return database_url


def rate(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setenv("AI_COST_DATABASE_URL", url)
    monkeypatch.setenv("AI_COST_NOW", SUITE_NOW_ISO)
    return CliRunner().invoke(app, ["rate", "--served", *args])


def test_rate_served_json_is_the_ledgers_row(judged: str, engine: Engine,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    result = rate(judged, monkeypatch, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with session(engine) as s:
        stored = load_served(session=s, weeks=[WEEK])
    assert data["week"] == WEEK and data["served"] == stored
    assert data["newer_data_not_counted"] is False
    [row] = data["served"]
    assert row["service"] == "chat <!channel>" and row["requests"] == 3600.0


def test_rate_served_table_says_wh_per_1000_requests_and_the_benchmark_note(
        judged: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = rate(judged, monkeypatch, "--team", "nlp", "--week", WEEK)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Served models, {WEEK}: energy per 1,000 requests measured in production"
    assert lines[1].startswith("- [nlp] chat <!channel> (meta-llama/Llama-3.1-8B-Instruct; 2× "
                               "NVIDIA A100-SXM4-80GB): 3,600 requests, ")
    assert "per 1,000 requests" in lines[1] and "per 1,000 generated tokens" in lines[1]
    assert "idle 25% of its energy" in lines[1] and "on text_generation class A" in lines[1]
    assert "reference GPU" in lines[-1]
    assert "Newer data not yet counted" not in result.stdout
    other = rate(judged, monkeypatch, "--team", "vision")
    assert other.exit_code == 0 and other.stdout.startswith("No served endpoint")


def test_rate_served_refuses_an_unknown_team_and_an_unjudged_week_in_one_line(
        judged: str, monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = rate(judged, monkeypatch, "--team", "nobody")
    assert unknown.exit_code == 1 and "unknown team 'nobody'" in unknown.output
    early = weeks_before(WEEK, 3)
    unjudged = rate(judged, monkeypatch, "--week", early)
    assert unjudged.exit_code == 1
    assert unjudged.output.strip().splitlines() == [
        f"error: {early} is not judged yet: `ai-cost refresh --week {early}` judges it"]


def test_the_teams_digest_has_a_served_section_with_names_escaped(
        judged: str, engine: Engine, organisation: Organisation) -> None:
    with session(engine) as s:
        digests = {d.team: d for d in build_digests(session=s, organisation=organisation,
                                                    week=WEEK, now=SUITE_NOW)}
    assert [r["service"] for r in digests["nlp"].served] == ["chat <!channel>"]
    assert digests["vision"].served == []
    blocks = digest_blocks(digests["nlp"])
    assert problems(blocks) == []
    text = "\n".join(b["text"]["text"] if "text" in b else b["elements"][0]["text"]
                     for b in blocks if b["type"] in ("section", "context"))
    assert "Served models: energy per 1,000 requests" in text
    assert "chat &lt;!channel&gt;" in text and "<!channel>" not in text
    assert "production GPUs differ" in text
    assert "Served models" not in json.dumps(digest_blocks(digests["vision"]))
    # the terminal, plain-text and Markdown digests carry the same figures (not escaped there)
    wh = f"{digests['nlp'].served[0]['wh_per_1k_requests']:,.1f}"
    for rendered in (render_text(digests["nlp"]), render_markdown(digests["nlp"])):
        assert "Served models: energy per 1,000 requests" in rendered
        assert "chat <!channel>" in rendered
    console = Console(width=200, record=True)
    console.print(render_rich(digests["nlp"]))
    shown = console.export_text()
    assert "chat <!channel>" in shown and wh in shown
    assert "Served models" not in render_text(digests["vision"])
    # a name is never rich markup: "[/]" would end a style that was never opened
    digests["nlp"].served[0]["service"] = "chat [/] [bold]x"
    console.print(render_rich(digests["nlp"]))
    assert "chat [/] [bold]x" in console.export_text()


def test_rating_in_slack_shows_the_served_endpoints_the_reader_may_see(
        slack_world: SlackWorld) -> None:
    w = slack_world
    with session(w.engine) as s:
        rows = load_served(session=s, weeks=[WEEK])
    assert rows, "the demo's week serves models"
    body = w.answer("rating", user="alice")  # nlp
    blocks = body["blocks"]
    assert problems(blocks) == []
    text = json.dumps(blocks)
    for row in rows:
        assert (row["service"] in text) == (row["team"] == "nlp"), row["service"]


def test_rate_served_says_when_newer_counters_arrived_after_the_week_was_judged(
        judged: str, engine: Engine, organisation: Organisation,
        monkeypatch: pytest.MonkeyPatch) -> None:
    late = batch(CHAT, WEEK_START + timedelta(days=5), 10)
    send(client(judged, engine, organisation, SUITE_NOW), {"served": late["served"]})
    result = rate(judged, monkeypatch)
    assert result.stdout.splitlines()[-1] == ("Newer data not yet counted (`ai-cost refresh` "
                                              "counts it).")
    assert json.loads(rate(judged, monkeypatch, "--json").stdout)["newer_data_not_counted"]
