"""Digests posted through the local Slack Web API: once per team and week, whatever happens."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.digests import DigestService, build_digests, digest_week
from bot.slack import ChannelPacer, Poster, retry_handlers
from config.organisation import Organisation
from storage import digest_store
from storage.db import session
from tests.bot.digest_fixtures import Clock, seed_week
from tests.clock import WEEK, WEEK_MONDAY, at, weeks_before
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN

pytestmark = pytest.mark.dated
MONDAY_9 = at(WEEK, 7, 9)  # the Monday after WEEK, 09:00 UTC


def make_service(engine: Engine, organisation: Organisation, slack_api: FakeSlackApi,
                 clock: Clock, sleeps: list[float] | None = None) -> DigestService:
    """A digest service on the fake Slack, whose workspace has the file's channels."""
    for channel in [t.slack_channel for t in organisation.teams] + [
            organisation.finops_channel]:
        if channel:
            slack_api.add_channel(channel)
    sleeps = sleeps if sleeps is not None else []
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url,
                       retry_handlers=retry_handlers(sleep=sleeps.append, backoff_s=0.01))
    poster = Poster(client, pacer=ChannelPacer(sleep=sleeps.append), sleep=sleeps.append)
    return DigestService(engine=engine, organisation=organisation, poster=poster, clock=clock)


def posts(slack_api: FakeSlackApi, channel: str | None = None) -> list:  # type: ignore[type-arg]
    return [c for c in slack_api.calls("chat.postMessage")
            if channel is None or c.body.get("channel") == channel]


def test_the_digest_week_is_the_last_full_week_in_the_team_zone():
    assert digest_week(MONDAY_9, "Europe/Berlin") == WEEK
    # Sunday 23:30 in New York is already Monday in UTC: still the week before in New York
    sunday = WEEK_MONDAY + timedelta(days=6)
    late = datetime(sunday.year, sunday.month, sunday.day, 23, 30,
                    tzinfo=ZoneInfo("America/New_York"))
    assert late.astimezone(UTC).weekday() == 0  # Monday
    assert digest_week(late, "America/New_York") == weeks_before(WEEK)


def test_build_digests_ranks_labels_budgets_and_keeps_history(engine, organisation):
    seed_week(engine, organisation)
    with session(engine) as s:
        digests = build_digests(session=s, organisation=organisation, week=WEEK, now=MONDAY_9)
        s.commit()
    by_team = {d.team: d for d in digests}
    nlp = by_team["nlp"]
    assert nlp.label is not None and nlp.rank is not None
    assert nlp.teams_ranked == len([d for d in digests if d.score is not None])
    assert [b.metric for b in nlp.budget] == ["kwh"]
    assert by_team["vision"].budget[0].metric == "usd"
    assert nlp.label_history[-1] == (WEEK, nlp.label)
    assert nlp.swaps is not None and nlp.swaps.applied == 0
    assert nlp.worst and nlp.figures.oversized_jobs >= 1


def test_posts_each_team_once_with_the_chart_uploaded(engine, organisation, slack_api):
    seed_week(engine, organisation)
    service = make_service(engine, organisation, slack_api, Clock(MONDAY_9))
    first = service.post_team("nlp", WEEK)
    assert first.status == "posted" and first.message_ts
    # the upload flow that replaced files.upload, then the file referenced by id
    methods = [c.method for c in slack_api.requests]
    assert methods[0] == "files.getUploadURLExternal"
    assert methods[1].startswith("/upload/")
    assert methods[2] == "files.completeUploadExternal"
    file_id = methods[1].rsplit("/", 1)[1]
    assert slack_api.uploads[file_id][:8] == b"\x89PNG\r\n\x1a\n"
    [post] = posts(slack_api)
    assert post.body["channel"] == "#nlp-ml"
    images = [b for b in post.body["blocks"] if b["type"] == "image"]
    assert images and images[0]["slack_file"]["id"] == file_id
    assert len(post.body["blocks"]) <= 50

    again = service.post_team("nlp", WEEK)
    assert again.status == "skipped" and "already posted" in again.detail
    assert len(posts(slack_api)) == 1
    with session(engine) as s:
        row = digest_store.digest_row(session=s, team="nlp", week=WEEK)
    assert row is not None and row.status == "posted" and row.message_ts == first.message_ts


def test_force_reposts_and_records_it(engine, organisation, slack_api):
    seed_week(engine, organisation)
    service = make_service(engine, organisation, slack_api, Clock(MONDAY_9))
    service.post_team("nlp", WEEK)
    forced = service.post_team("nlp", WEEK, force=True)
    assert forced.status == "posted" and "--force" in forced.detail
    assert len(posts(slack_api, "#nlp-ml")) == 2
    with session(engine) as s:
        row = digest_store.digest_row(session=s, team="nlp", week=WEEK)
    assert row is not None and row.reposts == 1 and row.message_ts == forced.message_ts


