"""`ask` without a chat model: answers from the store, the team rules, the cache, blocks, CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.ask import (
    RUN_COMMAND_ACTION,
    AnswerCache,
    Viewer,
    answer_blocks,
    answer_question,
    slack_response,
    viewer_for_slack,
    viewer_for_user,
)
from bot.cli import app
from bot.pipeline import refresh
from config.organisation import Organisation
from config.settings import Settings
from reports.blocks import MAX_BLOCKS
from storage.db import session as open_session
from storage.models import User
from tests.bot.test_ask_data import (
    NLP_W47_USD,
    NOW,
    VISION_A100_W47_USD,
    VISION_W47_KWH,
    VISION_W47_USD,
    W47,
    _use,
    seed,
    store,
)
from tests.clock import WEEK

__all__ = ["store"]
pytestmark = pytest.mark.dated


def ask(store: Session, organisation: Organisation, question: str, viewer: Viewer | None = None,
        cache: AnswerCache | None = None, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    return answer_question(question, viewer or Viewer.operator(), session=store,
                           organisation=organisation, settings=settings or Settings(),
                           now=NOW, cache=AnswerCache() if cache is None else cache)


def test_team_spend_on_a100s_last_week_matches_the_hand_computed_cost(store, organisation):
    answer = ask(store, organisation, "how much did team vision spend on A100s last week?",
                 viewer_for_user(organisation, "dave"))
    assert answer.how == "parser"
    assert answer.numbers["cost_usd"] == pytest.approx(VISION_A100_W47_USD, abs=0.01)
    assert answer.numbers["energy_kwh"] == pytest.approx(70.0)
    assert answer.numbers["gpu_hours"] == pytest.approx(168.0)
    assert "$438" in answer.text and WEEK in answer.text
    source = answer.sources[0]
    assert "team vision" in source.subject and "A100" in source.subject
    assert WEEK in source.period and "ledger" in source.tables
    assert answer.command == "team vision"
    assert answer.cli_command == f"report --team vision --week {WEEK}"


def test_energy_over_several_weeks_and_a_user_and_a_model(store, organisation):
    two = ask(store, organisation, "energy of team vision in the last 2 weeks")
    assert two.numbers["energy_kwh"] == pytest.approx(VISION_W47_KWH + 10.0)
    erin = ask(store, organisation, "how much energy did erin use last week?")
    assert erin.numbers["energy_kwh"] == pytest.approx(35.0)
    llama = ask(store, organisation, "CO2e of model llama-3.1-70b last week")
    assert llama.numbers["energy_kwh"] == pytest.approx(35.0)
    assert llama.numbers["co2e_kg"] > 0 and "CO2e" in llama.text


def test_top_jobs_are_ranked_and_capped(store, organisation):
    answer = ask(store, organisation, "top 2 jobs by cost last week")
    assert [r["job_id"] for r in answer.rows] == ["serve-llama", "train-detector"]
    assert answer.command == "top 2"
    many = ask(store, organisation, "top 500 jobs last week")
    assert len(many.rows) == 4 and "20 jobs at most" in many.text


def test_label_and_why_names_the_jobs_that_weigh_on_it(store, organisation):
    answer = ask(store, organisation, "why is our label D?", viewer_for_user(organisation, "erin"))
    assert answer.how == "parser"
    assert answer.numbers["label"] in "ABCDEFG"
    assert "Team vision is" in answer.text and WEEK in answer.text
    assert answer.command == "rating"


def test_my_jobs_that_could_use_a_smaller_model(store, organisation):
    answer = ask(store, organisation, "which of my jobs could use a smaller model?",
                 viewer_for_user(organisation, "erin"))
    assert [r["job_id"] for r in answer.rows] == ["serve-llama"]
    assert answer.numbers["saved_usd_week"] == pytest.approx(300.0)
    assert answer.command == "job serve-llama"


def test_budget_against_the_organisation_file(store, organisation):
    answer = ask(store, organisation, "are we within budget last week?",
                 viewer_for_user(organisation, "dave"))
    assert answer.numbers["budget_usd"] == 9000
    assert answer.numbers["cost_usd"] == pytest.approx(VISION_W47_USD, abs=0.01)
    assert "within budget" in answer.text


def test_team_totals_are_for_everyone_but_jobs_only_for_the_team(store, organisation):
    bob = viewer_for_user(organisation, "bob")
    own = ask(store, organisation, "how much did we spend last week?", bob)
    assert own.numbers["cost_usd"] == pytest.approx(NLP_W47_USD, abs=0.01)
    # like /ai-cost team NAME and /ai-cost rating: totals compare teams, for everyone
    other = ask(store, organisation, "how much did team vision spend last week?", bob)
    assert other.numbers["cost_usd"] == pytest.approx(VISION_W47_USD, abs=0.01)
    org = ask(store, organisation, "how much did the organisation spend last week?", bob)
    assert org.numbers["cost_usd"] == pytest.approx(VISION_W47_USD + NLP_W47_USD, abs=0.01)
    # like /ai-cost job and top: another team's jobs and people are theirs
    jobs = ask(store, organisation, "top 5 jobs of team vision last week", bob)
    assert jobs.how == "refused" and "team nlp" in jobs.text and not jobs.rows
    erin = ask(store, organisation, "how much did erin spend last week?", bob)
    assert erin.how == "refused"


def test_approvers_see_org_totals_but_not_other_teams_jobs(store, organisation):
    alice = viewer_for_user(organisation, "alice")
    total = ask(store, organisation, "how much did the organisation spend last week?", alice)
    assert total.numbers["cost_usd"] == pytest.approx(VISION_W47_USD + NLP_W47_USD, abs=0.01)
    jobs = ask(store, organisation, "top 5 jobs across the organisation last week", alice)
    assert jobs.how == "refused"
    finops = viewer_for_user(organisation, "zoe", finops=["zoe"])
    assert ask(store, organisation, "top 5 jobs across the organisation last week",
               finops).rows


def test_a_slack_user_is_seen_through_their_linked_cluster_user(engine, organisation):
    with open_session(engine) as s:
        seed(s, organisation)
        s.add(User(name="dave", slack_user_id="U0DAVE"))
        s.commit()
        viewer = viewer_for_slack(session=s, organisation=organisation, slack_user_id="U0DAVE")
        assert viewer.user == "dave" and viewer.teams == {"vision"} and viewer.org_totals
        stranger = viewer_for_slack(session=s, organisation=organisation,
                                    slack_user_id="U0NOBODY")
        answer = ask(s, organisation, "how much did we spend last week?", stranger)
        assert answer.how == "refused" and "not linked" in answer.text


def test_unknown_names_and_long_periods_are_refused_clearly(store, organisation):
    team = ask(store, organisation, "how much did team robotics spend last week?")
    assert team.how == "refused" and "no team 'robotics'" in team.text
    long = ask(store, organisation, "energy of team vision in the last 40 weeks")
    assert long.how == "refused" and "26 weeks" in long.text


def test_other_questions_say_how_to_enable_free_questions(store, organisation):
    answer = ask(store, organisation, "tell me a joke about GPUs")
    assert answer.how == "help" and "AI_COST_ASK_MODEL" in answer.text


def test_answers_are_cached_until_the_data_changes(store, organisation):
    cache = AnswerCache()
    question = "how much did team vision spend last week?"
    first = ask(store, organisation, question, cache=cache)
    again = ask(store, organisation, "How much did team vision spend last week", cache=cache)
    assert not first.cached and again.cached and again.numbers == first.numbers
    _use(store, 1, 1, W47 + timedelta(days=1), 1, 1.0, 1.0)  # a new roll-up...
    store.commit()
    assert ask(store, organisation, question, cache=cache).numbers == first.numbers
    refresh(session=store, settings=Settings(now=NOW), organisation=organisation, now=NOW,
            weeks=[WEEK])  # ...counted once the week is judged again: a new version
    store.commit()
    fresh = ask(store, organisation, question, cache=cache)
    assert not fresh.cached and fresh.numbers["energy_kwh"] > first.numbers["energy_kwh"]
    expired = ask(store, organisation, question, cache=cache,
                  settings=Settings(ask_cache_ttl_s=0))
    assert not expired.cached


def test_blocks_carry_the_source_and_a_button_to_the_matching_command(store, organisation):
    answer = ask(store, organisation, "how much did team vision spend last week?")
    blocks = answer_blocks(answer)
    assert len(blocks) <= MAX_BLOCKS
    assert "$1,120" in blocks[0]["text"]["text"]
    assert "Source: team vision" in blocks[1]["elements"][0]["text"]
    button = blocks[2]["elements"][0]
    assert button["action_id"] == RUN_COMMAND_ACTION
    assert button["value"] == "/ai-cost team vision"
    assert slack_response(answer)["response_type"] == "ephemeral"


def test_cli_ask_answers_as_a_user_and_in_json(store, organisation, database_url: str,
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               cli_clock):
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    monkeypatch.delenv("AI_COST_ASK_MODEL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["ask", f"how much did team vision spend in {WEEK}?", "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["numbers"]["cost_usd"] == pytest.approx(VISION_W47_USD, abs=0.01)
    assert data["cli_command"] == f"report --team vision --week {WEEK}"
    text = runner.invoke(app, ["ask", f"top 3 jobs of team vision in {WEEK}", "--as",
                               "bob"], catch_exceptions=False)
    assert text.exit_code == 0 and "You can see team nlp" in text.output
