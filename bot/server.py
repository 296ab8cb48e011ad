"""The ai-cost HTTP server: collectors' ingest endpoint, health and metrics (Starlette).

Built by `create_server`; nothing is created at import. Other surfaces (the Slack events
endpoint) add their routes through `routes=`.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import RequestMetrics, ServerMetrics
from config.organisation import Organisation
from config.settings import Settings
from domain.samples import GpuSample, JobInfo, SampleError, job_from_json, sample_from_json
from storage.batches import store_batch
from storage.db import session as new_session
from storage.ingest import (
    Rejection,
    reason_key,  # the grouping `ai-cost status` shows
    record_rejections,
    sync_organisation,
)

MAX_BYTES_PER_SAMPLE = 1024  # a sample is about 250 bytes of JSON; jobs ride along


class _Refused(Exception):
    def __init__(self, status: int, error: str, source: str = "ingest") -> None:
        super().__init__(error)
        self.status, self.error, self.source = status, error, source


class IngestEndpoint:
    """POST /ingest: a batch of samples and jobs from the collectors of one cluster.

    Body: {"cluster"?, "source"?, "jobs": [...], "samples": [...], "rejected"?: [reasons]};
    the bearer token names the cluster (its ingest_token in the organisation file).
    """

    def __init__(self, *, settings: Settings, organisation: Organisation, engine: Engine,
                 registry: CollectorRegistry, clock: Callable[[], float],
                 rejections: Counter | None = None) -> None:
        self._settings = settings
        self._organisation = organisation
        self._engine = engine
        self._clock = clock
        self._tokens = [(c.ingest_token.encode(), c.name) for c in organisation.clusters
                        if c.ingest_token]
        self._max_bytes = settings.ingest_max_batch * MAX_BYTES_PER_SAMPLE
        self._requests = Counter("ai_cost_ingest_requests", "Ingest requests by HTTP status.",
                                 ["status"], registry=registry)
        self._samples = Counter("ai_cost_ingest_samples", "Samples received by outcome.",
                                ["cluster", "outcome"], registry=registry)
        self._rejections = rejections

    def _cluster_of(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _Refused(401, "missing bearer token (Authorization: Bearer <cluster token>)")
        given = token.strip().encode()
        for known, cluster in self._tokens:
            if hmac.compare_digest(given, known):
                return cluster
        raise _Refused(401, "unknown ingest token: it is not the ingest_token of any cluster "
                            "in the organisation file")

    async def _body(self, request: Request, source: str) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise _Refused(413, f"batch of {int(declared)} bytes is over the limit of "
                                f"{self._max_bytes} bytes; send smaller batches", source)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_bytes:
                raise _Refused(413, f"batch is over the limit of {self._max_bytes} bytes; "
                                    f"send smaller batches", source)
            chunks.append(chunk)
        try:
            body = json.loads(b"".join(chunks))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Refused(400, f"body is not valid JSON: {exc}", source) from exc
        if not isinstance(body, dict):
            raise _Refused(400, "body must be a JSON object {\"samples\": [...], "
                                "\"jobs\": [...]}", source)
        for key in ("samples", "jobs", "rejected"):
            if not isinstance(body.get(key, []), list):
                raise _Refused(400, f"{key} must be a list", source)
        if len(body.get("samples", [])) > self._settings.ingest_max_batch:
            raise _Refused(413, f"{len(body['samples'])} samples in one batch; at most "
                                f"{self._settings.ingest_max_batch}", source)
        return body

    async def handle(self, request: Request) -> Response:
        """Store the batch; 200, or 422 with the rejected samples' reasons (others kept)."""
        cluster = None
        try:
            cluster = self._cluster_of(request)
            source = f"ingest:{cluster}"
            body = await self._body(request, source)
            named = body.get("cluster")
            if named is not None and named != cluster:
                raise _Refused(401, f"this token is for cluster {cluster!r}, not {named!r}",
                               source)
            result = await run_in_threadpool(self._store, cluster, body)
        except _Refused as refused:
            await run_in_threadpool(self._count_refusal, refused)
            self._requests.labels(str(refused.status)).inc()
            return JSONResponse({"error": refused.error}, status_code=refused.status)
        status = 422 if result["rejected"] else 200
        self._requests.labels(str(status)).inc()
        return JSONResponse(result, status_code=status)

    def _count_refusal(self, refused: _Refused) -> None:
        reasons = [f"HTTP {refused.status}: {refused.error}"]
        with new_session(self._engine) as s:
            record_rejections(session=s, source=refused.source, reasons=reasons)
            s.commit()
        self._count_reasons(refused.source, reasons)

    def _count_reasons(self, source: str, reasons: list[str]) -> None:
        if self._rejections is not None:
            for reason in reasons:
                self._rejections.labels(source, reason_key(reason)).inc()

    def _store(self, cluster: str, body: dict[str, Any]) -> dict[str, Any]:
        samples: list[GpuSample] = []
        positions: list[int] = []
        rejected: list[Rejection] = []
        for index, obj in enumerate(body.get("samples", [])):
            try:
                samples.append(sample_from_json(obj))
                positions.append(index)
            except SampleError as exc:
                rejected.append(Rejection(index, str(exc)))
        jobs: list[JobInfo] = []
        rejected_jobs: list[Rejection] = []
        for index, obj in enumerate(body.get("jobs", [])):
            try:
                jobs.append(job_from_json(obj))
            except SampleError as exc:
                rejected_jobs.append(Rejection(index, str(exc)))
        source = f"{body.get('source') or 'ingest'}:{cluster}"
        with new_session(self._engine) as s:
            result = store_batch(session=s, organisation=self._organisation, cluster=cluster,
                                 jobs=jobs, samples=samples, now=self._clock(),
                                 retention_s=self._settings.raw_retention_days * 86400.0,
                                 max_skew_s=self._settings.max_clock_skew_s, validated=True)
            rejected += [Rejection(positions[r.index], r.reason) for r in result.rejected]
            rejected.sort(key=lambda r: r.index)
            reasons = [str(r) for r in body.get("rejected", [])]
            reasons += [r.reason for r in rejected] + [r.reason for r in rejected_jobs]
            if reasons:
                record_rejections(session=s, source=source, reasons=reasons)
            s.commit()
        self._count_reasons(source, reasons)
        self._samples.labels(cluster, "accepted").inc(result.accepted)
        self._samples.labels(cluster, "duplicate").inc(result.duplicates)
        self._samples.labels(cluster, "rejected").inc(len(rejected))
        return {"cluster": cluster, "accepted": result.accepted,
                "duplicates": result.duplicates,
                "rejected": [{"index": r.index, "reason": r.reason} for r in rejected],
                "rejected_jobs": [{"index": r.index, "reason": r.reason}
                                  for r in rejected_jobs]}


