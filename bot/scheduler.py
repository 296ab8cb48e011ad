"""`ai-cost scheduler`: digests at each team's local time, and the periodic work, in one process.

APScheduler 3 with its job store in the ai-cost database, so a restarted scheduler finds the
runs it missed (misfire grace, coalesced to one). Exactly-once posting does not rest on the
scheduler: the digest claim in the database does (bot/digests.py), so a second scheduler
process or a manual post of the same week never posts a second copy.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bot.budgets import BudgetService
from bot.digests import DigestService, digest_week
from bot.metrics import SchedulerMetrics, count_api_errors
from bot.pipeline import refresh
from bot.slack import ChannelPacer, Poster, make_client
from config.organisation import Organisation
from config.settings import Settings
from domain.weeks import is_over, week_of
from storage.db import session as new_session
from storage.ledger_repo import load_ledger

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
DIGEST_GRACE = timedelta(days=2)  # a scheduler down for less than this still posts, once
ORG_DIGEST_AT = ("mon", "10:00", "UTC")


class SharedJobStore(SQLAlchemyJobStore):
    """APScheduler's job store, safe when several schedulers create its table at once."""

    def start(self, scheduler: Any, alias: str) -> None:
        try:
            super().start(scheduler, alias)
        except DBAPIError:
            # Another scheduler created the table between this one's check and its create
            # ("already exists" on SQLite, a duplicate type on PostgreSQL): it is there now.
            self.jobs_t.create(self.engine, checkfirst=True)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Jobs:
    """What the scheduled jobs do, with the process's settings, store, Slack and clock."""

    settings: Settings
    organisation: Organisation
    engine: Engine
    digests: DigestService
    budgets: BudgetService
    clock: Clock
    nudges: Any = None  # bot.services.nudges.Nudges
    approvals: Any = None  # bot.services.approvals.Approvals
    ran: list[tuple[str, str | None]] = field(default_factory=list)

    def run(self, kind: str, team: str | None = None) -> Any:
        """Run one job: digest, org_digest, refresh, classify, budgets, nudges, expire, retry."""
        self.ran.append((kind, team))
        if kind == "digest" and team is not None:
            config = self.organisation.team(team)
            week = digest_week(self.clock(), config.timezone if config else "UTC")
            self._judged(week)
            return self.digests.post_team(team, week)
        if kind == "org_digest":
            self._judged(digest_week(self.clock()))
            return self.digests.post_org()
        if kind == "refresh":
            with new_session(self.engine) as s:
                result = refresh(session=s, settings=self.settings,
                                 organisation=self.organisation, now=self.clock())
                s.commit()
            return result.gpu_days
        if kind == "classify":  # judge the running week again, with the latest roll-ups
            with new_session(self.engine) as s:
                result = refresh(session=s, settings=self.settings,
                                 organisation=self.organisation, now=self.clock(),
                                 weeks=[week_of(self.clock())])
                s.commit()
            return len(result.weeks)
        if kind == "budgets":
            return self.budgets.check()
        if kind == "retry":
            if self.approvals is not None:  # approvals a stopped process left half-applied
                self.approvals.sweep()
            return self.digests.retry_failed()
        if kind == "nudges" and self.nudges is not None:
            return self.nudges.send_due()
        if kind == "expire" and self.approvals is not None:
            # Open suggestions nobody acted on expire (with their audit row), so that digests
            # and the App Home do not keep offering stale swaps.
            return self.approvals.expire(
                max_age=timedelta(days=self.settings.suggestion_ttl_days))
        raise ValueError(f"unknown scheduled job {kind!r}")


    def _judged(self, week: str) -> None:
        """Judge an ended week that has no ledger or got data since, before its digest."""
        now = self.clock()
        with new_session(self.engine) as s:
            ledger = load_ledger(session=s, week=week)
            if is_over(week, now) and (ledger is None or ledger.stale or ledger.hours < 168):
                refresh(session=s, settings=self.settings, organisation=self.organisation,
                        now=now, weeks=[week])
                s.commit()


_ACTIVE: Jobs | None = None


def run_job(kind: str, team: str | None = None) -> Any:
    """Entry point of every stored job (importable by reference, as the job store needs)."""
    if _ACTIVE is None:
        raise RuntimeError("no scheduler is serving in this process")
    return _ACTIVE.run(kind, team)


