"""The scheduler's own /metrics: job lag, runs, digests posted or failed, Slack API errors;
and the daily job that expires stale suggestions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client import CollectorRegistry, start_http_server
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import select

from bot.metrics import SchedulerMetrics
from bot.scheduler import DigestScheduler, build_scheduler
from bot.slack import ChannelPacer, Poster, retry_handlers
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.models import ApprovalEvent, Job, Suggestion
from tests.bot.digest_fixtures import Clock, seed_week
from tests.bot.metrics_page import sample
from tests.clock import WEEK, at, weeks_before
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN

Scrape = Callable[[CollectorRegistry], str]
SUNDAY_NOON = at(WEEK, 6, 12)  # the Sunday of WEEK
MONDAY_EVENING = at(WEEK, 7, 20)  # the Monday after, 20:00 UTC: every team's digest is due


def scheduler(engine: Engine, organisation: Organisation, slack_api: FakeSlackApi,
              clock: Clock, *, periodic: dict[str, timedelta] | None = None,
              ttl_days: int = 14) -> tuple[DigestScheduler, SchedulerMetrics]:
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url,
                       retry_handlers=retry_handlers(sleep=lambda s: None))
    poster = Poster(client, pacer=ChannelPacer(sleep=lambda s: None), sleep=lambda s: None)
    metrics = SchedulerMetrics(CollectorRegistry(), clock)
    schedule = build_scheduler(Settings(suggestion_ttl_days=ttl_days), organisation, engine,
                               clock=clock, poster=poster, periodic=periodic or {},
                               wall_clock=False, metrics=metrics)
    schedule.start(paused=True)
    return schedule, metrics


@pytest.fixture
def scrape() -> Iterator[Scrape]:
    """Serve a registry as `ai-cost scheduler --metrics-port` does, and read the page."""
    servers = []

    def page(registry: CollectorRegistry) -> str:
        server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
        servers.append(server)
        return httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10).text

    yield page
    for server in servers:  # shutdown() waits out serve_forever's half-second poll: not here
        threading.Thread(target=server.shutdown, daemon=True).start()


@pytest.mark.dated
def test_digests_posted_their_lag_and_runs(engine: Engine, organisation: Organisation,
                                           slack_api: FakeSlackApi, scrape: Scrape) -> None:
    seed_week(engine, organisation)
    clock = Clock(SUNDAY_NOON)
    schedule, metrics = scheduler(engine, organisation, slack_api, clock)
    try:
        clock.now = MONDAY_EVENING
        ran = schedule.run_due(clock.now)
    finally:
        schedule.shutdown()
    page = scrape(metrics.registry)
    posts = len([t for t in organisation.teams if t.slack_channel]) + 1  # and the org's
    assert organisation.finops_channel and len(ran) == posts
    assert sample(page, "ai_cost_digest_posts_total", outcome="posted") == posts
    assert sample(page, "ai_cost_digest_posts_total", outcome="failed") == 0
    nlp = organisation.team("nlp")
    assert nlp is not None
    assert sample(page, "ai_cost_scheduler_job_runs_total", job="digest:nlp", outcome="ok") == 1
    # nlp's digest was due at its local time on Monday; it ran at 20:00 UTC
    hour, minute = (int(x) for x in nlp.digest.time.split(":"))
    monday = MONDAY_EVENING.date()
    due = datetime(monday.year, monday.month, monday.day, hour, minute,
                   tzinfo=ZoneInfo(nlp.timezone))
    assert sample(page, "ai_cost_scheduler_lag_seconds", job="digest:nlp") == \
        (MONDAY_EVENING - due).total_seconds()
    assert sample(page, "ai_cost_slack_api_errors_total") is None  # no error yet


@pytest.mark.dated
def test_a_failed_post_counts_the_digest_and_slacks_error(
        engine: Engine, organisation: Organisation, slack_api: FakeSlackApi,
        scrape: Scrape) -> None:
    seed_week(engine, organisation)
    clock = Clock(SUNDAY_NOON)
    schedule, metrics = scheduler(engine, organisation, slack_api, clock)
    slack_api.error("chat.postMessage", "channel_not_found", count=100)
    slack_api.rate_limit("files.getUploadURLExternal", count=1)
    try:
        clock.now = MONDAY_EVENING
        schedule.run_due(clock.now)
    finally:
        schedule.shutdown()
    page = scrape(metrics.registry)
    posts = len([t for t in organisation.teams if t.slack_channel]) + 1  # and the org's
    assert sample(page, "ai_cost_digest_posts_total", outcome="failed") == posts
    assert sample(page, "ai_cost_digest_posts_total", outcome="posted") == 0
    assert sample(page, "ai_cost_slack_api_errors_total", method="chat.postMessage",
                  error="channel_not_found") == posts
    # the 429 was retried (and succeeded), but the error it was is still counted
    assert sample(page, "ai_cost_slack_api_errors_total", method="files.getUploadURLExternal",
                  error="ratelimited") == 1


def test_a_failing_job_counts_an_error_and_a_missed_run_a_miss(
        engine: Engine, organisation: Organisation, slack_api: FakeSlackApi) -> None:
    clock = Clock(SUNDAY_NOON)
    schedule, metrics = scheduler(engine, organisation, slack_api, clock,
                                  periodic={"refresh": timedelta(minutes=15)})
    schedule.jobs.settings = None  # type: ignore[assignment]  # refresh now raises
    try:
        clock.now += timedelta(minutes=16)
        assert schedule.run_due(clock.now) == ["refresh"]
    finally:
        schedule.shutdown()
    assert metrics.registry.get_sample_value(
        "ai_cost_scheduler_job_runs_total", {"job": "refresh", "outcome": "error"}) == 1
    assert metrics.registry.get_sample_value(
        "ai_cost_scheduler_lag_seconds", {"job": "refresh"}) == 60.0


def _suggestion(job_id: int, kind: str, updated: datetime,
                state: str = "open") -> Suggestion:
    return Suggestion(job_id=job_id, week=weeks_before(WEEK, 7), kind=kind, title=f"{kind} swap",
                      change={}, saved_energy_j_week=1.0, saved_cost_usd_week=1.0,
                      saved_co2e_kg_week=0.1, confidence=0.9, state=state,
                      fingerprint=kind, created_at=updated, updated_at=updated)


@pytest.mark.dated
def test_stale_open_suggestions_expire_daily_with_an_audit_row(
        engine: Engine, organisation: Organisation, slack_api: FakeSlackApi) -> None:
    seed_week(engine, organisation, jobs_per_team=1)
    now = at(WEEK, 2, 12)  # a Wednesday: no digest is due
    with session(engine) as s:
        job = s.exec(select(Job)).first()
        assert job is not None and job.id is not None
        old = _suggestion(job.id, "model_swap", now - timedelta(days=10))
        fresh = _suggestion(job.id, "fewer_gpus", now - timedelta(days=2))
        dismissed = _suggestion(job.id, "precision", now - timedelta(days=30),
                                state="dismissed")
        s.add_all([old, fresh, dismissed])
        s.commit()
        ids = {"old": old.id, "fresh": fresh.id, "dismissed": dismissed.id}
    clock = Clock(now)
    schedule, _ = scheduler(engine, organisation, slack_api, clock, ttl_days=7,
                            periodic={"expire": timedelta(days=1)})
    try:
        clock.now += timedelta(hours=23)
        assert schedule.run_due(clock.now) == []  # daily: not yet
        clock.now += timedelta(hours=1)
        assert schedule.run_due(clock.now) == ["expire"]
    finally:
        schedule.shutdown()
    with session(engine) as s:
        states = {name: s.get(Suggestion, i).state for name, i in ids.items()}  # type: ignore[union-attr]
        events = s.exec(select(ApprovalEvent)).all()
    assert states == {"old": "expired", "fresh": "open", "dismissed": "dismissed"}
    assert [(e.suggestion_id, e.actor, e.action, e.old_state, e.new_state) for e in events] == \
        [(ids["old"], "ai-cost", "expire", "open", "expired")]


def test_the_scheduler_command_serves_its_metrics_port(database_url: str, tmp_path: Path,
                                                       slack_api: FakeSlackApi) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the scheduler on the wall clock, as deployed: no AI_COST_NOW
    env = {**os.environ, "AI_COST_DATABASE_URL": database_url, "AI_COST_AUTO_MIGRATE": "false",
           "AI_COST_SLACK_BOT_TOKEN": SLACK_TEST_TOKEN, "AI_COST_SLACK_API_URL": slack_api.api_url,
           "AI_COST_SCHEDULER_METRICS_PORT": str(port), "AI_COST_OUT_DIR": str(tmp_path)}
    env.pop("AI_COST_NOW", None)
    proc = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()",
                             "scheduler", "--no-periodic"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline, page = time.monotonic() + 60, None
        while page is None and proc.poll() is None and time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None, proc.stdout.read() if proc.stdout else ""
        assert sample(page, "ai_cost_digest_posts_total", outcome="posted") == 0
        assert "ai_cost_scheduler_lag_seconds" in page
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
