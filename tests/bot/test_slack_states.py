"""Every approval ends: applied, failed then retried, dismissed or done by hand, or to be
applied by hand; one a stopped process left in approved is swept; each change is audited."""

from __future__ import annotations

import json
import threading

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.services.approvals import Click
from storage import slack_repo
from storage.db import session
from storage.models import Job, Suggestion
from storage.slack_repo import Audit
from tests.bot.conftest import PEOPLE, SlackWorld
from tests.clock import iso
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN


def _suggestion(w: SlackWorld, kind: str | None = None) -> int:
    with session(w.engine) as s:
        # a swap unless asked: nlp's releases are advice only (test_release_action.py)
        found = [sg for sg, _ in slack_repo.open_suggestions(session=s, team="nlp")
                 if sg.kind == kind or (kind is None and sg.kind != "release")]
        return found[0].id or 0


def _posted(w: SlackWorld, sid: int) -> tuple[str, str, list]:  # type: ignore[type-arg]
    from bot.messages.swaps import swap_actions

    posted = w.services.nudges._client.chat_postMessage(
        channel="C0NLP", text="swap", blocks=[swap_actions(sid, "swap it")])
    return posted["channel"], posted["ts"], posted["message"]["blocks"]


def _state(w: SlackWorld, sid: int) -> str:
    with session(w.engine) as s:
        return s.exec(select(Suggestion.state).where(Suggestion.id == sid)).one()


def _buttons(blocks: list) -> list[str]:  # type: ignore[type-arg]
    return [e["action_id"] for b in blocks if b.get("type") == "actions"
            for e in b.get("elements", [])]


@pytest.mark.dated
def test_no_action_is_approved_to_apply_by_hand_then_marked_done(slack_world: SlackWorld
                                                                  ) -> None:
    w = slack_world
    nlp = w.organisation.team("nlp")
    assert nlp is not None
    nlp.swap_action = {"type": "none"}
    sid = _suggestion(w)
    channel, ts, blocks = _posted(w, sid)
    w.click("approve_swap", sid, user="alice", channel=channel, message_ts=ts, blocks=blocks)
    w.slack.wait_for("chat.update")
    assert _state(w, sid) == "manual"  # not "applied": nothing was changed yet
    shown = w.slack.messages[(channel, ts)]["blocks"]
    assert "to be applied by hand" in json.dumps(shown)
    assert _buttons(shown) == ["done_swap"]
    w.click("done_swap", sid, user="alice", channel=channel, message_ts=ts, blocks=shown)
    w.slack.wait_for("chat.update", 2)
    assert _state(w, sid) == "done"
    assert "Marked done by hand" in json.dumps(w.slack.messages[(channel, ts)]["blocks"])
    with session(w.engine) as s:
        moves = [(e.old_state, e.new_state, e.action, e.outcome)
                 for e in slack_repo.events_of(session=s, suggestion_id=sid)]
    assert moves == [("open", "approved", "approve", None), ("approved", "manual", "apply", "none"),
                     ("manual", "done", "done", None)]


@pytest.mark.dated
def test_a_failed_swap_can_be_dismissed_or_done_by_hand(slack_world: SlackWorld) -> None:
    w = slack_world
    with session(w.engine) as s:
        first, second = [sg.id or 0 for sg, _ in
                         slack_repo.open_suggestions(session=s, team="nlp")
                         if sg.kind != "release"][:2]
    w.slack.fail("/hooks/swap", count=6, status=503)
    for sid in (first, second):
        outcome = w.services.approvals.approve(Click(sid, PEOPLE["alice"]))
        assert outcome.status == "failed"
    channel, ts, _ = _posted(w, first)
    from bot.messages.swaps import outcome_blocks

    assert _buttons(outcome_blocks("failed", "x", first)) == ["retry_swap", "dismiss_swap",
                                                              "done_swap"]
    done = w.services.approvals.mark_done(Click(first, PEOPLE["alice"]))
    assert done.status == "done" and _state(w, first) == "done"
    dismissed = w.services.approvals.dismiss(Click(second, PEOPLE["alice"]), reason="no")
    assert dismissed.status == "dismissed" and _state(w, second) == "dismissed"
    again = w.services.approvals.retry(Click(second, PEOPLE["alice"]))
    assert again.status == "already" and "dismissed" in again.message


@pytest.mark.dated
def test_an_approval_left_by_a_stopped_process_is_swept_once(slack_world: SlackWorld) -> None:
    w = slack_world
    sid = _suggestion(w)
    now = w.services.approvals._now()
    with session(w.engine) as s:  # the approval committed, then the process died
        slack_repo.transition(session=s, suggestion_id=sid, old="open", new="approved",
                              audit=Audit(actor="alice", action="approve"), now=now)
        s.commit()
    assert w.services.approvals.sweep() == []  # too recent: it may still be in flight
    stuck = w.services.approvals.retry(Click(sid, PEOPLE["alice"]))
    assert "already approved" in stuck.message and "being applied" in stuck.message
    w.clock.now += 20 * 60
    ended: list[list[tuple[int, str]]] = []
    threads = [threading.Thread(target=lambda: ended.append(w.services.approvals.sweep()))
               for _ in range(2)]  # two replicas sweep at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ended, key=len) == [[], [(sid, "applied")]]
    [hook] = w.slack.wait_for("/hooks/swap")
    assert hook.headers["idempotency-key"] == f"ai-cost-suggestion-{sid}"
    assert json.loads(hook.raw)["approved_by"] == "alice"
    with session(w.engine) as s:
        moves = [(e.action, e.new_state) for e in slack_repo.events_of(session=s,
                                                                        suggestion_id=sid)]
    assert moves == [("approve", "approved"), ("sweep", "approved"), ("apply", "applied")]