def team_trigger(day: str, time: str, timezone: str) -> CronTrigger:
    hour, minute = time.split(":")
    return CronTrigger(day_of_week=day, hour=int(hour), minute=int(minute), timezone=timezone)


class ClockedScheduler(BaseScheduler):
    """A scheduler with no thread of its own: due jobs run when `run_due(now)` is called.

    For `ai-cost scheduler --once-at` and for tests, whose clock is not the wall clock.
    """

    def wakeup(self) -> None:
        """Nothing to wake: no loop runs in the background."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


def _same_trigger(stored: BaseTrigger, wanted: BaseTrigger) -> bool:
    """Whether a stored job may keep its next run time: same cron and zone, same interval."""
    if isinstance(stored, IntervalTrigger) and isinstance(wanted, IntervalTrigger):
        return stored.interval == wanted.interval
    return repr(stored) == repr(wanted)


@dataclass
class DigestScheduler:
    """An APScheduler on the database job store, with the jobs ai-cost wants in it."""

    scheduler: BaseScheduler
    jobs: Jobs
    periodic: dict[str, timedelta]

    def wanted(self) -> dict[str, tuple[BaseTrigger, list[str | None]]]:
        """Job id -> (trigger, args) for every job the organisation file asks for."""
        out: dict[str, tuple[BaseTrigger, list[str | None]]] = {}
        for team in self.jobs.organisation.teams:  # a channel may also be set from Slack
            out[f"digest:{team.name}"] = (
                team_trigger(team.digest.day, team.digest.time, team.timezone),
                ["digest", team.name])
        if self.jobs.organisation.finops_channel:
            out["org_digest"] = (team_trigger(*ORG_DIGEST_AT), ["org_digest", None])
        for kind, every in self.periodic.items():
            out[kind] = (IntervalTrigger(seconds=int(every.total_seconds()), timezone=UTC,
                                         start_date=self.jobs.clock() + every),
                         [kind, None])
        return out

    def start(self, *, paused: bool = True) -> None:
        """Start on the job store and bring its jobs in line with the organisation file.

        A stored job whose trigger is unchanged keeps its next run time, so a run missed
        while no scheduler was up is still due (and runs once, coalesced).
        """
        self.scheduler.start(paused=True)
        now = self.jobs.clock()
        wanted = self.wanted()
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                self.scheduler.remove_job(job.id)
        for job_id, (trigger, args) in wanted.items():
            stored = self.scheduler.get_job(job_id)
            if stored is not None and _same_trigger(stored.trigger, trigger):
                continue
            self.scheduler.add_job(run_job, trigger, args=args, id=job_id, name=job_id,
                                   replace_existing=True,
                                   next_run_time=trigger.get_next_fire_time(None, now))
        if not paused:
            self.scheduler.resume()

    def run_due(self, now: datetime) -> list[str]:
        """Run, in this thread, the jobs due at `now` as APScheduler would; their ids.

        The same rules: runs later than the job's misfire grace are skipped, missed runs are
        coalesced into one, and the next run time is stored before the job runs.
        """
        ran = []
        for job in self.scheduler.get_jobs():
            if job.next_run_time is None or job.next_run_time > now:
                continue
            run_times = job._get_run_times(now)
            grace = job.misfire_grace_time
            late = [t for t in run_times
                    if (now - t).total_seconds() <= (math.inf if grace is None else grace)]
            missed = [t for t in run_times if t not in late]
            if job.coalesce:  # one run for the missed ones; a miss only if none is left
                late, missed = late[-1:], ([] if late else missed[-1:])
            following = job.trigger.get_next_fire_time(run_times[-1], now)
            if following is None:
                self.scheduler.remove_job(job.id)
            else:
                self.scheduler.modify_job(job.id, next_run_time=following)
            for skipped in missed:
                self._event(JobExecutionEvent(EVENT_JOB_MISSED, job.id, "default", skipped))
            for run_time in late:
                ran.append(job.id)
                self._event(JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, "default",
                                               [run_time]))
                try:
                    retval = self.jobs.run(*job.args)
                except Exception as exc:  # as APScheduler's executor: log, keep the schedule going
                    log.exception("scheduled job %s failed", job.id)
                    self._event(JobExecutionEvent(EVENT_JOB_ERROR, job.id, "default", run_time,
                                                  exception=exc))
                else:
                    self._event(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, "default",
                                                  run_time, retval=retval))
        return ran

    def _event(self, event: JobSubmissionEvent | JobExecutionEvent) -> None:
        """Tell the listeners (metrics) what APScheduler's executor would have told them."""
        self.scheduler._dispatch_event(event)  # noqa: SLF001 - the executor's own call

    def serve(self, stop: threading.Event | None = None) -> None:
        """Run the schedule on the wall clock until SIGTERM or SIGINT (or `stop` is set)."""
        global _ACTIVE
        stop = stop or threading.Event()
        _ACTIVE = self.jobs
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        self.start(paused=False)
        try:
            stop.wait()
        finally:
            self.scheduler.shutdown(wait=True)
            _ACTIVE = None

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