def test_429_then_success_posts_once_after_retry_after(engine, organisation, slack_api):
    seed_week(engine, organisation)
    sleeps: list[float] = []
    service = make_service(engine, organisation, slack_api, Clock(MONDAY_9), sleeps)
    slack_api.rate_limit("chat.postMessage", count=1, retry_after=7)
    outcome = service.post_team("speech", WEEK)
    assert outcome.status == "posted"
    assert len(posts(slack_api)) == 2  # the 429 and the retry
    assert len(slack_api.messages) == 1
    assert 7.0 in sleeps


def test_a_server_error_is_not_reposted_before_the_history_is_checked(engine, organisation,
                                                                       slack_api):
    seed_week(engine, organisation)
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    slack_api.fail("chat.postMessage", count=1, status=503)
    failed = service.post_team("speech", WEEK)
    assert failed.status == "failed" and len(posts(slack_api)) == 1  # not re-sent blindly
    clock.now = MONDAY_9.replace(minute=10)
    [retried] = service.retry_failed()
    assert retried.status == "posted" and len(slack_api.messages) == 1
    [check] = slack_api.calls("conversations.history")  # looked first: it was not there
    assert check.body["channel"] == slack_api.add_channel("speech")  # by id, not "#speech"
    assert len(posts(slack_api)) == 2


def test_a_post_that_timed_out_after_slack_accepted_it_is_found_not_reposted(
        engine, organisation, slack_api):
    seed_week(engine, organisation)
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    real = service.poster.client.chat_postMessage

    def accepted_then_timed_out(**kwargs):  # type: ignore[no-untyped-def]
        real(**kwargs)
        raise TimeoutError("The read operation timed out")

    service.poster.client.chat_postMessage = accepted_then_timed_out  # type: ignore[method-assign]
    assert service.post_team("vision", WEEK).status == "failed"
    service.poster.client.chat_postMessage = real  # type: ignore[method-assign]
    assert len(slack_api.messages) == 1
    clock.now = MONDAY_9.replace(minute=10)
    [settled] = service.retry_failed()
    assert settled.status == "posted" and "found in the channel" in settled.detail
    assert len(posts(slack_api)) == 1 and len(slack_api.messages) == 1  # never posted twice
    [(_, ts)] = list(slack_api.messages)
    with session(engine) as s:
        row = digest_store.digest_row(session=s, team="vision", week=WEEK)
    assert row is not None and row.status == "posted" and row.message_ts == ts
    assert service.post_team("vision", WEEK).status == "skipped"


def _accepted_then_timed_out(service: DigestService) -> Callable[[], None]:
    """chat.postMessage posts, then the answer never arrives; returns the undo."""
    real = service.poster.client.chat_postMessage

    def accepted_then_timed_out(**kwargs):  # type: ignore[no-untyped-def]
        real(**kwargs)
        raise TimeoutError("The read operation timed out")

    service.poster.client.chat_postMessage = accepted_then_timed_out  # type: ignore[method-assign]

    def undo() -> None:
        service.poster.client.chat_postMessage = real  # type: ignore[method-assign]
    return undo


def test_a_channel_set_by_name_is_looked_up_by_id_among_many_and_posted_once(
        engine, organisation, slack_api):
    seed_week(engine, organisation)
    for n in range(1500):  # a workspace whose channels take two pages of conversations.list
        slack_api.add_channel(f"team-{n:04d}")
    nlp = organisation.team("nlp")
    assert nlp is not None
    nlp.slack_channel = "#zz-nlp-digest"  # listed on the second page
    channel_id = slack_api.add_channel("zz-nlp-digest")
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    undo = _accepted_then_timed_out(service)
    assert service.post_team("nlp", WEEK).status == "failed"
    undo()
    clock.now = MONDAY_9.replace(minute=10)
    [settled] = service.retry_failed()
    assert settled.status == "posted" and "found in the channel" in settled.detail
    assert len(posts(slack_api)) == 1 and len(slack_api.messages) == 1  # exactly once
    assert len(slack_api.calls("conversations.list")) == 2  # both pages, then found
    [check] = slack_api.calls("conversations.history")
    assert check.body["channel"] == channel_id
    with session(engine) as s:
        row = digest_store.digest_row(session=s, team="nlp", week=WEEK)
    assert row is not None and row.channel == channel_id and row.message_ts == settled.message_ts
    assert service.poster.channel_id("zz-nlp-digest") == channel_id
    assert len(slack_api.calls("conversations.list")) == 2  # kept: not listed again