@pytest.mark.dated
def test_the_change_names_the_model_the_command_runs(slack_world: SlackWorld) -> None:
    w = slack_world
    sid = _suggestion(w, "model_swap")
    with session(w.engine) as s:
        row = s.get(Suggestion, sid)
        assert row is not None
        job = s.get(Job, row.job_id)
        assert job is not None
        row.change = {**row.change, "model": {**row.change["model"], "from": None}}
        job.model, job.command = None, "torchrun train.py --model_name_or_path big/model-7b"
        s.add(row)
        s.add(job)
        s.commit()
    assert w.services.approvals.approve(Click(sid, PEOPLE["alice"])).status == "applied"
    [hook] = w.slack.wait_for("/hooks/swap")
    body = json.loads(hook.raw)
    assert body["change"]["model"]["from"] == "big/model-7b"
    assert body["job"]["model"] == "big/model-7b"
    with session(w.engine) as s:
        stored = s.get(Suggestion, sid)
        assert stored is not None and stored.change["model"]["from"] == "big/model-7b"
        [approved, _] = slack_repo.events_of(session=s, suggestion_id=sid)
    assert approved.old_model == "big/model-7b"


@pytest.mark.dated
def test_audit_and_suggestions_commands_show_each_change(slack_world: SlackWorld,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    w = slack_world
    sid = _suggestion(w)
    w.services.approvals.dismiss(Click(sid, PEOPLE["alice"]), reason="needs the big model")
    url = w.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("AI_COST_DATABASE_URL", url)
    monkeypatch.setenv("AI_COST_NOW", iso(w.services.approvals._now()))
    audit = CliRunner().invoke(cli, ["audit", "--team", "nlp", "--since", "7d"])
    assert audit.exit_code == 0, audit.output
    assert f"#{sid} nlp/" in audit.output and "open -> dismissed" in audit.output
    assert "needs the big model" in audit.output
    other = CliRunner().invoke(cli, ["audit", "--team", "vision"])
    assert f"#{sid} " not in other.output
    listed = CliRunner().invoke(cli, ["suggestions", "--team", "nlp", "--state", "dismissed"])
    assert listed.exit_code == 0, listed.output
    assert f"#{sid} " in listed.output and "dismissed" in listed.output
    bad = CliRunner().invoke(cli, ["suggestions", "--state", "pending"])
    assert bad.exit_code != 0


APPROVE_IN_A_PROCESS = """
import sys
from slack_sdk import WebClient
from bot.services.approvals import Approvals, Click
from bot.services.directory import Directory
from bot.services.swap_actions import SwapActions
from config.organisation import load_organisation
from storage.db import make_engine

url, hook, sid, api, now, token = sys.argv[1:7]
org = load_organisation(None)
org.team("nlp").swap_action = {"type": "webhook", "url": hook, "secret_env": "S"}
directory = Directory(organisation=org, client=WebClient(token=token, base_url=api))
approvals = Approvals(organisation=org, engine=make_engine(url), directory=directory,
                      actions=SwapActions(environ={"S": "s"}, attempts=1),
                      clock=lambda: float(now))
approvals.approve(Click(int(sid), "U0ALICE"))
"""


@pytest.mark.dated
def test_kill_9_while_the_action_is_in_flight_is_swept_and_applied_once(
        slack_world: SlackWorld) -> None:
    import socket
    import subprocess
    import sys

    w = slack_world
    with session(w.engine) as s:
        sid = [sg.id or 0 for sg, _ in slack_repo.open_suggestions(session=s, team="nlp")
               if sg.kind != "release"][0]
    hanging = socket.socket()  # a webhook receiver that takes the request and never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen()
    hook = f"http://127.0.0.1:{hanging.getsockname()[1]}/swap"
    url = w.engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-c", APPROVE_IN_A_PROCESS, url, hook, str(sid),
                             w.slack.api_url, str(w.clock.now), SLACK_TEST_TOKEN],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        hanging.settimeout(30)
        try:
            conn, _ = hanging.accept()  # the action is in flight
        except TimeoutError:
            proc.kill()
            raise AssertionError(proc.communicate()[0]) from None
        proc.kill()  # kill -9
        proc.wait(timeout=30)
        conn.close()
    finally:
        hanging.close()
    assert _state(w, sid) == "approved"  # what the crash leaves
    w.clock.now += 20 * 60
    assert w.services.approvals.sweep() == [(sid, "applied")]  # the test world's webhook
    [call] = w.slack.wait_for("/hooks/swap")
    assert call.headers["idempotency-key"] == f"ai-cost-suggestion-{sid}"
    assert w.services.approvals.sweep() == [] and _state(w, sid) == "applied"
