"""`ask` on the questions people ask first, answered from the ledger with the hand figures.

The store is tests/bot/test_ask_data.py (figures worked out in its docstring): vision $1,119.56
and nlp $247.39 last week; open suggestions saving $300 (serve-llama), $90 (job-666) and $50
(train-detector) a week.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.ask import AnswerCache, Viewer, answer_question, viewer_for_user
from bot.cli import app
from config.organisation import Organisation
from config.settings import Settings
from storage.ledger_repo import load_ledger
from tests.bot.test_ask_data import (
    NLP_W47_USD,
    NOW,
    VISION_A100_W47_USD,
    VISION_W47_USD,
    W47,
    _use,
    store,
)
from tests.clock import WEEK, weeks_after, weeks_before

__all__ = ["store"]
pytestmark = pytest.mark.dated
H100_W47_USD = 681.1875 + 196.2
L4_W47_USD = 51.1875
VISION_W46_USD = 62.625


def ask(store: Session, organisation: Organisation, question: str,
        viewer: Viewer | None = None):  # type: ignore[no-untyped-def]
    return answer_question(question, viewer or Viewer.operator(), session=store,
                           organisation=organisation, settings=Settings(), now=NOW,
                           cache=AnswerCache())


@pytest.mark.parametrize("question", ["which team spent more, nlp or vision?",
                                      "compare nlp and vision", "nlp vs vison last week"])
def test_two_teams_are_compared_not_one_answered(store, organisation, question):
    answer = ask(store, organisation, question)
    assert answer.how == "parser"
    assert answer.numbers["higher"] == "team vision"
    assert answer.numbers["difference"] == pytest.approx(VISION_W47_USD - NLP_W47_USD,
                                                         abs=0.01)
    assert {r["subject"] for r in answer.rows} == {"team nlp", "team vision"}
    assert "$1,120" in answer.text and "$247" in answer.text and WEEK in answer.text


def test_a_team_over_two_weeks_says_up_or_down(store, organisation):
    answer = ask(store, organisation, "how did vision's cost change since last week?")
    costs = sorted(r["cost_usd"] for r in answer.rows)
    assert costs == pytest.approx([VISION_W46_USD, VISION_W47_USD], abs=0.01)
    assert f"from {weeks_before(WEEK)}" in answer.text and answer.text.count("Up by $1,057")


def test_worst_jobs_are_the_most_wasteful_as_in_the_digest(store, organisation):
    answer = ask(store, organisation, "5 worst jobs")
    assert [r["job_id"] for r in answer.rows][:3] == ["serve-llama", "job-666",
                                                     "train-detector"]
    assert answer.numbers["top_waste"] == 300.0
    assert "could save $300" in answer.text
    expensive = ask(store, organisation, "5 most expensive jobs")
    assert expensive.rows[0]["job_id"] == "serve-llama"
    assert expensive.rows[1]["job_id"] == "train-detector"  # $438 before job-666's $196
    wasted = ask(store, organisation, "which jobs wasted the most energy?")
    # each suggestion saves 10 kWh: ties go to the run that used most
    assert wasted.numbers["top_waste_energy"] == 10.0
    assert [r["job_id"] for r in wasted.rows][:3] == ["train-detector", "serve-llama", "job-666"]
    assert "could save 10.0 kWh of 70.0 kWh" in wasted.text
    energy = ask(store, organisation, "which jobs used the most energy?")
    first = energy.text.splitlines()[1]
    assert "train-detector" in first and first.endswith("70.0 kWh, $438")  # not kWh twice


def test_totals_per_gpu_type_team_and_user_add_up_to_the_ledger(store, organisation):
    gpus = ask(store, organisation, "cost by gpu type last week")
    by_type = {r["gpu_type"]: r["cost_usd"] for r in gpus.rows}
    assert by_type == pytest.approx({"NVIDIA H100 80GB HBM3": H100_W47_USD,
                                     "NVIDIA A100-SXM4-80GB": VISION_A100_W47_USD,
                                     "NVIDIA L4": L4_W47_USD}, abs=0.01)
    teams = ask(store, organisation, "which team spent the most last week?",
                viewer_for_user(organisation, "bob"))  # team totals: for everyone
    assert teams.numbers["first"] == "vision"
    assert teams.numbers["first_value"] == pytest.approx(VISION_W47_USD, abs=0.01)
    ledger = load_ledger(session=store, week=WEEK)
    assert ledger is not None
    report = {t: round(tw.cost.cost_usd, 2) for t, tw in ledger.teams.items() if tw.jobs}
    assert {r["team"]: r["cost_usd"] for r in teams.rows} == report
    people = ask(store, organisation, "who spent the most in vision?")
    assert [r["user"] for r in people.rows] == ["erin", "dave"]


def test_what_could_be_saved_is_the_best_suggestion_of_each_run(store, organisation):
    answer = ask(store, organisation, "what could we save last week?")
    assert answer.numbers["saved_usd"] == pytest.approx(440.0)
    assert answer.numbers["runs"] == 3
    vision = ask(store, organisation, "how much could vision save?",
                 viewer_for_user(organisation, "dave"))
    assert vision.numbers["saved_usd"] == pytest.approx(350.0)
    refused = ask(store, organisation, "how much could nlp save?",
                  viewer_for_user(organisation, "dave"))
    assert refused.how == "refused" and "not team nlp" in refused.text


def test_realized_savings_and_idle_capacity_come_from_the_ledger(store, organisation):
    ledger = load_ledger(session=store, week=WEEK)
    assert ledger is not None
    realized = ask(store, organisation, "what did the approved swaps save?")
    assert realized.numbers["realized_usd"] == pytest.approx(
        sum(r.saved_cost_usd_week for items in ledger.realized.values() for r in items))
    assert WEEK in realized.text and realized.sources[0].tables == ("ledger",)
    idle = ask(store, organisation, "biggest idle")
    assert idle.numbers["idle_gpu_hours"] == pytest.approx(
        round(sum(c.idle_gpu_hours for c in ledger.clusters.values()), 2))
    assert "Idle capacity in last week" in idle.text


def test_why_a_job_is_flagged_names_the_judges_reasons(store, organisation):
    ledger = load_ledger(session=store, week=WEEK)
    assert ledger is not None
    line = next(ln for ln in ledger.lines() if ln.job.external_id == "serve-llama")
    answer = ask(store, organisation, "why is serve-llama flagged?",
                 viewer_for_user(organisation, "erin"))
    if line.verdict.oversized:
        assert answer.numbers["job_id"] == "serve-llama"
        assert "Serve it with Llama-3.1-8B-Instruct" in answer.text
    else:
        assert "Nothing of job serve-llama is flagged" in answer.text
    unknown = ask(store, organisation, "why is job no-such-job flagged?")
    assert unknown.how == "refused" and unknown.text.startswith("No job 'no-such-job'")


def test_the_operators_we_is_the_organisation(store, organisation):
    answer = ask(store, organisation, "how much CO2 did we emit last week?")
    assert answer.how == "parser" and answer.text.startswith("The organisation emitted")
    assert answer.numbers["cost_usd"] == pytest.approx(VISION_W47_USD + NLP_W47_USD, abs=0.01)


def test_unknown_teams_and_users_get_one_clear_sentence(store, organisation):
    team = ask(store, organisation, "how much did team foo spend last week?")
    assert team.how == "refused" and team.text.startswith("There is no team 'foo'")
    assert team.text.count(".") == 1
    user = ask(store, organisation, "top 5 jobs", viewer_for_user(organisation, "nobody"))
    assert user.how == "refused" and user.text.startswith("I know no user 'nobody'")
    assert "Top 0" not in user.text


def test_cli_as_an_unknown_user_says_so(store, organisation, database_url: str,
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        cli_clock):
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    monkeypatch.delenv("AI_COST_ASK_MODEL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["ask", "top 5 jobs", "--as", "nobody"],
                           catch_exceptions=False)
    assert result.exit_code == 0 and result.output.startswith("I know no user 'nobody'")
    data = json.loads(runner.invoke(app, ["ask", "compare nlp and vision", "--json"],
                                    catch_exceptions=False).output)
    assert data["numbers"]["higher"] == "team vision"


def test_the_operators_label_and_budget_are_every_teams(store, organisation):
    labels = ask(store, organisation, "what's our label?")
    assert {r["team"] for r in labels.rows} == {"vision", "nlp"}
    assert labels.how == "parser" and f"Team labels for {WEEK}" in labels.text
    budgets = ask(store, organisation, "are we over budget?")
    assert budgets.how == "parser" and "Team vision" in budgets.text and "Team nlp" in budgets.text


def test_words_are_not_names(store, organisation):
    """"show me" is not "my", "model swaps" names no model: both were answered wrongly once."""
    shown = ask(store, organisation, "show me the priciest runs")
    assert shown.how == "parser" and shown.rows[0]["job_id"] == "serve-llama"
    gpus = ask(store, organisation, "which GPU model costs us most?")
    assert gpus.how == "parser" and gpus.rows[0]["gpu_type"] == "NVIDIA H100 80GB HBM3"


def test_only_weeks_with_data_not_yet_judged_are_said_to_be_missing(store, organisation):
    quiet = ask(store, organisation, "how much did we spend in the last 4 weeks?")
    assert "Not counted yet" not in quiet.text  # the weeks before the store's first: no data
    this_monday = W47 + timedelta(days=7)
    _use(store, 1, 1, this_monday, 1, 1.0, 1.0)  # data of this week, not judged yet
    store.commit()
    pending = ask(store, organisation, "how much did we spend this week?")
    assert f"Not counted yet: data of {weeks_after(WEEK)}" in pending.text


def test_the_new_answers_keep_to_what_the_asker_may_see(store, organisation):
    bob = viewer_for_user(organisation, "bob")  # nlp
    people = ask(store, organisation, "who spent the most in vision?", bob)
    assert people.how == "refused" and "not team vision" in people.text
    models = ask(store, organisation, "cost per model", bob)
    assert {r["model"] for r in models.rows} == {"bert-base-uncased", "no model"}
    worst = ask(store, organisation, "5 worst jobs", bob)
    assert {r["team"] for r in worst.rows} == {"nlp"}
    other = ask(store, organisation, "why is serve-llama flagged?", bob)
    assert other.how == "refused" and "team nlp" in other.text and "Llama" not in other.text
    teams = ask(store, organisation, "compare nlp and vision", bob)  # totals: for everyone
    assert teams.numbers["higher"] == "team vision"


def test_a_cluster_named_filters_the_runs(store, organisation):
    frankfurt = ask(store, organisation, "how much did we spend on frankfurt last week?")
    assert frankfurt.numbers["cost_usd"] == pytest.approx(VISION_W47_USD + NLP_W47_USD,
                                                          abs=0.01)
    assert "on cluster frankfurt-k8s" in frankfurt.sources[0].subject
    iowa = ask(store, organisation, "how much did team vision spend on iowa-hpc last week?")
    assert iowa.numbers["cost_usd"] == 0 and iowa.numbers["jobs"] == 0


def test_two_weeks_by_number_and_two_people_are_compared(store, organisation):
    before, last = int(weeks_before(WEEK)[-2:]), int(WEEK[-2:])
    weeks = ask(store, organisation, f"week {before} vs week {last} cost for vision")
    assert sorted(r["cost_usd"] for r in weeks.rows) == pytest.approx(
        [VISION_W46_USD, VISION_W47_USD], abs=0.01)
    assert weeks.text.count("Up by $1,057")
    people = ask(store, organisation, "what did alice spend vs bob last week")
    assert people.numbers["higher"] == "alice's jobs"
    assert people.numbers["difference"] == pytest.approx(196.2 - 51.1875, abs=0.01)


def test_the_most_efficient_team_is_read_from_the_labels_for_everyone(store, organisation):
    ledger = load_ledger(session=store, week=WEEK)
    assert ledger is not None
    answer = ask(store, organisation, "which team is the most efficient?",
                 viewer_for_user(organisation, "bob"))
    expected = sorted((tw.rank or 99, t) for t, tw in ledger.teams.items() if tw.label)
    assert [r["team"] for r in answer.rows] == [t for _, t in expected]
    assert all(r["label"] == ledger.teams[r["team"]].label for r in answer.rows)


def test_a_job_named_is_costed_alone_for_those_who_see_it(store, organisation):
    detector = ask(store, organisation, "how much did train-detector cost last week?")
    assert detector.numbers["cost_usd"] == pytest.approx(VISION_A100_W47_USD, abs=0.01)
    assert detector.sources[0].subject.startswith("job train-detector")
    dave = ask(store, organisation, "energy of job train-detector last week",
               viewer_for_user(organisation, "dave"))
    assert dave.numbers["energy_kwh"] == pytest.approx(70.0)
    bob = ask(store, organisation, "energy of job train-detector last week",
              viewer_for_user(organisation, "bob"))
    assert bob.how == "refused" and "70" not in bob.text
    missing = ask(store, organisation, "how much did nosuch-trainer cost last week?")
    assert missing.how == "refused" and missing.text.startswith("No job 'nosuch-trainer'")
