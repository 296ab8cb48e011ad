"""The schedule: each team at its local time, once, through restarts, a second scheduler and
downtime; budget thresholds once per week."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.budgets import BudgetService
from bot.scheduler import DigestScheduler, build_scheduler
from bot.slack import ChannelPacer, Poster, retry_handlers
from config.organisation import Budget, Organisation
from config.settings import Settings
from storage import digest_store
from storage.db import session
from tests.bot.digest_fixtures import Clock, seed_week
from tests.clock import WEEK, at, cli_env, iso
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN

pytestmark = pytest.mark.dated
SUNDAY_NOON = at(WEEK, 6, 12)  # the Sunday of WEEK; each team's digest is due the next Monday


def make(database_url: str, engine: Engine, organisation: Organisation,
         slack_api: FakeSlackApi, clock: Clock) -> DigestScheduler:
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url,
                       retry_handlers=retry_handlers(sleep=lambda s: None))
    poster = Poster(client, pacer=ChannelPacer(sleep=lambda s: None), sleep=lambda s: None)
    settings = Settings(database_url=database_url)
    schedule = build_scheduler(settings, organisation, engine, clock=clock, poster=poster,
                               periodic={}, wall_clock=False)
    schedule.start(paused=True)
    return schedule


def digest_posts(slack_api: FakeSlackApi) -> list:  # type: ignore[type-arg]
    return [c for c in slack_api.calls("chat.postMessage")
            if any(b.get("type") == "image" for b in c.body.get("blocks", []))]


def tick(schedules: list[DigestScheduler], clock: Clock, until: datetime,
         step: timedelta = timedelta(minutes=15)) -> list[tuple[datetime, str]]:
    ran = []
    while clock.now < until:
        clock.now += step
        for schedule in schedules:
            ran += [(clock.now, job) for job in schedule.run_due(clock.now)]
    return ran


def test_a_week_of_schedule_posts_each_team_once_at_its_local_time(
        database_url, engine, organisation, slack_api):
    seed_week(engine, organisation)
    clock = Clock(SUNDAY_NOON)
    schedule = make(database_url, engine, organisation, slack_api, clock)
    try:
        ran = tick([schedule], clock, SUNDAY_NOON + timedelta(days=7))
    finally:
        schedule.shutdown()
    for team in organisation.teams:
        runs = [at for at, job in ran if job == f"digest:{team.name}"]
        assert len(runs) == 1, (team.name, runs)
        local = runs[0].astimezone(ZoneInfo(team.timezone))
        assert local.strftime("%a %H:%M") == f"Mon {team.digest.time}", team.name
    posted = digest_posts(slack_api)
    assert sorted(p.body["channel"] for p in posted) == sorted(
        t.slack_channel for t in organisation.teams)
    assert [job for _, job in ran].count("org_digest") == 1
    with session(engine) as s:
        rows = [digest_store.digest_row(session=s, team=t.name, week=WEEK)
                for t in organisation.teams]
    assert all(r is not None and r.status == "posted" for r in rows)


def test_restart_and_a_second_scheduler_post_no_duplicate(
        database_url, engine, organisation, slack_api):
    seed_week(engine, organisation)
    clock = Clock(SUNDAY_NOON)
    first = make(database_url, engine, organisation, slack_api, clock)
    second = make(database_url, engine, organisation, slack_api, clock)
    try:
        tick([first, second], clock, at(WEEK, 7, 12))
    finally:
        first.shutdown()
    restarted = make(database_url, engine, organisation, slack_api, clock)
    try:
        tick([restarted, second], clock, at(WEEK, 8, 12))
    finally:
        restarted.shutdown()
        second.shutdown()
    channels = [p.body["channel"] for p in digest_posts(slack_api)]
    assert sorted(channels) == sorted(t.slack_channel for t in organisation.teams)


def test_a_missed_run_is_caught_up_once_when_the_scheduler_comes_back(
        database_url, engine, organisation, slack_api):
    seed_week(engine, organisation)
    clock = Clock(SUNDAY_NOON)
    down = make(database_url, engine, organisation, slack_api, clock)
    down.shutdown()  # the scheduler stops on Sunday and is down through Monday morning
    clock.now = at(WEEK, 7, 15)  # Monday 15:00 UTC
    back = make(database_url, engine, organisation, slack_api, clock)
    try:
        first = back.run_due(clock.now)
        again = tick([back], clock, clock.now + timedelta(hours=6))
    finally:
        back.shutdown()
    assert sorted(first) == sorted([f"digest:{t.name}" for t in organisation.teams]
                                   + ["org_digest"])
    assert [job for _, job in again if job.startswith("digest:")] == []
    assert len(digest_posts(slack_api)) == len(organisation.teams)


def test_a_run_missed_beyond_the_grace_is_skipped(database_url, engine, organisation,
                                                  slack_api):
    seed_week(engine, organisation)
    clock = Clock(SUNDAY_NOON)
    make(database_url, engine, organisation, slack_api, clock).shutdown()
    clock.now = at(WEEK, 11, 12)  # Friday: past the 2-day grace
    back = make(database_url, engine, organisation, slack_api, clock)
    try:
        assert back.run_due(clock.now) == []
    finally:
        back.shutdown()
    assert digest_posts(slack_api) == []


def test_two_scheduler_processes_on_one_database_post_once(
        database_url, engine, organisation, slack_api, tmp_path: Path):
    seed_week(engine, organisation)
    env = cli_env(AI_COST_DATABASE_URL=database_url, AI_COST_SLACK_BOT_TOKEN=SLACK_TEST_TOKEN,
                  AI_COST_SLACK_API_URL=slack_api.api_url, AI_COST_OUT_DIR=str(tmp_path))
    # both start on Sunday, then both run at 16:00 UTC Monday when every team is due
    command = [sys.executable, "-c", "from bot.cli import main; main()", "scheduler",
               "--no-periodic", "--once-at"]
    for moment in (SUNDAY_NOON, at(WEEK, 7, 16)):
        procs = [subprocess.Popen([*command, iso(moment)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), "\n---\n".join(
            f"exit {p.returncode}:\n{out}" for p, out in zip(procs, outputs, strict=True))
    channels = [p.body["channel"] for p in digest_posts(slack_api)]
    assert sorted(channels) == sorted(t.slack_channel for t in organisation.teams)


def test_budget_thresholds_fire_once_per_week_in_the_team_channel(engine, organisation,
                                                                  slack_api):
    seed_week(engine, organisation)
    nlp = organisation.team("nlp")
    assert nlp is not None
    nlp.weekly_budget = Budget(kwh=5.0)  # the seeded week uses more than that
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url)
    poster = Poster(client, pacer=ChannelPacer(sleep=lambda s: None))
    clock = Clock(at(WEEK, 6, 20))  # Sunday evening: the whole week counts
    budgets = BudgetService(engine=engine, organisation=organisation, poster=poster, clock=clock)
    alerts = [a for a in budgets.check() if a.team == "nlp"]
    assert sorted(a.threshold_pct for a in alerts) == [80, 100]
    nlp_posts = [c for c in slack_api.calls("chat.postMessage") if c.body["channel"] == "#nlp-ml"]
    assert len(nlp_posts) == 1 and "100%" in nlp_posts[0].body["text"]
    assert [a for a in budgets.check() if a.team == "nlp"] == []
    assert len([c for c in slack_api.calls("chat.postMessage")
                if c.body["channel"] == "#nlp-ml"]) == 1


def test_periodic_jobs_run_on_their_intervals(database_url, engine, organisation, slack_api):
    seed_week(engine, organisation)
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url)
    poster = Poster(client, pacer=ChannelPacer(sleep=lambda s: None))
    clock = Clock(at(WEEK, 4, 12))  # a Friday
    schedule = build_scheduler(Settings(database_url=database_url), organisation, engine,
                               clock=clock, poster=poster, wall_clock=False)
    schedule.start(paused=True)
    try:
        ran = tick([schedule], clock, clock.now + timedelta(hours=1))
    finally:
        schedule.shutdown()
    jobs = [job for _, job in ran]
    assert jobs.count("refresh") == 4 and jobs.count("budgets") == 2
    # retry is due every 10 minutes: checked every 15, its missed runs coalesce into one
    assert jobs.count("classify") == 1 and jobs.count("retry") == 4
    assert jobs.count("nudges") == 2
    assert ("classify", None) in schedule.jobs.ran
