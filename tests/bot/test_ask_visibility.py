"""ask follows the visibility rule: a team's budget is for its people, and an unknown name is
never answered with the people or models a viewer may not see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.ask import answer_question, viewer_for_user
from bot.ask.access import Viewer
from bot.ask.answer import AnswerCache
from bot.ask.subjects import Context
from bot.ask.tools import Toolbox
from config.organisation import Organisation
from config.settings import Settings
from domain.samples import JobInfo
from storage.db import session as open_session
from storage.ingest import sync_organisation, upsert_jobs
from tests.clock import SUITE_NOW

# vision's people and model, which nobody outside vision may see listed
JOBS = [JobInfo(external_id="v1", user="erin", account="vision", model="secret-vision-model"),
        JobInfo(external_id="v2", user="dave", account="vision"),
        JobInfo(external_id="n1", user="bob", account="nlp", model="bert-base")]


@pytest.fixture
def store(engine: Engine, organisation: Organisation) -> Iterator[Session]:
    with open_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        upsert_jobs(session=s, cluster="frankfurt-k8s", jobs=JOBS, organisation=organisation)
        s.commit()
        yield s


def ask(store: Session, organisation: Organisation, question: str, viewer: Viewer) -> str:
    return answer_question(question, viewer, session=store, organisation=organisation,
                           settings=Settings(), now=SUITE_NOW, cache=AnswerCache()).text


def test_another_teams_budget_is_refused_on_every_surface(store: Session,
                                                          organisation: Organisation) -> None:
    bob = viewer_for_user(organisation, "bob")  # nlp
    text = ask(store, organisation, "is team vision within budget last week?", bob)
    assert "can see team nlp" in text and "9,000" not in text and "9000" not in text
    own = ask(store, organisation, "is team nlp within budget last week?", bob)
    assert "can see" not in own and "nlp" in own
    tool, ok = Toolbox(Context(session=store, organisation=organisation, viewer=bob,
                               today=SUITE_NOW.date())).run("budget", {"team": "vision"})
    assert not ok and "can see team nlp" in tool
    dave = viewer_for_user(organisation, "dave")  # vision's approver
    assert "can see" not in ask(store, organisation, "budget of team vision last week", dave)


@pytest.mark.parametrize("name", ["erin", "nobody-at-all"])
def test_a_name_the_viewer_may_not_see_is_answered_as_an_unknown_one(
        store: Session, organisation: Organisation, name: str) -> None:
    bob = viewer_for_user(organisation, "bob")
    text = ask(store, organisation, f"how much did user {name} spend last week?", bob)
    assert f"no user '{name}' in what you can see" in text
    assert "erin" not in text.replace(f"'{name}'", "") and "dave" not in text
    assert "bob" in text  # what bob may see is offered


def test_an_unknown_model_lists_no_model(store: Session, organisation: Organisation) -> None:
    bob = viewer_for_user(organisation, "bob")
    text = ask(store, organisation, "how much did model gpt-nine cost last week?", bob)
    assert "gpt-nine" in text and "secret-vision-model" not in text and "bert" not in text
    finops = viewer_for_user(organisation, "zoe", finops=["zoe"])
    offered = ask(store, organisation, "how much did model gpt-nine cost last week?", finops)
    assert "secret-vision-model" in offered  # FinOps sees every team's models
