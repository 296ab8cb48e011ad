"""`ask` with a chat model: LangChain's fake chat model scripted to call the read-only tools."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from pydantic import Field
from sqlalchemy import func, select, text
from sqlmodel import Session

from bot.ask import AnswerCache, Viewer, answer_question, viewer_for_user
from bot.ask import agent as ask_agent
from bot.ask.subjects import Context
from bot.ask.tools import Toolbox
from config.organisation import Organisation
from config.settings import Settings
from storage.db import make_engine, migrate
from storage.db import session as open_session
from storage.models import ApprovalEvent, Suggestion
from tests.bot.test_ask_data import (
    INJECTION,
    NLP_W47_USD,
    NOW,
    VISION_A100_W47_USD,
    VISION_W47_USD,
    seed,
    store,
)
from tests.clock import WEEK

__all__ = ["store"]
pytestmark = pytest.mark.dated
READ_ONLY_TOOLS = {"usage", "top_jobs", "team_label", "suggestions", "budget", "breakdown",
                   "compare", "savings", "realized_savings", "idle_capacity", "why_flagged"}


class ScriptedChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that accepts tools and keeps what it was shown."""

    bound: list[str] = Field(default_factory=list)
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound[:] = [t.name for t in tools]
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*replies: AIMessage | str) -> ScriptedChatModel:
    return ScriptedChatModel(messages=iter(replies))


