"""Each nudge is sent once, however many nudgers run: claims in the database, not in memory."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.app import build_services
from bot.services.approvals import Click
from storage import slack_repo
from storage.db import session
from storage.models import SlackNudge
from tests.bot.conftest import PEOPLE, SlackWorld
from tests.clock import WEEK, weeks_before
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN


def _dms(w: SlackWorld) -> list[str]:
    """The suggestion ids of the DMs sent, one per message (read from the buttons)."""
    sent = []
    for call in w.slack.calls("chat.postMessage"):
        for block in call.body.get("blocks", []):
            if block.get("type") == "actions":
                sent.append(block["elements"][0]["value"])
    return sent


@pytest.mark.dated
def test_two_nudgers_at_once_send_each_dm_once_within_the_daily_limit(
        slack_world: SlackWorld) -> None:
    w = slack_world
    nudgers = [w.services.nudges]
    for _ in range(2):  # the scheduler's job and a CronJob, each its own process and client
        client = WebClient(token=SLACK_TEST_TOKEN, base_url=w.slack.api_url)
        nudgers.append(build_services(organisation=w.organisation, engine=w.engine,
                                      client=client, clock=w.clock).nudges)
    reports = []
    threads = [threading.Thread(target=lambda n=n: reports.append(n.send_due()))
               for n in nudgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = _dms(w)
    assert sent and len(sent) == len(set(sent))  # no DM twice
    assert sorted(int(i) for i in sent) == sorted(i for r in reports for i in r.sent)
    with session(w.engine) as s:
        rows = list(s.exec(select(SlackNudge).where(SlackNudge.kind == "suggestion")))
    per_person = Counter((r.recipient, r.local_day) for r in rows)
    assert max(per_person.values()) <= 3
    per_job = Counter((r.recipient, r.job_id, r.local_day) for r in rows)
    assert max(per_job.values()) == 1
    # users.info once per person and process, not once per message
    asked = Counter(c.body.get("user") for c in w.slack.calls("users.info"))
    assert max(asked.values(), default=0) <= len(nudgers)
    again = w.services.nudges.send_due()
    assert not again.sent


@pytest.mark.dated
def test_no_nudge_about_an_older_week_or_after_a_sibling_was_dismissed(
        slack_world: SlackWorld) -> None:
    w = slack_world
    with session(w.engine) as s:
        rows = [(sg, j) for sg, j in slack_repo.open_suggestions(session=s, limit=500)
                if w.organisation.team(j.team)]
        runs = Counter((sg.job_id, sg.run_key) for sg, _ in rows)
        pair = next(run for run, n in runs.items() if n >= 2)  # a run with two suggestions
        siblings = [sg.id or 0 for sg, _ in rows if (sg.job_id, sg.run_key) == pair]
        team = w.organisation.team(next(j.team for sg, j in rows if sg.id == siblings[0]))
        old = next(sg for sg, _ in rows if (sg.job_id, sg.run_key) != pair)
        old.week = weeks_before(WEEK)  # a suggestion of an older week, still open
        s.add(old)
        s.commit()
        old_id = old.id or 0
    assert team is not None and team.approvers
    dismissed = w.services.approvals.dismiss(Click(siblings[0], PEOPLE[team.approvers[0]]))
    assert dismissed.status == "dismissed", dismissed.message
    report = w.services.nudges.send_due(limit=500)
    assert old_id not in report.sent
    assert not set(siblings) & set(report.sent)
    assert report.skipped.get("another suggestion for this run was decided or sent")
