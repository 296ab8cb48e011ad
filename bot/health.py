"""Health of the server: liveness (the process answers) and readiness (its database serves).

GET /healthz/live is 200 while the process runs. GET /healthz/ready (and GET /healthz, which
means the same) is 200 when the database answers, its schema is the one this release needs,
and no write failed for want of the database (locked, disk full) in the last
`WRITE_FAILURE_S` seconds without one succeeding since; else 503 with the reason and
Retry-After.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storage.outage import unavailable
from storage.schema import schema_state

RETRY_AFTER_S = 10
WRITE_FAILURE_S = 30.0


class WriteHealth:
    """Whether the database took the server's last writes: what a read-only check misses."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failure: tuple[float, str] | None = None

    def failed(self, reason: str) -> None:
        """A write failed now because the database could not serve it."""
        with self._lock:
            self._failure = (self._clock(), reason)

    def succeeded(self) -> None:
        """A write went through: the database serves again."""
        if self._failure is not None:
            with self._lock:
                self._failure = None

    def problem(self) -> str | None:
        """The reason of a write failure in the last WRITE_FAILURE_S seconds, if any."""
        with self._lock:
            failure = self._failure
        if failure is None or self._clock() - failure[0] > WRITE_FAILURE_S:
            return None
        return f"a write failed {self._clock() - failure[0]:.0f} s ago: {failure[1]}"


def readiness(engine: Engine, writes: WriteHealth | None = None) -> str | None:
    """None when the database answers with the current schema and takes writes; else why not."""
    problem = None if writes is None else writes.problem()
    if problem is not None:
        return problem
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


def health_routes(engine: Engine, writes: WriteHealth | None = None) -> list[BaseRoute]:
    """GET /healthz/live, GET /healthz/ready and GET /healthz (readiness)."""

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def ready(request: Request) -> Response:
        problem = await run_in_threadpool(readiness, engine, writes)
        if problem is None:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unready", "database": problem}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    return [Route("/healthz/live", live, methods=["GET"]),
            Route("/healthz/ready", ready, methods=["GET"]),
            Route("/healthz", ready, methods=["GET"])]
