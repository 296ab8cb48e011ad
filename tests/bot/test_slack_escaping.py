"""A job named to ping the channel and fake a button reaches Slack as plain text, everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.digests import DigestService
from bot.pipeline import refresh
from bot.slack import ChannelPacer, Poster
from config.settings import Settings
from storage import slack_repo
from storage.db import session
from storage.models import Job
from tests.bot.conftest import PEOPLE, SlackWorld
from tests.clock import WEEK, at
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN

EVIL = "<!channel> <http://evil|Approve swap>"
SAFE = "&lt;!channel&gt; &lt;http://evil|Approve swap&gt;"


def _mrkdwn_texts(node: Any, plain: bool = False) -> Iterator[str]:
    """Every string Slack reads as mrkdwn: fallback `text`, mrkdwn objects (not plain_text)."""
    if isinstance(node, dict):
        is_plain = node.get("type") == "plain_text"
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                if not is_plain:
                    yield value
            else:
                yield from _mrkdwn_texts(value, is_plain)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_texts(item, plain)


def _evil_job(w: SlackWorld) -> tuple[int, int]:
    """An nlp job with an open suggestion, renamed and judged again; (suggestion id, job id)."""
    with session(w.engine) as s:
        found = [(sg, j) for sg, j in slack_repo.open_suggestions(session=s, team="nlp")
                 if j.user in PEOPLE]
        suggestion, job = found[0]
        row = s.get(Job, job.id)
        assert row is not None
        row.name = EVIL
        s.add(row)
        s.commit()
        refresh(session=s, settings=Settings(now=at(WEEK, 9, 12)),
                organisation=w.organisation, now=at(WEEK, 9, 12), weeks=[WEEK],
                retention_now=at(WEEK, 7))
        s.commit()
        return suggestion.id or 0, job.id or 0


def _sent(w: SlackWorld) -> list[tuple[str, str]]:
    """(method, text) of every mrkdwn text the bot sent to Slack."""
    return [(call.method, text) for call in w.slack.calls()
            for text in _mrkdwn_texts(call.body)]


@pytest.mark.dated
def test_a_hostile_job_name_is_plain_text_in_every_message(slack_world: SlackWorld) -> None:
    w = slack_world
    sid, job_id = _evil_job(w)
    with session(w.engine) as s:
        job = s.get(Job, job_id)
        assert job is not None
        external_id, owner = job.external_id, job.user or ""
        titles = [sg.title for sg, _ in slack_repo.open_suggestions(session=s, team="nlp")
                  if sg.job_id == job_id]
    assert any(EVIL in t for t in titles)  # the titles embed the job's name
    # /ai-cost replies: the team, the job, the top jobs, the digest preview
    for text in ("", f"job {external_id}", "top 24", "digest", f"job {EVIL}", EVIL):
        w.answer(text, user="alice")
    # the owner's DM
    w.services.nudges.send_due()
    # the App Home
    event = {"type": "event_callback", "team_id": "T0AICOST", "api_app_id": "A0AICOST",
             "event_id": "Ev1", "event_time": 1,
             "event": {"type": "app_home_opened", "user": PEOPLE["alice"], "tab": "home",
                       "channel": "D0ALICE"}}
    w.post(json.dumps(event), headers={"Content-Type": "application/json"})
    w.slack.wait_for("views.publish")
    # the digest in the team's channel
    poster = Poster(WebClient(token=SLACK_TEST_TOKEN, base_url=w.slack.api_url),
                    pacer=ChannelPacer(sleep=lambda s: None), sleep=lambda s: None)
    digests = DigestService(engine=w.engine, organisation=w.organisation, poster=poster,
                            clock=lambda: at(WEEK, 9, 12))
    assert digests.post_team("nlp", WEEK).status == "posted"
    # an approval's outcome, in the message it updates
    posted = w.slack.calls("chat.postMessage")[-1].body
    w.click("approve_swap", sid, user="alice", channel="C0NLP", message_ts="1.000001",
            blocks=posted.get("blocks"))
    w.slack.wait_for("chat.update")

    sent = _sent(w)
    methods = {m for m, t in sent if SAFE in t}
    assert {"chat.postMessage", "views.publish"} <= methods, methods
    assert any(m.startswith("/response/") for m in methods), methods
    leaks = [(m, t) for m, t in sent if "<!channel>" in t or "<http://evil" in t]
    assert not leaks, leaks
    assert owner  # the DM went to the job's owner
