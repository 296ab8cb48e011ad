"""Every `/ai-cost` command, sent to the running server as Slack sends it."""

from __future__ import annotations

import pytest

from storage import slack_repo
from storage.db import session
from tests.bot.blockkit import assert_all_within_limits
from tests.bot.conftest import PEOPLE, SlackWorld
from tests.clock import WEEK
from tests.fakes.signing import block_action_payload, interaction_body


def _text(body: dict) -> str:  # type: ignore[type-arg]
    parts = [body.get("text", "")]
    for block in body.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
            elif isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
        for field in block.get("fields", []):
            parts.append(field["text"])
    return "\n".join(parts)


@pytest.mark.dated
def test_every_command_answers_privately_within_limits(slack_world: SlackWorld) -> None:
    w = slack_world
    ack = w.command("")
    assert ack.status_code == 200 and ack.text == ""  # acked empty; the answer follows
    mine = w.answer("")
    assert mine["response_type"] == "ephemeral"
    text = _text(mine)
    assert f"nlp, {WEEK}" in text and "kWh" in text and "CO2e" in text and "label" in text
    # alice approves for nlp: the worst jobs come with their buttons, named by the change
    actions = [e for b in mine["blocks"] if b["type"] == "actions" for e in b["elements"]]
    primary = [e for e in actions if e["action_id"] == "approve_swap"]
    assert primary and all(e["text"]["text"] != "Approve swap" for e in primary)
    assert len({e["value"] for e in primary}) == len(primary)  # one primary per run

    assert f"vision, {WEEK}" in _text(w.answer("team vision"))
    assert "no team called `nobody`" in _text(w.answer("team nobody"))
    top = w.answer("top 3")
    assert "Jobs whose change saves most" in _text(top)
    assert sum(b["type"] == "section" for b in top["blocks"]) == 3
    assert "and " in _text(top) and " more" in _text(top)
    assert "Energy labels by team" in _text(w.answer("rating"))
    assert "digest" in _text(w.answer("digest")).lower()
    assert "What `/ai-cost` can do" in _text(w.answer("help"))
    unknown = _text(w.answer("frobnicate now"))
    assert "I did not understand `frobnicate`" in unknown and "/ai-cost top" in unknown

    with session(w.engine) as s:
        [(suggestion, job), *_] = slack_repo.open_suggestions(session=s, team="nlp")
    job_text = _text(w.answer(f"job {job.external_id}"))
    assert f"Job {job.external_id}" in job_text and "Why flagged" in job_text
    assert "No job `nope`" in _text(w.answer("job nope"))
    assert assert_all_within_limits(w.slack) > 10


@pytest.mark.dated
def test_budget_and_subscribe_are_for_approvers(slack_world: SlackWorld) -> None:
    w = slack_world
    assert "1.50 MWh" in _text(w.answer("budget"))  # nlp's 1500 kWh from the file
    refused = _text(w.answer("budget set 900 kWh", user="bob"))
    assert "Only nlp's approvers (alice)" in refused
    assert "of 900.0 kWh" in _text(w.answer("budget set 900 kWh", user="alice"))
    assert "set in Slack" in _text(w.answer("budget", user="carol"))
    assert "amount and its unit" in _text(w.answer("budget set lots"))

    assert "Only nlp's approvers" in _text(w.answer("subscribe #nlp-digest", user="carol"))
    assert "#nlp-digest" in _text(w.answer("subscribe #nlp-digest", user="alice"))
    from bot.services.team_view import digest_channel

    with session(w.engine) as s:
        assert digest_channel(session=s, organisation=w.organisation, team="nlp") == \
            "#nlp-digest"
        assert digest_channel(session=s, organisation=w.organisation, team="vision") == \
            "#vision"


def test_unknown_slack_user_is_told_what_to_do(slack_world: SlackWorld) -> None:
    w = slack_world
    w.slack.add_user(user_id="U0ZED", email="zed@elsewhere.org")
    from tests.bot.conftest import PEOPLE

    PEOPLE["zed"] = "U0ZED"
    try:
        assert "do not know which cluster user" in _text(w.answer("", user="zed"))
    finally:
        del PEOPLE["zed"]


@pytest.mark.parametrize("timestamp_offset, secret", [(0, "forged"), (-400, None), (400, None)])
def test_forged_or_stale_requests_get_401(slack_world: SlackWorld, timestamp_offset: int,
                                          secret: str | None) -> None:
    import time

    from tests.fakes.signing import slash_command_body
    from tests.fakes.slack_fixtures import SLACK_TEST_SIGNING_SECRET

    body = slash_command_body(text="top", response_url=slack_world.slack.response_url())
    response = slack_world.post(body, timestamp=time.time() + timestamp_offset,
                                secret=secret or SLACK_TEST_SIGNING_SECRET)
    assert response.status_code == 401
    assert not slack_world.slack.calls("/response/r1")


def test_unsigned_request_gets_401(slack_world: SlackWorld) -> None:
    import httpx

    response = httpx.post(f"{slack_world.url}/slack/events", content="command=%2Fai-cost",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401


def test_health_and_ingest_still_served(slack_world: SlackWorld) -> None:
    import httpx

    assert httpx.get(f"{slack_world.url}/healthz").json() == {"status": "ok"}
    assert httpx.post(f"{slack_world.url}/ingest", json={}).status_code == 401


@pytest.mark.dated
def test_another_teams_jobs_are_for_its_people(slack_world: SlackWorld) -> None:
    w = slack_world
    vision = _text(w.answer("team vision", user="bob"))  # bob is in nlp
    assert f"vision, {WEEK}" in vision and "kWh" in vision  # totals and label: everyone
    assert "Dismiss" not in vision  # but not vision's jobs
    with session(w.engine) as s:
        [(_, job), *_] = slack_repo.open_suggestions(session=s, team="vision")
        nlp_jobs = {j.external_id for _, j in slack_repo.open_suggestions(session=s, team="nlp")}
    refused = _text(w.answer(f"job {job.external_id}", user="bob"))
    assert "belongs to team vision" in refused and "Why flagged" not in refused
    assert f"Job {job.external_id}" in _text(w.answer(f"job {job.external_id}", user="dave"))
    top = _text(w.answer("top 20", user="bob"))
    assert job.external_id not in top
    assert any(name in top for name in nlp_jobs)


@pytest.mark.dated
def test_ask_answers_in_slack_with_a_button_to_the_command(slack_world: SlackWorld) -> None:
    w = slack_world
    reply = w.answer("ask how much did team vision spend last week?", user="bob")
    assert reply["response_type"] == "ephemeral"
    text = _text(reply)
    assert "vision" in text and "$" in text and WEEK in text
    buttons = [e for b in reply["blocks"] for e in b.get("elements", [])
               if e.get("type") == "button"]
    assert buttons and buttons[0]["action_id"] == "ask_run_command"
    jobs = _text(w.answer("ask top 5 jobs of team vision last week", user="bob"))
    assert "You can see" in jobs or "you can see" in jobs


@pytest.mark.dated
def test_the_button_under_an_answer_runs_its_command(slack_world: SlackWorld) -> None:
    w = slack_world
    token = "run-team-vision"
    payload = block_action_payload(
        action_id="ask_run_command", value="/ai-cost team vision", user_id=PEOPLE["bob"],
        channel_id="C0NLP", message_ts="1.000002", blocks=None,
        response_url=w.slack.response_url(token))
    assert w.post(interaction_body(payload)).status_code == 200
    [call] = w.slack.wait_for(f"/response/{token}")
    assert f"vision, {WEEK}" in _text(call.body)
