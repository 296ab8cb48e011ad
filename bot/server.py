"""The ai-cost HTTP server: collectors' ingest endpoint, health and metrics (Starlette).

Built by `create_server`; nothing is created at import. Other surfaces (the Slack events
endpoint) add their routes through `routes=`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.admission import AdmissionEndpoint
from bot.api import ReadApi
from bot.cost_metrics import CostCollector
from bot.health import WriteHealth, health_routes
from bot.ingest_http import IngestEndpoint, RefusalTally, unavailable_response
from bot.metrics import RequestMetrics, ServerMetrics
from bot.submit_http import SubmitCheckEndpoint
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session as new_session
from storage.ingest import sync_organisation
from storage.outage import UNAVAILABLE_ERRORS, unavailable

log = logging.getLogger("ai_cost.server")


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """Any route: a database that cannot serve answers 503 with Retry-After, not 500."""
    reason = unavailable(exc) or "the database cannot serve this request now"
    log.warning("%s %s: %s (%s)", request.method, request.url.path, reason,
                str(exc).splitlines()[0][:300])
    return unavailable_response(reason)


def _flush_quietly(refusals: RefusalTally, engine: Engine) -> None:
    try:
        refusals.flush(engine)
    except Exception as exc:
        if unavailable(exc) is None:
            raise
        log.warning("refused requests not stored yet: %s", unavailable(exc))


def _warm_quietly(costs: CostCollector) -> None:
    # A scrape right after a refresh then finds the week's figures already built.
    try:
        costs.ledger_metrics()
    except Exception as exc:
        if unavailable(exc) is None:
            raise
        log.warning("cost metrics not rebuilt: %s", unavailable(exc))


def create_server(settings: Settings, organisation: Organisation, engine: Engine, *,
                  routes: Sequence[BaseRoute] = (), clock: Callable[[], float] = time.time,
                  registry: CollectorRegistry | None = None,
                  slack_events: bool = True, flush_every_s: float = 60.0) -> Starlette:
    """The ASGI app: POST /ingest, GET /healthz[/live|/ready], /metrics, /api/v1/..., `routes`.

    POST /admission/validate is Kubernetes' admission webhook (bot/admission.py).
    POST /api/v1/check answers a job's request with its submit-time warnings
    (bot/submit_http.py).

    The organisation's clusters and teams are written to the database first, so that
    batches of every configured cluster can be stored. `slack_events=False` leaves out
    POST /slack/events (Slack is then served over Socket Mode). The app's metrics are
    `app.state.metrics` (a ServerMetrics on the app's own registry) and `app.state.costs` (the
    ledger's figures, bot/cost_metrics.py); refused ingest requests,
    counted in memory, reach the store every `flush_every_s` seconds and at shutdown
    (`app.state.refusals.flush(engine)` does it at once).
    """
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation,
                          now=datetime.fromtimestamp(clock(), UTC))
        s.commit()
    registry = registry or CollectorRegistry()
    metrics = ServerMetrics(registry, clusters=[c.name for c in organisation.clusters])
    costs = CostCollector(engine=engine, organisation=organisation,
                          clock=lambda: datetime.fromtimestamp(clock(), UTC))
    registry.register(costs)
    writes = WriteHealth()
    ingest = IngestEndpoint(settings=settings, organisation=organisation, engine=engine,
                            registry=registry, clock=clock, rejections=metrics.rejections,
                            writes=writes)

    async def metrics_page(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def every_interval() -> None:
            await run_in_threadpool(_warm_quietly, costs)  # the first scrape finds them built
            while True:
                await asyncio.sleep(flush_every_s)
                await run_in_threadpool(_flush_quietly, ingest.refusals, engine)
                await run_in_threadpool(_warm_quietly, costs)

        task = asyncio.create_task(every_interval())
        try:
            yield
        finally:
            task.cancel()
            await run_in_threadpool(_flush_quietly, ingest.refusals, engine)

    # Slack (issue 6, bot/slack_http.py): POST /slack/events once SLACK_BOT_TOKEN and
    # SLACK_SIGNING_SECRET are set; routes passed in come first and win.
    from bot.slack_http import slack_routes

    if slack_events:
        routes = [*routes, *slack_routes(settings, organisation, engine,
                                         api_errors=metrics.slack_api_errors)]
    every_route: list[BaseRoute] = [
        Route("/ingest", ingest.handle, methods=["POST"]),
        *health_routes(engine, writes),
        Route("/metrics", metrics_page, methods=["GET"]),
        *ReadApi(engine=engine, organisation=organisation, clock=clock).routes(),
        *SubmitCheckEndpoint(organisation=organisation, engine=engine, registry=registry,
                             clock=clock).routes(),
        *AdmissionEndpoint(organisation=organisation, engine=engine, counter=metrics.admission,
                           clock=clock).routes(),
        *routes,
    ]
    app = Starlette(
        routes=every_route, lifespan=lifespan,
        middleware=[Middleware(RequestMetrics, routes=every_route, requests=metrics.requests,
                               seconds=metrics.seconds)],
        exception_handlers={kind: _database_unavailable for kind in UNAVAILABLE_ERRORS})
    app.state.metrics = metrics
    app.state.costs = costs
    app.state.refusals = ingest.refusals
    return app
