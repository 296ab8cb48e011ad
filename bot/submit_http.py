"""POST /api/v1/check: a job's request in (JSON), the submit-time warnings out.

Slurm's job_submit plugin (deploy/slurm) and any script call it with the fields of
analyzers.submit.SubmitRequest; the answer is always 200 with the warnings, the rules that
fired, whether the organisation denies them, the suggestion and its weekly estimate. The caller
authenticates with its cluster's ingest token (the one its collectors already hold), which
also names the request's cluster. Bad JSON or fields: 400 with the reason; a token missing or
unknown: 401; a body over 64 KiB: 413; ai-cost's own failure: 503, never 500. Every answer is
counted in ai_cost_submit_checks_total{outcome} (bounded values: OUTCOMES). A warned request
is recorded (bot/services/submit_check.py); when the database cannot store it the warnings
are still given (outcome unrecorded).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from analyzers.submit import (
    ASSUMED_LOAD,
    SubmitInputError,
    SubmitRequest,
    SubmitVerdict,
    decode_json_request,
)
from bot.services.submit_check import DOCS_PAGE, MATCH_WINDOW, check, check_and_record
from config.organisation import Organisation
from storage.outage import UNAVAILABLE_ERRORS

log = logging.getLogger("ai_cost.submit")

PATH = "/api/v1/check"
MAX_BODY_BYTES = 64 * 1024
JUDGED = ("passed", "warned", "denied", "unrecorded")
REFUSED = ("bad_json", "bad_request", "unauthorized", "too_large", "error")
OUTCOMES = JUDGED + REFUSED


def submit_checks(registry: CollectorRegistry) -> Counter:
    """ai_cost_submit_checks_total{outcome} on `registry` (values: OUTCOMES)."""
    counter = Counter("ai_cost_submit_checks", "Requests to POST /api/v1/check by outcome: "
                      "judged (passed, warned, denied, unrecorded: warned while the database "
                      "could not store it) or refused (bad_json, bad_request, unauthorized, "
                      "too_large, error).", ["outcome"], registry=registry)
    for outcome in OUTCOMES:
        counter.labels(outcome)
    return counter


def explanation(organisation: Organisation) -> str:
    """The page a warning links to, in plain text (docs/submit-time.md says more)."""
    policy, deny = organisation.policy, organisation.submit.deny
    size_b = policy.oversized_model_min_params_b
    hours = MATCH_WINDOW.total_seconds() / 3600
    paragraphs = [
        "ai-cost: warnings at submit time",
        "When a job is submitted (sbatch, kubectl apply, ai-cost check), ai-cost reads what it "
        "asks for with the same classifier and policy as the weekly digest, and warns when:\n"
        f"- oversized_model: it looks like a narrow task (classification, extraction, "
        f"embeddings, speech-to-text...) on a model of {size_b:g}B parameters or more;\n"
        f"- notebook_gpus: an interactive job (a notebook, srun --pty) asks for more than "
        f"{policy.interactive_max_gpus} GPUs;\n"
        "- fp32: fp32 is asked for on a GPU that runs bf16 natively.",
        "The weekly saving is an estimate: the GPUs asked for, held for the time limit (a week "
        f"at most, and a week when none is given), drawing {ASSUMED_LOAD:.0%} of their board "
        f"power, at {organisation.name}'s prices; the right-sized model runs on 1 GPU.",
        ("These rules refuse a submission here: " + ", ".join(deny) + "." if deny
         else "Warnings never block a submission here."),
        f"A warned job seen running within {hours:.0f} h counts in the team's digest as resized "
        "(fewer GPUs, the suggested model, bf16) or as submitted.",
    ]
    return "\n\n".join(paragraphs) + "\n"


class _Refused(Exception):
    def __init__(self, status: int, outcome: str, error: str) -> None:
        super().__init__(error)
        self.status, self.outcome, self.error = status, outcome, error


class SubmitCheckEndpoint:
    """POST /api/v1/check, bound to the organisation, the database and a counter."""

    def __init__(self, *, organisation: Organisation, engine: Engine,
                 registry: CollectorRegistry, clock: Callable[[], float] = time.time) -> None:
        self.organisation, self.engine, self.clock = organisation, engine, clock
        self.counter = submit_checks(registry)
        self._tokens = [(c.ingest_token.encode(), c.name) for c in organisation.clusters
                        if c.ingest_token]

    def routes(self) -> list[Route]:
        """The endpoint's route, and the page its warnings link to."""
        return [Route(PATH, self.handle, methods=["POST"]),
                Route(DOCS_PAGE, self.page, methods=["GET"])]

    async def page(self, request: Request) -> Response:
        """GET /docs/submit-time: what the warnings mean, with this organisation's settings."""
        return PlainTextResponse(explanation(self.organisation))

    def _cluster_of(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Refused(401, "unauthorized", "missing bearer token (Authorization: Bearer "
                           "<the cluster's ingest_token>)")
        given = token.strip().encode()
        found = None
        for known, cluster in self._tokens:
            if hmac.compare_digest(known, given):
                found = cluster
        if found is None:
            raise _Refused(401, "unauthorized", "unknown token: use the ingest_token of the "
                           "cluster in the organisation file")
        return found

    async def _body(self, request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise _Refused(413, "too_large", f"the body is over {MAX_BODY_BYTES // 1024} KiB")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _Refused(413, "too_large",
                               f"the body is over {MAX_BODY_BYTES // 1024} KiB")
        return body

    async def handle(self, request: Request) -> Response:
        """One request's fields in; 200 with the verdict, or the reason it was refused."""
        try:
            cluster = self._cluster_of(request)
            body = await self._body(request)
            try:
                req = decode_json_request(body)
            except SubmitInputError as exc:
                outcome = "bad_json" if "not valid JSON" in str(exc) else "bad_request"
                raise _Refused(400, outcome, str(exc)) from exc
            if req.cluster is not None and req.cluster != cluster:
                raise _Refused(400, "bad_request", f"cluster {req.cluster!r} is not the "
                               f"token's cluster {cluster!r}: leave it out or use its token")
            req = SubmitRequest(**{**req.to_json(), "cluster": cluster})
            outcome, verdict = await run_in_threadpool(self._judge, req)
        except _Refused as refused:
            self.counter.labels(refused.outcome).inc()
            return JSONResponse({"error": refused.error}, status_code=refused.status)
        except Exception:  # ai-cost's own failure: the caller submits as if it had no answer
            log.exception("submit check failed")
            self.counter.labels("error").inc()
            return JSONResponse({"error": "ai-cost could not check this request now"},
                                status_code=503, headers={"Retry-After": "10"})
        self.counter.labels(outcome).inc()
        return JSONResponse(self.answer(verdict))

    def answer(self, verdict: SubmitVerdict) -> dict[str, Any]:
        """The JSON answer: the verdict and the organisation's currency."""
        return {**verdict.to_json(), "currency": self.organisation.currency}

    def _judge(self, req: SubmitRequest) -> tuple[str, SubmitVerdict]:
        now = datetime.fromtimestamp(self.clock(), UTC)
        try:
            verdict = check_and_record(self.engine, self.organisation, req, now=now)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("submit warning for %s not recorded: %s", req.job_name,
                        str(exc).splitlines()[0][:300])
            return "unrecorded", check(self.organisation, req)
        if not verdict.warnings:
            return "passed", verdict
        return ("denied" if verdict.deny else "warned"), verdict