def _manifest_scopes() -> set[str]:
    manifest = yaml.safe_load((Path(__file__).parents[2] / "deploy" /
                               "slack-app-manifest.yaml").read_text())
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_a_private_channel_is_checked_with_the_manifests_scopes(engine, organisation,
                                                                 slack_api):
    seed_week(engine, organisation)
    slack_api.scopes = _manifest_scopes()
    private = slack_api.add_channel("vision-private", private=True)
    vision = organisation.team("vision")
    assert vision is not None
    vision.slack_channel = "#vision-private"
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    undo = _accepted_then_timed_out(service)
    assert service.post_team("vision", WEEK).status == "failed"
    undo()
    clock.now = MONDAY_9.replace(minute=10)
    [settled] = service.retry_failed()
    assert settled.status == "posted" and "found in the channel" in settled.detail
    assert len(slack_api.messages) == 1 and len(posts(slack_api)) == 1
    assert slack_api.calls("conversations.history")[0].body["channel"] == private


def test_without_groups_history_the_digest_says_which_scope_to_add_and_never_reposts(
        engine, organisation, slack_api):
    seed_week(engine, organisation)
    slack_api.scopes = _manifest_scopes() - {"groups:history"}
    slack_api.add_channel("vision-private", private=True)
    vision = organisation.team("vision")
    assert vision is not None
    vision.slack_channel = "#vision-private"
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    undo = _accepted_then_timed_out(service)
    service.post_team("vision", WEEK)
    undo()
    clock.now = MONDAY_9.replace(minute=10)
    [blocked] = service.retry_failed()
    assert blocked.status == "failed"
    assert blocked.detail.endswith(
        "the Slack app lacks the groups:history scope: add it to its bot scopes "
        "(deploy/slack-app-manifest.yaml) and reinstall the app")
    assert "\n" not in blocked.detail and len(posts(slack_api)) == 1  # not posted blind
    slack_api.scopes = _manifest_scopes()  # the scope added, the app reinstalled
    clock.now = MONDAY_9 + timedelta(hours=1)
    [settled] = service.retry_failed()
    assert settled.status == "posted" and len(slack_api.messages) == 1


def test_a_post_cut_by_a_crash_is_found_in_the_channel(engine, organisation, slack_api):
    seed_week(engine, organisation)
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    real = service.poster.client.chat_postMessage

    def accepted_then_killed(**kwargs):  # type: ignore[no-untyped-def]
        real(**kwargs)
        raise KeyboardInterrupt  # the process stops before it records the post

    service.poster.client.chat_postMessage = accepted_then_killed  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        service.post_team("nlp", WEEK)
    service.poster.client.chat_postMessage = real  # type: ignore[method-assign]
    clock.now = MONDAY_9 + timedelta(hours=1)
    [settled] = service.retry_failed()
    assert settled.status == "posted" and len(posts(slack_api)) == 1


def test_a_digest_that_fails_is_kept_and_retried_later(engine, organisation, slack_api):
    seed_week(engine, organisation)
    clock = Clock(MONDAY_9)
    service = make_service(engine, organisation, slack_api, clock)
    slack_api.error("chat.postMessage", "channel_not_found")
    failed = service.post_team("vision", WEEK)
    assert failed.status == "failed" and not slack_api.messages
    with session(engine) as s:
        row = digest_store.digest_row(session=s, team="vision", week=WEEK)
    assert row is not None and row.status == "failed" and "channel_not_found" in (row.error or "")
    assert service.retry_failed() == []  # backoff not over yet
    clock.now = MONDAY_9.replace(minute=10)
    [retried] = service.retry_failed()
    assert retried.status == "posted" and len(slack_api.messages) == 1
    assert service.retry_failed() == []
    with session(engine) as s:
        row = digest_store.digest_row(session=s, team="vision", week=WEEK)
    assert row is not None and row.status == "posted" and row.attempts == 2


def test_concurrent_posters_post_once(engine, organisation, slack_api):
    seed_week(engine, organisation)
    services = [make_service(engine, organisation, slack_api, Clock(MONDAY_9))
                for _ in range(4)]
    outcomes: list = []  # type: ignore[type-arg]
    barrier = threading.Barrier(len(services))

    def go(service: DigestService) -> None:
        barrier.wait()
        outcomes.append(service.post_team("research", WEEK))

    threads = [threading.Thread(target=go, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["posted", "skipped", "skipped", "skipped"]
    assert len(posts(slack_api, "#research-gpu")) == 1


def test_org_digest_goes_to_the_finops_channel_once(engine, organisation, slack_api):
    seed_week(engine, organisation)
    service = make_service(engine, organisation, slack_api, Clock(MONDAY_9))
    assert service.post_org(WEEK).status == "posted"
    assert service.post_org(WEEK).status == "skipped"
    [post] = posts(slack_api)
    assert post.body["channel"] == organisation.finops_channel
    text = " ".join(b["text"]["text"] for b in post.body["blocks"] if b["type"] == "section")
    for team in ("nlp", "vision", "speech", "research"):
        assert team in text


def test_pacing_waits_a_second_between_messages_to_one_channel():
    slept: list[float] = []
    now = [100.0]
    pacer = ChannelPacer(monotonic=lambda: now[0], sleep=slept.append)
    pacer.wait("#a")
    pacer.wait("#b")
    pacer.wait("#a")
    assert slept == [pytest.approx(1.0)]