DEFAULT_PERIODIC = {"refresh": timedelta(minutes=15), "classify": timedelta(hours=1),
                    "budgets": timedelta(minutes=30), "retry": timedelta(minutes=10),
                    "nudges": timedelta(minutes=30), "expire": timedelta(days=1)}


def owner_nudges(organisation: Organisation, engine: Engine, client: WebClient,
                 clock: Clock) -> Any:
    """The Slack bot's nudge service (DMs to owners, praise), on this process's clock."""
    from bot.services.directory import Directory
    from bot.services.nudges import Nudges
    from bot.services.team_view import TeamViews

    def seconds() -> float:
        return clock().timestamp()

    return Nudges(organisation=organisation, engine=engine, client=client,
                  directory=Directory(organisation=organisation, client=client),
                  views=TeamViews(organisation=organisation, clock=seconds), clock=seconds)


def suggestion_approvals(organisation: Organisation, engine: Engine, client: WebClient,
                         clock: Clock) -> Any:
    """The Slack bot's approval service, for expiring stale suggestions on this clock."""
    from bot.services.approvals import Approvals
    from bot.services.directory import Directory
    from bot.services.swap_actions import SwapActions

    def seconds() -> float:
        return clock().timestamp()

    return Approvals(organisation=organisation, engine=engine,
                     directory=Directory(organisation=organisation, client=client),
                     actions=SwapActions(clock=seconds), clock=seconds)


def build_scheduler(settings: Settings, organisation: Organisation, engine: Engine, *,
                    clock: Clock = utc_now, client: WebClient | None = None,
                    poster: Poster | None = None,
                    periodic: dict[str, timedelta] | None = None,
                    grace: timedelta = DIGEST_GRACE,
                    wall_clock: bool = True,
                    metrics: SchedulerMetrics | None = None) -> DigestScheduler:
    """The scheduler process's scheduler: job store in `engine`'s database, jobs per team.

    `periodic` maps refresh, classify, budgets, nudges, expire and retry to an interval
    ({}: none). With `wall_clock=False` no thread runs jobs: `run_due(now)` does, on the given
    clock. `metrics` hears every job's events and counts the Slack client's errors.
    """
    if poster is None:
        poster = Poster(client or make_client(settings), pacer=ChannelPacer())
    if metrics is not None:
        count_api_errors(poster.client, metrics.slack_api_errors)
    digests = DigestService(engine=engine, organisation=organisation, poster=poster,
                            clock=clock)
    budgets = BudgetService(engine=engine, organisation=organisation, poster=poster,
                            clock=clock)
    periodic = DEFAULT_PERIODIC if periodic is None else periodic
    jobs = Jobs(settings=settings, organisation=organisation, engine=engine, digests=digests,
                budgets=budgets, clock=clock,
                nudges=owner_nudges(organisation, engine, poster.client, clock)
                if "nudges" in periodic else None,
                approvals=suggestion_approvals(organisation, engine, poster.client, clock)
                if "expire" in periodic else None)
    kind = BackgroundScheduler if wall_clock else ClockedScheduler
    scheduler = kind(
        jobstores={"default": SharedJobStore(engine=engine)},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(grace.total_seconds())},
        timezone=UTC,
    )
    if metrics is not None:
        scheduler.add_listener(metrics.on_event, SchedulerMetrics.EVENTS)
    return DigestScheduler(scheduler=scheduler, jobs=jobs, periodic=periodic)
