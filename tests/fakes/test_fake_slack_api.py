from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes.signing import signature, signed_headers
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN


def _client(fake: FakeSlackApi, **kwargs: object) -> WebClient:
    return WebClient(token=SLACK_TEST_TOKEN, base_url=fake.api_url, **kwargs)  # type: ignore[arg-type]


def test_post_update_ephemeral_and_home(slack_api: FakeSlackApi) -> None:
    client = _client(slack_api)
    assert client.auth_test()["user_id"]
    posted = client.chat_postMessage(channel="U0ALICE", text="hi", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    assert posted["channel"] == "D0ALICE" and posted["message"]["blocks"]
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="done")
    assert slack_api.messages[(posted["channel"], posted["ts"])]["text"] == "done"
    assert client.chat_postEphemeral(channel="C1", user="U0ALICE", text="psst")["ok"]
    client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})
    assert slack_api.views["U0ALICE"]["type"] == "home"
    [call] = slack_api.calls("chat.postMessage")
    assert call.body["channel"] == "U0ALICE" and call.token == SLACK_TEST_TOKEN


def test_lookup_by_email_and_upload(slack_api: FakeSlackApi) -> None:
    client = _client(slack_api)
    slack_api.add_user(user_id="U0BOB", email="bob@example.org", tz="Europe/Berlin")
    assert client.users_lookupByEmail(email="bob@example.org")["user"]["id"] == "U0BOB"
    with pytest.raises(SlackApiError) as err:
        client.users_lookupByEmail(email="nobody@example.org")
    assert err.value.response["error"] == "users_not_found"
    result = client.files_upload_v2(channel="C1", content=b"\x89PNG...", filename="chart.png",
                                    title="Chart")
    assert result["ok"] and list(slack_api.uploads.values()) == [b"\x89PNG..."]
    assert slack_api.calls("files.completeUploadExternal")


def test_rate_limit_errors_and_bad_token(slack_api: FakeSlackApi,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    slack_api.rate_limit("chat.postMessage", count=2, retry_after=0)
    client = _client(slack_api, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
    slept: list[float] = []  # slack_sdk's waits before each retry, a second or more: not here
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.time.sleep", slept.append)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    monkeypatch.undo()
    assert len(slack_api.calls("chat.postMessage")) == 3
    assert len(slept) == 2 and all(s >= 1 for s in slept)  # it waited before each retry
    slack_api.fail("chat.update")
    with pytest.raises(SlackApiError):
        client.chat_update(channel="C1", ts="1", text="x")
    slack_api.error("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C404", text="x")
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=slack_api.api_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"


def test_response_url_and_hooks(slack_api: FakeSlackApi) -> None:
    assert WebhookClient(slack_api.response_url("abc")).send(text="later").status_code == 200
    [call] = slack_api.wait_for("/response/abc")
    assert call.body["text"] == "later"
    slack_api.fail("/hooks/swap", status=503)
    assert httpx.post(slack_api.hook_url("swap"), json={}).status_code == 503
    assert httpx.post(slack_api.hook_url("swap"), json={"a": 1}).status_code == 200


def test_signature_matches_slack_documented_example() -> None:
    # The worked example in Slack's "Verifying requests from Slack" guide.
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
            "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
            "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
            "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert signature(body, secret="8f742231b10e8888abcd99yyyzzz85a5", timestamp=1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
    headers = signed_headers(body, secret="s", timestamp=1)
    assert headers["X-Slack-Request-Timestamp"] == "1"


def test_channels_by_name_and_id_pages_and_scopes_as_slack_answers(
        slack_api: FakeSlackApi) -> None:
    client = _client(slack_api)
    private = slack_api.add_channel("ops", private=True)
    posted = client.chat_postMessage(channel="#ml", text="hi")
    ml = posted["channel"]
    assert ml.startswith("C") and ml != private  # a name is answered with the channel's id
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel="#ml")
    assert err.value.response["error"] == "channel_not_found"  # history takes ids only
    assert client.conversations_history(channel=ml)["messages"][0]["text"] == "hi"
    first = client.conversations_list(types="public_channel,private_channel", limit=1)
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_list(types="public_channel,private_channel", limit=1,
                                       cursor=cursor)
    assert {c["id"] for c in first["channels"] + second["channels"]} == {private, ml}
    assert not second["response_metadata"]["next_cursor"]
    slack_api.scopes = {"chat:write", "channels:history", "channels:read"}
    assert client.conversations_history(channel=ml)["ok"]
    for call, needed in ((lambda: client.conversations_history(channel=private),
                          "groups:history"),
                         (lambda: client.conversations_list(types="private_channel"),
                          "groups:read")):
        with pytest.raises(SlackApiError) as err:
            call()
        assert err.value.response["error"] == "missing_scope"
        assert err.value.response["needed"] == needed
