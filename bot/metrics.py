"""Prometheus metrics of the ai-cost processes, each on the registry of its own process or app.

The server counts HTTP requests of every route and rejected input by reason; the scheduler
counts its jobs, their lag behind the schedule and the digests posted; both count the errors
Slack's Web API answered. Nothing is registered at import: `prometheus_client`'s global registry
is never used, so two apps (or tests) in one process never clash.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.samples import GpuSample, JobInfo

UNMATCHED = "<unmatched>"  # one label for every unknown path, so scanners cannot add series

# Label values of the rejection counter: a fixed set, whatever a client sends. The stored
# rejections (`ai-cost status`) keep the client's source and the reason's words.
SOURCES = frozenset({"agent", "dcgm", "prometheus", "slurm", "ingest", "rollup"})
FIELDS = frozenset({f.name for f in fields(GpuSample)} | {f.name for f in fields(JobInfo)}
                   | {"units", "sample", "series", "power", "mem", "energy"})
HTTP_STATUSES = frozenset({"400", "401", "403", "404", "413", "415", "422", "429", "503"})
_HTTP = re.compile(r"HTTP (\d{3})\b")
_FIELD = re.compile(r"(?:unknown unit field |unknown unit \S+ for )?([a-z_]+)\b")


def rejection_labels(source: str, reason: str) -> tuple[str, str, str]:
    """(cluster, source, reason) label values of one rejection, each from a bounded set.

    `source` is ingest's "<client source>:<cluster>" (the cluster comes from the token) or a
    process's own name; the reason becomes its kind: http_<status>, too_old, future,
    unknown_cluster, invalid_<field> for a field of the sample or job contract, else other.
    """
    client, _, cluster = source.partition(":")
    kind = "other"
    http = _HTTP.match(reason)
    if http:
        kind = f"http_{http.group(1)}" if http.group(1) in HTTP_STATUSES else "http_other"
    elif "retention window" in reason:
        kind = "too_old"
    elif "in the future" in reason:
        kind = "future"
    elif reason.startswith("unknown cluster"):
        kind = "unknown_cluster"
    else:
        field = _FIELD.match(reason)
        if field and field.group(1) in FIELDS:
            kind = f"invalid_{field.group(1)}"
    return cluster, client if client in SOURCES else "other", kind


class RejectionCounter:
    """ai_cost_ingest_rejections_total{cluster, source, reason}, fed raw rejections.

    `labels(source, reason)` takes what ingest knows and counts it under bounded label values
    (`rejection_labels`); `cluster` must be a configured cluster name (ingest's comes from the
    token), anything else counts as "other".
    """

    def __init__(self, registry: CollectorRegistry, clusters: Iterable[str]) -> None:
        self.clusters = frozenset(clusters)
        self.counter = Counter("ai_cost_ingest_rejections", "Rejected input (samples, jobs, "
                               "whole requests) by cluster, collector (agent, dcgm, "
                               "prometheus, slurm, ingest, other) and kind of reason "
                               "(http_<status>, too_old, future, invalid_<field>, other); "
                               "`ai-cost status` lists the reasons in words.",
                               ["cluster", "source", "reason"], registry=registry)

    def labels(self, source: str, reason: str) -> Counter:
        """The child counter of one rejection."""
        cluster, client, kind = rejection_labels(source, reason)
        return self.counter.labels(cluster if cluster in self.clusters else "other",
                                   client, kind)


def slack_api_errors(registry: CollectorRegistry) -> Counter:
    """ai_cost_slack_api_errors_total{method, error} on `registry`."""
    return Counter("ai_cost_slack_api_errors", "Slack Web API calls that failed, by API method "
                   "and Slack's error (ratelimited, channel_not_found, http_503, "
                   "connection_error, ...); every attempt counts, retried ones included.",
                   ["method", "error"], registry=registry)


def admission_reviews(registry: CollectorRegistry) -> Counter:
    """ai_cost_admission_reviews_total{outcome} on `registry` (values: bot.admission.OUTCOMES)."""
    return Counter("ai_cost_admission_reviews", "Kubernetes admission reviews by outcome: "
                   "judged (passed, warned, denied, unrecorded) or allowed unjudged, by why "
                   "(bad_json, not_a_review, no_object, unknown_kind, unreadable, no_gpus, "
                   "owned, unknown_cluster, error).", ["outcome"], registry=registry)


class ApiErrorCounter(RetryHandler):
    """A retry handler that never retries: it counts the failed answers of every attempt.

    slack_sdk shows each response (and each connection error) to the client's retry handlers,
    and Bolt copies them into the client it makes per request, so hooking the handler list
    reaches every call of the process's clients.
    """

    def __init__(self, counter: Counter) -> None:
        super().__init__(max_retry_count=0)
        self.counter = counter

    # Bolt deep-copies a request's context (its client, so this handler) for lazy listeners;
    # the counter, with its lock, is shared, never copied.
    def __copy__(self) -> ApiErrorCounter:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ApiErrorCounter:
        return self

    def can_retry(self, *, state: RetryState, request: HttpRequest,
                  response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        error_name = _error_of(response, error)
        if error_name is not None:
            method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            self.counter.labels(method or "unknown", error_name).inc()
        return False


def _error_of(response: HttpResponse | None, error: Exception | None) -> str | None:
    if response is None:
        return "connection_error" if error is not None else None
    body: Any = response.body
    if not body and response.data:
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or f"http_{response.status_code}")[:80]
    if response.status_code >= 400:
        return f"http_{response.status_code}"
    return None


def count_api_errors(client: WebClient, counter: Counter) -> WebClient:
    """Count `client`'s failed Slack calls in `counter` (first in its retry handlers); `client`."""
    if not any(isinstance(h, ApiErrorCounter) for h in client.retry_handlers):
        client.retry_handlers.insert(0, ApiErrorCounter(counter))
    return client