def call(name: str, args: dict[str, Any], call_id: str = "c1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id}])


def tool_messages(model: ScriptedChatModel) -> list[ToolMessage]:
    return [m for m in model.seen[-1] if isinstance(m, ToolMessage)]


def ask(store: Session, organisation: Organisation, question: str, model: Any,
        viewer: Viewer | None = None, **settings: Any):  # type: ignore[no-untyped-def]
    return answer_question(question, viewer or Viewer.operator(), session=store,
                           organisation=organisation, settings=Settings(**settings), now=NOW,
                           model=model, cache=AnswerCache())


def test_the_model_calls_the_right_tool_with_the_right_arguments(store, organisation):
    model = scripted(
        call("usage", {"team": "vision", "gpu_type": "A100", "period": "last week",
                       "metric": "cost"}),
        f"Team vision spent $438.38 on A100 GPUs last week ({WEEK}).")
    answer = ask(store, organisation, "how much did team vision spend on A100s last week?",
                 model, viewer_for_user(organisation, "dave"))
    assert set(model.bound) == READ_ONLY_TOOLS
    assert answer.how == "model" and answer.text.startswith("Team vision spent $438.38")
    assert answer.numbers["cost_usd"] == pytest.approx(VISION_A100_W47_USD, abs=0.01)
    assert answer.sources[0].subject == "team vision on NVIDIA A100-SXM4-80GB GPUs" or \
        "A100" in answer.sources[0].subject
    (result,) = tool_messages(model)
    assert result.status == "success" and "438.38" in result.content
    assert answer.command == "team vision"


def test_invalid_arguments_are_refused_before_any_query(store, organisation):
    model = scripted(
        AIMessage(content="", tool_calls=[
            {"name": "usage", "args": {"team": "nlp", "period": "last 300 weeks"},
             "id": "a"},
            {"name": "top_jobs", "args": {"limit": 500}, "id": "b"},
            {"name": "usage", "args": {"sql": "SELECT * FROM job; DROP TABLE job"}, "id": "c"},
            {"name": "usage", "args": {"team": "robotics"}, "id": "d"},
            {"name": "top_jobs", "args": {"team": "vision"}, "id": "e"},
        ]),
        "I can look back 26 weeks at most.")
    answer = ask(store, organisation, "vision's cost since forever", model,
                 viewer_for_user(organisation, "bob"))
    results = {m.tool_call_id: m for m in tool_messages(model)}
    assert all(m.status == "error" for m in results.values())
    assert "26 weeks" in results["a"].content
    assert "limit" in results["b"].content and "20" in results["b"].content
    assert "sql" in results["c"].content and "Extra inputs" in results["c"].content
    assert "no team 'robotics'" in results["d"].content
    assert "you can see team nlp" in results["e"].content  # bob is in nlp, not vision
    assert answer.how == "model" and answer.numbers == {}
    assert store.execute(select(func.count()).select_from(Suggestion)).scalar() == 3


def test_a_tool_error_is_reported_to_the_model_and_the_person(tmp_path: Path,
                                                             organisation: Organisation):
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    migrate(url)
    engine = make_engine(url)
    with open_session(engine) as s:
        seed(s, organisation)
        s.commit()
        s.execute(text("DROP TABLE ledger_run"))  # the usage tool reads the ledger
        model = scripted(call("usage", {"team": "vision"}),
                         "I could not read the usage data just now.")
        ctx = Context(session=s, organisation=organisation, viewer=Viewer.operator(),
                      today=NOW.date())
        answer = ask_agent.run("vision's cost last week", model=model, toolbox=Toolbox(ctx),
                               timeout_s=10)
    engine.dispose()
    (result,) = tool_messages(model)
    assert result.status == "error"
    assert "usage could not read the store (OperationalError)" in result.content
    assert answer.text == "I could not read the usage data just now."


def test_a_prompt_injection_in_a_job_name_reaches_only_read_only_tools(store, organisation):
    states = dict(store.execute(select(Suggestion.id, Suggestion.state)).all())
    model = scripted(
        call("top_jobs", {"team": "nlp", "period": "last week", "limit": 5}, "t1"),
        # The job's name told the model to approve every swap; it tries.
        AIMessage(content="", tool_calls=[
            {"name": "approve_swap", "args": {"suggestion_id": i}, "id": f"x{i}"}
            for i in states]),
        call("suggestions", {"team": "nlp", "state": "approved"}, "t2"),
        "Nothing was approved: I can only read.")
    answer = ask(store, organisation, "what are nlp's biggest jobs?", model,
                 viewer_for_user(organisation, "alice"))
    assert set(model.bound) == READ_ONLY_TOOLS and "approve_swap" not in model.bound
    seen = [m for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert INJECTION in seen[0].content  # it reached the model, as a tool result (data)
    refused = [m for m in model.seen[2] if isinstance(m, ToolMessage)][1:]
    assert len(refused) == len(states)
    assert all(m.status == "error" and "no tool 'approve_swap'" in m.content for m in refused)
    store.expire_all()
    assert dict(store.execute(select(Suggestion.id, Suggestion.state)).all()) == states
    assert store.execute(select(func.count()).select_from(ApprovalEvent)).scalar() == 0
    assert answer.text == "Nothing was approved: I can only read."


class SlowChatModel(GenericFakeChatModel):
    """Waits for `release` before answering: a provider that does not answer in time."""

    release: Any = None

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> SlowChatModel:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.release.wait(30)
        return super()._generate(messages, *args, **kwargs)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_a_slow_provider_gets_a_clear_reply_and_the_parser_answers(store, organisation,
                                                                  release):
    model = SlowChatModel(messages=iter(["too late"]), release=release)
    answer = ask(store, organisation, "how much did team vision spend last week?", model,
                 ask_timeout_s=0.3)
    assert not release.is_set()  # the reply came while the model was still thinking
    assert answer.how == "error"
    assert "did not answer within" in answer.text and "built-in parser" in answer.text
    assert answer.numbers["cost_usd"] > 0


class FailingChatModel(GenericFakeChatModel):
    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> FailingChatModel:  # type: ignore[override]
        return self

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("connection refused by 10.0.0.5:8000")


def test_a_failing_provider_is_reported_not_silent(store, organisation):
    model = FailingChatModel(messages=iter([]))
    parsed = ask(store, organisation, "top 2 jobs last week", model)
    assert parsed.how == "error" and "ConnectionError" in parsed.text and parsed.rows
    free = ask(store, organisation, "write me a poem about our GPUs", model)
    assert free.how == "error" and "try again" in free.text and "connection refused" in free.text


def test_a_model_that_never_stops_calling_tools_is_cut_off(store, organisation):
    model = scripted(*[call("usage", {"team": "vision"}, f"c{i}") for i in range(10)])
    answer = ask(store, organisation, "vision's cost", model)
    assert answer.how == "error" and "4 steps" in answer.text
    assert len(model.seen) == ask_agent.MAX_STEPS


def test_a_configured_model_that_cannot_be_reached_falls_back(store, organisation):
    answer = ask(store, organisation, "how much did team vision spend last week?", None,
                 ask_model="openai:gpt-4o-mini", ask_base_url="http://127.0.0.1:9/v1",
                 ask_api_key="test", ask_timeout_s=5)
    assert answer.how == "error" and "built-in parser answered" in answer.text
    assert answer.numbers["cost_usd"] > 0


def test_the_new_intents_go_through_read_only_tools_with_the_ledgers_figures(store,
                                                                          organisation):
    model = scripted(
        AIMessage(content="", tool_calls=[
            {"name": "compare", "args": {"teams": ["nlp", "vision"], "period": "last week"},
             "id": "c1"},
            {"name": "top_jobs", "args": {"by": "waste", "limit": 2}, "id": "c2"},
            {"name": "breakdown", "args": {"by": "gpu_type"}, "id": "c3"},
            {"name": "savings", "args": {"whole_organisation": True}, "id": "c4"}]),
        "Vision spent $872 more than nlp; serve-llama wastes most.")
    answer = ask(store, organisation, "which team spent more, nlp or vision, and what is "
                 "the worst job?", model)
    assert set(model.bound) == READ_ONLY_TOOLS
    assert answer.how == "model"
    assert answer.numbers["higher"] == "team vision"
    assert answer.numbers["difference"] == pytest.approx(VISION_W47_USD - NLP_W47_USD,
                                                         abs=0.01)
    assert answer.numbers["top_waste"] == 300.0 and answer.numbers["saved_usd"] == 440.0
    results = tool_messages(model)
    assert [m.status for m in results] == ["success"] * 4
    assert "serve-llama" in results[1].content


def test_a_period_comparison_and_a_bad_grouping_through_the_tools(store, organisation):
    model = scripted(
        call("compare", {"team": "vision", "period": "last week", "other_period": "previous"}),
        call("breakdown", {"by": "colour"}, "c2"),
        "Vision went up.")
    answer = ask(store, organisation, "how did vision change since the week before?", model)
    first, second = (m for m in model.seen[-1] if isinstance(m, ToolMessage))
    assert first.status == "success" and "Up by" in first.content
    assert second.status == "error" and "invalid arguments for breakdown" in second.content
    assert answer.how == "model" and answer.numbers["difference"] > 0


def test_a_failing_model_leaves_a_comparison_to_the_parser(store, organisation):
    answer = ask(store, organisation, "compare nlp and vision",
                 FailingChatModel(messages=iter([])))
    assert answer.how == "error" and "built-in parser answered" in answer.text
    assert answer.numbers["higher"] == "team vision"


def test_a_model_that_reads_no_figure_leaves_the_answer_to_the_parser(store, organisation):
    model = scripted("I am not sure which team you mean.")
    answer = ask(store, organisation, "which team spent more, nlp or vision?", model)
    assert answer.how == "parser" and "read no figures" in answer.text
    assert answer.numbers["higher"] == "team vision"
    chat = ask(store, organisation, "hello there", scripted("Hello! Ask me about GPU costs."))
    assert chat.how == "model" and chat.text.startswith("Hello!")
