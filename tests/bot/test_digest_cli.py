"""`ai-cost digest`: shows a digest, posts it once, reposts only with --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.db import make_engine
from tests.bot.digest_fixtures import seed_week
from tests.clock import WEEK
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN

pytestmark = pytest.mark.dated


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack_api,
        organisation, cli_clock):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    monkeypatch.setenv("AI_COST_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("AI_COST_SLACK_BOT_TOKEN", SLACK_TEST_TOKEN)
    monkeypatch.setenv("AI_COST_SLACK_API_URL", slack_api.api_url)
    engine = make_engine(database_url)
    seed_week(engine, organisation)
    engine.dispose()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_show_post_once_and_force(run, slack_api):
    shown = run("digest", "--team", "nlp", "--week", WEEK, "--markdown")
    assert shown.exit_code == 0 and f"## nlp · {WEEK}" in shown.output
    assert "Label" in shown.output and "Budget" in shown.output
    assert not slack_api.calls("chat.postMessage")

    posted = run("digest", "--team", "nlp", "--week", WEEK, "--post")
    assert posted.exit_code == 0 and posted.output.startswith(f"posted nlp {WEEK}")
    again = run("digest", "--team", "nlp", "--week", WEEK, "--post")
    assert again.exit_code == 0 and "already posted" in again.output and "--force" in again.output
    assert len(slack_api.messages) == 1
    forced = run("digest", "--team", "nlp", "--week", WEEK, "--post", "--force")
    assert forced.exit_code == 0 and "reposted with --force" in forced.output
    assert len(slack_api.messages) == 2


def test_org_digest_and_bad_input(run, slack_api):
    org = run("digest", "--org", "--week", WEEK)
    assert org.exit_code == 0 and "| 1 |" in org.output
    assert run("digest", "--team", "nobody").exit_code == 1
    assert run("digest", "--team", "nlp", "--force").exit_code == 1
    assert run("digest", "--team", "nlp", "--week", WEEK.replace("-W", "-")).exit_code == 1
