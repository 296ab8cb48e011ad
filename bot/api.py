"""The read API: GET /api/v1/{teams,runs,suggestions,idle,weeks} and /api/v1/openapi.json.

JSON by default, CSV with `Accept: text/csv` or `?format=csv`. A bearer token of the
organisation file's `read_tokens` is required (never an ingest token); a token limited to some
teams sees only theirs. Reads never write: every answer comes from the stored ledger.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.api_tables import (
    TABLES,
    Row,
    idle_rows,
    run_rows,
    served_rows,
    suggestion_rows,
    team_rows,
    to_csv,
    week_rows,
)
from config.organisation import UNASSIGNED, Organisation, ReadToken
from domain.ledger import Ledger
from domain.weeks import last_complete_week, week_of
from storage.api_queries import week_heads
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from storage.served_repo import load_served

log = logging.getLogger("ai_cost.api")
PREFIX = "/api/v1"
_WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
PARAMS: dict[str, list[str]] = {"teams": ["week", "team"],
                                "runs": ["week", "team", "cluster"],
                                "suggestions": ["week", "team", "cluster", "state"],
                                "idle": ["week", "cluster"], "weeks": ["team"],
                                "served": ["week", "team", "cluster"]}


class ApiError(Exception):
    """An answer other than 200: its status and one line saying why."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


class ReadApi:
    """The read API's endpoints over `engine`, for the organisation's read tokens."""

    def __init__(self, *, engine: Engine, organisation: Organisation,
                 clock: Callable[[], float]) -> None:
        self._engine = engine
        self._organisation = organisation
        self._clock = clock
        self._tokens = [(t.token.encode(), t) for t in organisation.read_tokens]
        self._teams = [t.name for t in organisation.teams] + [UNASSIGNED]
        self._clusters = [c.name for c in organisation.clusters]

    def routes(self) -> list[BaseRoute]:
        """The routes to mount on the server."""
        routes: list[BaseRoute] = [Route(f"{PREFIX}/openapi.json", self.openapi,
                                         methods=["GET"])]
        for table in TABLES:
            routes.append(Route(f"{PREFIX}/{table}", self._endpoint(table), methods=["GET"],
                                name=f"api_{table}"))
        return routes

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3.1 document of the API (no token needed: it holds no data)."""
        from bot.api_openapi import document

        return JSONResponse(document(self._organisation.currency))

    def _reader(self, request: Request) -> ReadToken:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "missing bearer token (Authorization: Bearer <read token>)")
        for known, reader in self._tokens:
            if hmac.compare_digest(known, token.encode()):
                return reader
        raise ApiError(401, "unknown read token: it is not one of the organisation file's "
                            "read_tokens (ingest tokens cannot read)")

    def _endpoint(self, table: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            try:
                reader = self._reader(request)
                query = self._query(request, table)
                rows, week = await run_in_threadpool(self._rows, table, query, reader)
            except ApiError as exc:
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                return JSONResponse({"error": exc.error}, status_code=exc.status,
                                    headers=headers)
            currency = self._organisation.currency
            if query.get("format") == "csv" or (
                    "format" not in query
                    and "text/csv" in request.headers.get("accept", "")):
                name = f"ai-cost-{table}{'-' + week if week else ''}.csv"
                return PlainTextResponse(
                    to_csv(table, rows, currency), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
            body: dict[str, Any] = {"currency": currency, "items": rows}
            if week is not None:
                body["week"] = week
            return JSONResponse(body)
        return handle

    def _query(self, request: Request, table: str) -> dict[str, str]:
        allowed = {*PARAMS[table], "format"}
        query = dict(request.query_params)
        unknown = sorted(set(query) - allowed)
        if unknown:
            raise ApiError(400, f"unknown parameter {unknown[0]!r}; this endpoint takes "
                                f"{', '.join(sorted(allowed))}")
        if query.get("format", "json") not in ("json", "csv"):
            raise ApiError(400, "format must be json or csv")
        week = query.get("week")
        if week is not None and week not in ("last", "current") and not _WEEK.fullmatch(week):
            raise ApiError(400, "week must be an ISO week such as 2026-W07, last or current")
        for key, known in (("team", self._teams), ("cluster", self._clusters)):
            if key in query and query[key] not in known:
                raise ApiError(400, f"unknown {key}; the organisation file lists "
                                    f"{', '.join(known) or 'none'}")
        if "state" in query and not _NAME.fullmatch(query["state"]):
            raise ApiError(400, "state must be a word such as open, approved or applied")
        return query

    def _week(self, query: dict[str, str]) -> str:
        now = datetime.fromtimestamp(self._clock(), UTC)
        week = query.get("week", "last")
        if week == "last":
            return last_complete_week(now)
        if week == "current":
            return week_of(now)
        return week

    def _rows(self, table: str, query: dict[str, str],
              reader: ReadToken) -> tuple[list[Row], str | None]:
        teams = [t for t in self._teams if reader.teams is None or t in reader.teams]
        if "team" in query:
            if query["team"] not in teams:
                raise ApiError(403, "this read token may not see that team")
            teams = [query["team"]]
        limited = None if reader.teams is None and "team" not in query else teams
        with new_session(self._engine) as s:
            if table == "weeks":
                return week_rows(week_heads(session=s, teams=limited)), None
            week = self._week(query)
            ledger = load_ledger(session=s, week=week, teams=limited,
                                 with_hidden="state" in query)
            if ledger is None:
                raise ApiError(404, f"{week} has not been judged; GET {PREFIX}/weeks lists "
                                    "the judged weeks")
            return self._table(table, query, ledger, s, limited), week

    def _table(self, table: str, query: dict[str, str], ledger: Ledger,
               session: Any, limited: Sequence[str] | None) -> list[Row]:
        cluster = query.get("cluster")
        lines = [j for j in ledger.lines() if cluster is None or j.job.cluster == cluster]
        if table == "teams":
            return team_rows(ledger, session=session, organisation=self._organisation,
                             teams=list(ledger.teams))
        if table == "runs":
            return run_rows(ledger, lines)
        if table == "suggestions":
            state = query.get("state")
            return suggestion_rows(ledger, lines,
                                   lambda s: state is None or s == state)
        if table == "served":
            return served_rows(r for r in load_served(session=session, weeks=[ledger.week])
                               if (limited is None or r["team"] in limited)
                               and (cluster is None or r["cluster"] == cluster))
        clusters = [cluster] if cluster else self._clusters
        return idle_rows(ledger, clusters)
