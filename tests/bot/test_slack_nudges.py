"""Nudges reach the right person at a decent hour, once; the App Home shows labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.services.approvals import Click
from storage import slack_repo
from storage.db import session
from storage.models import Job, Suggestion
from tests.bot.blockkit import assert_all_within_limits
from tests.bot.conftest import PEOPLE, SlackWorld
from tests.clock import WEEK, at


@pytest.mark.dated
def test_owner_gets_one_dm_per_job_by_day_never_at_night(slack_world: SlackWorld) -> None:
    w = slack_world
    nudges = w.services.nudges
    w.clock.now = at(WEEK, 9, 2).timestamp()  # Wednesday after WEEK: 03:00 or 04:00 in Berlin
    w.answer("top")  # judges the week
    night = nudges.send_due()
    assert not night.sent and night.skipped.get("night in the owner's time zone")
    w.clock.now = at(WEEK, 9, 12).timestamp()
    first = nudges.send_due()
    assert first.sent
    dms = w.slack.calls("chat.postMessage")
    assert all(c.body["channel"] in PEOPLE.values() for c in dms)
    dm = dms[0].body
    text = json.dumps(dm["blocks"])
    assert "approve_swap" in text and "Dismiss" in text and "It cost $" in text
    actions = [b for b in dm["blocks"] if b["type"] == "actions"][0]["elements"]
    assert actions[0]["style"] == "primary" and "confirm" in actions[0]
    with session(w.engine) as s:
        per_person: dict[str, int] = {}
        for sid in first.sent:
            row = s.get(Suggestion, sid)
            job = s.get(Job, row.job_id) if row else None
            owner = str(job.user) if job else "?"
            per_person[owner] = per_person.get(owner, 0) + 1
    assert max(per_person.values()) <= nudges.per_person_per_day
    again = nudges.send_due()
    assert not again.sent  # the same suggestions are never pushed twice
    assert_all_within_limits(w.slack)


@pytest.mark.dated
def test_dismissed_suggestion_is_not_pushed(slack_world: SlackWorld) -> None:
    w = slack_world
    w.answer("top")
    with session(w.engine) as s:
        open_ = slack_repo.open_suggestions(session=s, team="nlp")
    for suggestion, _ in open_:
        w.services.approvals.dismiss(Click(suggestion.id or 0, PEOPLE["alice"]))
    report = w.services.nudges.send_due()
    assert not set(report.sent) & {sg.id for sg, _ in open_}


@pytest.mark.dated
def test_praise_when_a_team_label_improves(slack_world: SlackWorld) -> None:
    w = slack_world
    with session(w.engine) as s:
        view = w.services.views.week(session=s)
        s.commit()
    assert view is not None
    view.previous = {}
    view.previous_labels = {"nlp": "G"}
    view.labels["nlp"] = "C"
    report = w.services.nudges.send_due()
    assert "nlp" in report.praised
    [praise] = [c for c in w.slack.calls("chat.postMessage") if c.body["channel"] == "#nlp-ml"]
    assert "from *G* to *C*" in praise.body["blocks"][0]["text"]["text"]
    assert "nlp" not in w.services.nudges.send_due().praised  # once a week


@pytest.mark.dated
def test_app_home_shows_labels_and_open_suggestions(slack_world: SlackWorld) -> None:
    w = slack_world
    event = {"type": "event_callback", "team_id": "T0AICOST", "api_app_id": "A0AICOST",
             "event_id": "Ev1", "event_time": 1,
             "event": {"type": "app_home_opened", "user": PEOPLE["alice"], "tab": "home",
                       "channel": "D0ALICE"}}
    body = json.dumps(event)
    response = w.post(body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    [published] = w.slack.wait_for("views.publish")
    view = published.body["view"]
    text = json.dumps(view)
    assert view["type"] == "home" and "*You* (alice)" in text and "*Team nlp*" in text
    assert "approve_swap" in text
    assert_all_within_limits(w.slack)


def test_socket_mode_fails_with_one_clear_line_without_network(tmp_path: Path,
                                                               monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AI_COST_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # nothing listens there
    result = CliRunner().invoke(cli, ["slack", "socket"])
    assert result.exit_code == 1
    assert "cannot reach Slack" in result.output and "Socket Mode" in result.output
    monkeypatch.delenv("SLACK_APP_TOKEN")
    result = CliRunner().invoke(cli, ["slack", "socket"])
    assert result.exit_code == 1 and "SLACK_APP_TOKEN is not set" in result.output


def test_url_verification_challenge(slack_world: SlackWorld) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"})
    response = slack_world.post(body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json() == {"challenge": "abc"}