class RequestMetrics:
    """ASGI middleware: requests by route template, method and status, and their duration."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute], requests: Counter,
                 seconds: Histogram) -> None:
        self.app = app
        self.routes = routes
        self.requests = requests
        self.seconds = seconds

    def _route(self, scope: Scope) -> str:
        partial = None
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", UNMATCHED))
            if match is Match.PARTIAL and partial is None:  # the path, another method: 405
                partial = str(getattr(route, "path", UNMATCHED))
        return partial or UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = self._route(scope)
            self.requests.labels(route, scope["method"], str(status)).inc()
            self.seconds.labels(route).observe(time.perf_counter() - started)


class ServerMetrics:
    """The server's metrics besides ingest's own: HTTP requests, rejections, Slack errors."""

    def __init__(self, registry: CollectorRegistry, clusters: Iterable[str] = ()) -> None:
        self.registry = registry
        self.requests = Counter("ai_cost_http_requests", "HTTP requests by route template, "
                                "method and status.", ["route", "method", "status"],
                                registry=registry)
        self.seconds = Histogram("ai_cost_http_request_duration_seconds",
                                 "Time to answer an HTTP request, by route template.", ["route"],
                                 registry=registry)
        self.rejections = RejectionCounter(registry, clusters)
        self.slack_api_errors = slack_api_errors(registry)
        self.admission = admission_reviews(registry)


def _job_of(event: JobEvent) -> str:
    return str(event.job_id)


class SchedulerMetrics:
    """The scheduler process's metrics: job lag, runs, errors, misses, digests, Slack errors.

    `on_event` listens to APScheduler's job events; `clock` is the scheduler's clock, so the
    lag is measured on the same time line as the schedule.
    """

    EVENTS = EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED

    def __init__(self, registry: CollectorRegistry, clock: Callable[[], datetime]) -> None:
        self.registry = registry
        self.clock = clock
        self.lag = Gauge("ai_cost_scheduler_lag_seconds", "Seconds between a job's scheduled "
                         "run time and its start, at its latest run.", ["job"],
                         registry=registry)
        self.runs = Counter("ai_cost_scheduler_job_runs", "Scheduled job runs that finished, "
                            "by job and outcome (ok, error).", ["job", "outcome"],
                            registry=registry)
        self.missed = Counter("ai_cost_scheduler_job_missed", "Scheduled runs skipped because "
                              "they were later than the misfire grace time.", ["job"],
                              registry=registry)
        self.digest_posts = Counter("ai_cost_digest_posts", "Digests by outcome: posted, "
                                    "skipped (already posted), failed (kept for retry), "
                                    "no_channel.", ["outcome"], registry=registry)
        self.slack_api_errors = slack_api_errors(registry)
        for outcome in ("posted", "skipped", "failed", "no_channel"):
            self.digest_posts.labels(outcome)

    def on_event(self, event: JobEvent) -> None:
        """APScheduler listener (mask EVENTS)."""
        job = _job_of(event)
        if isinstance(event, JobSubmissionEvent):
            scheduled = max(event.scheduled_run_times)
            self.lag.labels(job).set(max(0.0, (self.clock() - scheduled).total_seconds()))
        elif isinstance(event, JobExecutionEvent):
            if event.code == EVENT_JOB_MISSED:
                self.missed.labels(job).inc()
                return
            failed = event.code == EVENT_JOB_ERROR
            self.runs.labels(job, "error" if failed else "ok").inc()
            if not failed:
                self.count_digests(event.retval)

    def count_digests(self, retval: Any) -> None:
        """Count the outcomes a digest job returned (one, or a list from `retry`)."""
        from bot.digests import Outcome

        outcomes = retval if isinstance(retval, list) else [retval]
        for outcome in outcomes:
            if isinstance(outcome, Outcome):
                self.digest_posts.labels(outcome.status).inc()
