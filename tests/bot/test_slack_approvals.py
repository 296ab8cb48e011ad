"""Approving, dismissing and retrying swaps by clicking, as Slack posts the clicks."""

from __future__ import annotations

import json
import threading

import pytest
from sqlmodel import select

from bot.services.approvals import Click
from bot.services.swap_actions import webhook_signature
from storage import slack_repo
from storage.db import session
from storage.models import ApprovalEvent, Suggestion, Verdict
from tests.bot.blockkit import assert_all_within_limits
from tests.bot.conftest import HOOK_SECRET, PEOPLE, SlackWorld
from tests.clock import WEEK, weeks_after
from tests.fakes.signing import interaction_body


def _nlp_suggestion(w: SlackWorld) -> tuple[int, str | None]:
    w.answer("")  # judges the week and stores the suggestions
    with session(w.engine) as s:
        # a swap: nlp's releases are advice only (no release_action; test_release_action.py)
        suggestion, job = next((sg, j) for sg, j in slack_repo.open_suggestions(
            session=s, team="nlp") if sg.kind != "release")
        return suggestion.id or 0, job.user


def _posted_message(w: SlackWorld, suggestion_id: int) -> tuple[str, str, list]:  # type: ignore[type-arg]
    from bot.messages.swaps import swap_actions

    posted = w.services.nudges._client.chat_postMessage(  # the bot's own channel message
        channel="C0NLP", text="swap", blocks=[{"type": "section", "text": {
            "type": "mrkdwn", "text": "a job"}}, swap_actions(suggestion_id, "swap it")])
    return posted["channel"], posted["ts"], posted["message"]["blocks"]


def _events(w: SlackWorld, suggestion_id: int) -> list[ApprovalEvent]:
    with session(w.engine) as s:
        return slack_repo.events_of(session=s, suggestion_id=suggestion_id)


def _state(w: SlackWorld, suggestion_id: int) -> str:
    with session(w.engine) as s:
        return s.exec(select(Suggestion.state).where(Suggestion.id == suggestion_id)).one()


@pytest.mark.dated
def test_approval_applies_once_and_updates_the_message(slack_world: SlackWorld) -> None:
    w = slack_world
    sid, owner = _nlp_suggestion(w)
    channel, ts, blocks = _posted_message(w, sid)
    # alice (nlp's approver) and the owner click at once, and Slack repeats alice's click.
    clickers = ["alice", "alice", owner if owner in PEOPLE else "alice"]
    responses = []

    def click(user: str) -> None:
        responses.append(w.click("approve_swap", sid, user=user, channel=channel,
                                 message_ts=ts, blocks=blocks))

    threads = [threading.Thread(target=click, args=(u,)) for u in clickers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in responses] == [200, 200, 200]
    w.slack.wait_for("chat.update", 1)
    w.slack.wait_for("/hooks/swap", 1)
    import time

    time.sleep(1.0)  # let the losing clicks finish
    hooks = w.slack.calls("/hooks/swap")
    assert len(hooks) == 1  # exactly one applied action
    hook = hooks[0]
    assert hook.headers["x-ai-cost-signature"] == webhook_signature(
        hook.raw, secret=HOOK_SECRET, timestamp=int(hook.headers["x-ai-cost-timestamp"]))
    assert json.loads(hook.raw)["suggestion_id"] == sid
    events = _events(w, sid)
    assert [(e.old_state, e.new_state) for e in events] == [("open", "approved"),
                                                            ("approved", "applied")]
    assert events[0].channel == channel and events[0].message_ts == ts
    assert _state(w, sid) == "applied"
    message = w.slack.messages[(channel, ts)]
    text = json.dumps(message["blocks"])
    assert "Approved by <@" in text and "approve_swap" not in text
    already = [c for c in w.slack.calls() if c.method.startswith("/response/")
               and "already approved by" in c.body.get("text", "")]
    assert len(already) == 2
    assert_all_within_limits(w.slack)


