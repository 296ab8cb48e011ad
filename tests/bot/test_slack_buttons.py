"""The right buttons: named by their change, on open suggestions only, for people who may use
them; App Home clicks answer on the tab; the dismiss dialog checks first and any replica ends it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import create_app
from bot.digests import DigestService
from bot.server import create_server
from bot.services.approvals import Click
from bot.services.swap_actions import SwapActions
from bot.slack import ChannelPacer, Poster
from bot.slack_http import events_endpoint
from config.settings import Settings
from reports.blocks import change_label
from storage import slack_repo
from storage.db import session
from tests.bot.conftest import HOOK_SECRET, PEOPLE, SlackWorld, _free_server
from tests.clock import WEEK, at
from tests.fakes.signing import block_action_payload, interaction_body
from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET, SLACK_TEST_TOKEN


def test_the_primary_button_names_its_change() -> None:
    assert change_label("release", {"release": {"idle_hours": 40.0, "gpus": 6}}) == \
        "Release 6 GPUs"
    assert change_label("model_swap", {"model": {"from": None,
                                                 "to": "distilbert-base-uncased"}}) == \
        "Switch to distilbert-base-uncased"
    assert change_label("fewer_gpus", {"gpus": {"from": 8, "to": 2}}) == "Run on 2 GPUs"
    assert change_label("fewer_gpus", {"gpus": {"from": 8, "to": 1}}) == "Run on 1 GPU"
    assert change_label("precision", {"precision": {"from": "fp32", "to": "bf16"}}) == "Use bf16"
    assert change_label("smaller_gpu", {"gpu_type": {"from": "A100", "to": "L4"}}) == \
        "Move to L4"
    assert change_label("something_new", {}) == "Approve swap"


def _actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements", [])]


@pytest.mark.dated
def test_buttons_only_on_open_suggestions_and_for_those_who_may(slack_world: SlackWorld) -> None:
    w = slack_world
    poster = Poster(WebClient(token=SLACK_TEST_TOKEN, base_url=w.slack.api_url),
                    pacer=ChannelPacer(sleep=lambda s: None), sleep=lambda s: None)
    digests = DigestService(engine=w.engine, organisation=w.organisation, poster=poster,
                            clock=lambda: at(WEEK, 9, 12))
    [nlp] = [d for d in digests.digests(WEEK) if d.team == "nlp"]
    ids = [x.suggestion_id for x in nlp.worst if x.suggestion_id is not None]
    assert len(ids) >= 2
    # applied, or approved to be applied by hand (a release: nlp did not opt in): decided
    assert w.services.approvals.approve(Click(ids[0], PEOPLE["alice"])).status in (
        "applied", "manual")
    assert digests.post_team("nlp", WEEK).status == "posted"
    [posted] = [c.body for c in w.slack.calls("chat.postMessage") if c.body["channel"] == "C0NLP"
                or c.body["channel"].startswith("#")]
    values = {e["value"] for e in _actions(posted["blocks"])}
    assert str(ids[0]) not in values  # applied: nothing left to click
    assert str(ids[1]) in values
    # bob is in nlp but approves nothing: buttons on his own jobs only, in his private replies
    with session(w.engine) as s:
        owners = {sg.id: j.user for sg, j in slack_repo.suggestions_by_id(
            session=s, ids=[int(v) for v in values]).values()}
    reply = w.answer("digest", user="bob")
    shown = {int(e["value"]) for e in _actions(reply["blocks"])}
    assert all(owners.get(i) == "bob" for i in shown)
    alice = {int(e["value"]) for e in _actions(w.answer("digest", user="alice")["blocks"])}
    assert alice and ids[0] not in alice


def _home_click(w: SlackWorld, action_id: str, sid: int, user: str) -> None:
    payload = block_action_payload(action_id=action_id, value=str(sid), user_id=PEOPLE[user])
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    payload["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
    for key in ("channel", "message", "response_url"):
        payload.pop(key)
    assert w.post(interaction_body(payload)).status_code == 200


@pytest.mark.dated
def test_app_home_clicks_publish_the_tab_with_the_outcome(slack_world: SlackWorld) -> None:
    w = slack_world
    with session(w.engine) as s:
        sid = next(sg.id or 0 for sg, _ in slack_repo.open_suggestions(session=s, team="nlp")
                   if sg.kind != "release")
    _home_click(w, "approve_swap", sid, "dave")  # dave is not in nlp
    [refused] = w.slack.wait_for("views.publish")
    assert "can approve this swap" in json.dumps(refused.body["view"])
    _home_click(w, "approve_swap", sid, "alice")
    published = w.slack.wait_for("views.publish", 2)[-1]
    view = json.dumps(published.body["view"])
    assert published.body["user_id"] == PEOPLE["alice"]
    assert "Approved by" in view and f'"value": "{sid}"' not in view  # the stale button is gone
    assert not w.slack.calls("chat.update")


def _submission(view: dict[str, Any], user: str, reason: str) -> str:
    return interaction_body({
        "type": "view_submission", "team": {"id": "T0AICOST"}, "user": {"id": PEOPLE[user]},
        "api_app_id": "A0AICOST",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"],
                 "state": {"values": {"reason": {"text": {"type": "plain_text_input",
                                                          "value": reason}}}}}})


@pytest.mark.dated
def test_dismiss_checks_first_and_another_replica_finishes_the_dialog(
        slack_world: SlackWorld) -> None:
    w = slack_world
    with session(w.engine) as s:
        sid = next(sg.id or 0 for sg, _ in slack_repo.open_suggestions(session=s, team="nlp")
                   if sg.kind != "release")
    from bot.messages.swaps import swap_actions

    posted = w.services.nudges._client.chat_postMessage(
        channel="C0NLP", text="swap", blocks=[{"type": "section", "text": {
            "type": "mrkdwn", "text": "a job"}}, swap_actions(sid, "swap it")])
    channel, ts, blocks = posted["channel"], posted["ts"], posted["message"]["blocks"]
    w.click("dismiss_swap", sid, user="dave", channel=channel, message_ts=ts, blocks=blocks,
            token="dave")
    [note] = w.slack.wait_for("/response/dave")
    assert "can dismiss this swap" in note.body["text"]
    time.sleep(0.3)
    assert not w.slack.calls("views.open")  # no dialog for someone who may not dismiss
    w.click("dismiss_swap", sid, user="alice", channel=channel, message_ts=ts, blocks=blocks)
    [opened] = w.slack.wait_for("views.open")
    # A second replica on the same database receives the submission.
    settings = Settings(slack_bot_token=SLACK_TEST_TOKEN,
                        slack_signing_secret=SLACK_TEST_SIGNING_SECRET,
                        slack_api_url=w.slack.api_url)
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=w.slack.api_url)
    other = create_app(settings, w.organisation, w.engine, client=client, clock=w.clock,
                       actions=SwapActions(environ={"NLP_SWAP_SECRET": HOOK_SECRET}))
    server, thread, url = _free_server(create_server(settings, w.organisation, w.engine,
                                                     routes=[events_endpoint(other)]))
    try:
        w.url, first = url, w.url
        assert w.post(_submission(opened.body["view"], "alice", "needs it")).status_code == 200
        w.url = first
        [update] = w.slack.wait_for("chat.update")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    text = json.dumps(update.body)
    assert "Dismissed by" in text and "needs it" in text
    assert "approve_swap" not in json.dumps(w.slack.messages[(channel, ts)]["blocks"])
    assert "a job" in json.dumps(w.slack.messages[(channel, ts)]["blocks"])  # the rest stays


@pytest.mark.dated
def test_a_change_the_action_cannot_make_says_so_before_approval(slack_world: SlackWorld
                                                                  ) -> None:
    w = slack_world
    nlp = w.organisation.team("nlp")
    assert nlp is not None
    nlp.swap_action = {"type": "git", "repo": "/nowhere", "file": "w.yaml",
                       "entries": "workloads", "fields": "model:model"}
    reply = w.answer("", user="alice")
    primary = [e for e in _actions(reply["blocks"]) if e["action_id"] == "approve_swap"]
    with session(w.engine) as s:
        kinds = {sg.id: sg.kind for sg, _ in slack_repo.suggestions_by_id(
            session=s, ids=[int(e["value"]) for e in primary]).values()}
    assert primary
    for element in primary:  # a release is no field of a workload entry: by hand
        by_hand = kinds[int(element["value"])] == "release"
        assert element["text"]["text"].endswith("(by hand)") == by_hand
        assert ("Nothing is changed for you" in element["confirm"]["text"]["text"]) == by_hand