def create_server(settings: Settings, organisation: Organisation, engine: Engine, *,
                  routes: Sequence[BaseRoute] = (), clock: Callable[[], float] = time.time,
                  registry: CollectorRegistry | None = None,
                  slack_events: bool = True) -> Starlette:
    """The ASGI app: POST /ingest, GET /healthz, GET /metrics, plus `routes`.

    The organisation's clusters and teams are written to the database first, so that
    batches of every configured cluster can be stored. `slack_events=False` leaves out
    POST /slack/events (Slack is then served over Socket Mode). The app's metrics are
    `app.state.metrics` (a ServerMetrics on the app's own registry).
    """
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        s.commit()
    registry = registry or CollectorRegistry()
    metrics = ServerMetrics(registry)
    ingest = IngestEndpoint(settings=settings, organisation=organisation, engine=engine,
                            registry=registry, clock=clock, rejections=metrics.rejections)

    def database_ok() -> bool:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(database_ok)
        except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", reported as is
            return JSONResponse({"status": "unhealthy", "database": str(exc)[:300]},
                                status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics_page(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    # Slack (issue 6, bot/slack_http.py): POST /slack/events once SLACK_BOT_TOKEN and
    # SLACK_SIGNING_SECRET are set; routes passed in come first and win.
    from bot.slack_http import slack_routes

    if slack_events:
        routes = [*routes, *slack_routes(settings, organisation, engine,
                                         api_errors=metrics.slack_api_errors)]
    every_route: list[BaseRoute] = [
        Route("/ingest", ingest.handle, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        *routes,
    ]
    app = Starlette(routes=every_route, middleware=[
        Middleware(RequestMetrics, routes=every_route, requests=metrics.requests,
                   seconds=metrics.seconds)])
    app.state.metrics = metrics
    return app