@pytest.mark.dated
def test_unauthorized_approver_is_refused_and_audited(slack_world: SlackWorld) -> None:
    w = slack_world
    sid, _ = _nlp_suggestion(w)
    assert w.click("approve_swap", sid, user="dave", token="dave").status_code == 200
    [note] = w.slack.wait_for("/response/dave")
    assert "approvers (alice)" in note.body["text"] and note.body["response_type"] == "ephemeral"
    [event] = _events(w, sid)
    assert event.outcome == "unauthorized" and event.actor == "dave"
    assert _state(w, sid) == "open" and not w.slack.calls("/hooks/swap")


@pytest.mark.dated
def test_failing_webhook_is_reported_and_retried(slack_world: SlackWorld) -> None:
    w = slack_world
    sid, _ = _nlp_suggestion(w)
    channel, ts, blocks = _posted_message(w, sid)
    w.slack.fail("/hooks/swap", count=3, status=503)
    w.click("approve_swap", sid, user="alice", channel=channel, message_ts=ts, blocks=blocks)
    w.slack.wait_for("chat.update")
    assert len(w.slack.wait_for("/hooks/swap", 3)) == 3  # retried, then given up
    assert _state(w, sid) == "failed"
    failed = w.slack.messages[(channel, ts)]["blocks"]
    assert "applying it failed: webhook answered 503 after 3 attempts" in json.dumps(failed)
    assert any(e.get("action_id") == "retry_swap" for b in failed for e in b.get("elements", []))
    w.click("retry_swap", sid, user="alice", channel=channel, message_ts=ts, blocks=failed)
    w.slack.wait_for("chat.update", 2)
    assert _state(w, sid) == "applied" and len(w.slack.calls("/hooks/swap")) == 4
    assert [e.new_state for e in _events(w, sid)] == ["approved", "failed", "approved", "applied"]


@pytest.mark.dated
def test_dismissal_asks_why_and_is_remembered(slack_world: SlackWorld) -> None:
    w = slack_world
    sid, _ = _nlp_suggestion(w)
    channel, ts, blocks = _posted_message(w, sid)
    w.click("dismiss_swap", sid, user="alice", channel=channel, message_ts=ts, blocks=blocks)
    [opened] = w.slack.wait_for("views.open")
    view = opened.body["view"]
    submission = {
        "type": "view_submission", "team": {"id": "T0AICOST"},
        "user": {"id": PEOPLE["alice"]}, "api_app_id": "A0AICOST",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"],
                 "state": {"values": {"reason": {"text": {"type": "plain_text_input",
                                                          "value": "needs the big model"}}}}}}
    response = w.post(interaction_body(submission))
    assert response.status_code == 200
    w.slack.wait_for("chat.update")
    assert _state(w, sid) == "dismissed"
    [event] = _events(w, sid)
    assert "needs the big model" in (event.detail or "")
    assert "Dismissed by" in json.dumps(w.slack.messages[(channel, ts)]["blocks"])
    # The same change on the same workload is stored dismissed again next time.
    from datetime import UTC, datetime

    from analyzers.suggestions import Suggestion as Proposed
    from storage.suggestions_repo import save_suggestions

    with session(w.engine) as s:
        row = s.get(Suggestion, sid)
        assert row is not None
        again = Proposed(kind=row.kind, title=row.title, change=row.change,
                         saved_energy_j_week=1.0, saved_cost_usd_week=1.0,
                         saved_co2e_kg_week=1.0, confidence=0.9)
        task = s.exec(select(Verdict.task).where(Verdict.job_id == row.job_id)).first()
        kept = save_suggestions(session=s, job_id=row.job_id, week=weeks_after(WEEK),
                                suggestions=[again], now=datetime.fromtimestamp(w.clock.now, UTC),
                                task=task)
        assert kept == []


@pytest.mark.dated
def test_second_decision_after_a_dismissal_is_refused(slack_world: SlackWorld) -> None:
    w = slack_world
    sid, _ = _nlp_suggestion(w)
    approvals = w.services.approvals
    assert approvals.dismiss(Click(sid, PEOPLE["alice"])).status == "dismissed"
    late = approvals.approve(Click(sid, PEOPLE["alice"]))
    assert late.status == "already" and "already dismissed by <@U0ALICE>" in late.message
    assert approvals.expire() == 0
