"""Health of the server: liveness (the process answers) and readiness (its database serves).

GET /healthz/live is 200 while the process runs. GET /healthz/ready (and GET /healthz, which
means the same) is 200 when the database answers and its schema is the one this release
needs, else 503 with the reason and Retry-After.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storage.outage import unavailable
from storage.schema import schema_state

RETRY_AFTER_S = 10


def readiness(engine: Engine) -> str | None:
    """None when the database answers with the current schema; else one line saying why not."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        state = schema_state(engine)
    except Exception as exc:
        reason = unavailable(exc)
        if reason is None:
            raise
        return reason
    return None if state.at_head else state.describe()


def health_routes(engine: Engine) -> list[BaseRoute]:
    """GET /healthz/live, GET /healthz/ready and GET /healthz (readiness)."""

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def ready(request: Request) -> Response:
        problem = await run_in_threadpool(readiness, engine)
        if problem is None:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unready", "database": problem}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    return [Route("/healthz/live", live, methods=["GET"]),
            Route("/healthz/ready", ready, methods=["GET"]),
            Route("/healthz", ready, methods=["GET"])]
