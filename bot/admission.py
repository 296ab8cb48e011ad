"""Kubernetes validating admission webhook: POST /admission/validate[/{cluster}].

The API server sends an AdmissionReview (admission.k8s.io/v1) for each Pod, Job, CronJob,
Deployment, StatefulSet or KServe InferenceService created or changed in a namespace that opted
in (deploy/kubernetes/admission); the answer echoes its uid, always allows, and carries the
submit-time warnings (bot/services/submit_check.py) that kubectl prints as `Warning: ...`. It
refuses only when the verdict says deny: a rule the organisation set under `submit.deny`.

Anything the webhook cannot read (a body that is not an AdmissionReview, a kind it does not
judge, an object without GPUs) is allowed with no warning, and counted by outcome in
ai_cost_admission_reviews_total; a failure of ai-cost's own (the database down, a bug) never
denies and never answers 500. A dry run (`kubectl apply --dry-run=server`) gets its warnings
and is not recorded; neither is an update that asks for what the old object asked for.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import textwrap
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analyzers.submit import SubmitInputError, SubmitRequest, SubmitVerdict, parse_manifest
from bot.services.submit_check import check, check_and_record
from config.organisation import Organisation
from storage.outage import UNAVAILABLE_ERRORS

log = logging.getLogger("ai_cost.admission")

API_VERSION = "admission.k8s.io/v1"
MAX_BODY_BYTES = 8 * 1024 * 1024  # an object (1.5 MiB in etcd) and its old version, with room
WARNING_CHARS = 120  # the API server's advice for one warning, and no newline in it
MAX_WARNINGS = 6
KINDS = frozenset({"Pod", "Job", "CronJob", "Deployment", "StatefulSet", "InferenceService"})

# ai_cost_admission_reviews_total{outcome}: judged (passed, warned, denied, unrecorded: warned
# while the database could not store it) or why nothing was judged.
JUDGED = ("passed", "warned", "denied", "unrecorded")
SKIPPED = ("bad_json", "not_a_review", "no_object", "unknown_kind", "unreadable", "no_gpus",
           "owned", "unknown_cluster", "error")
OUTCOMES = JUDGED + SKIPPED


@dataclasses.dataclass(frozen=True)
class Review:
    """What the webhook read from one AdmissionReview."""

    uid: str
    kind: str
    namespace: str | None
    user: str | None
    dry_run: bool
    operation: str
    obj: Mapping[str, Any] | None
    old: Mapping[str, Any] | None


class Skip(Exception):
    """Allow without a warning; `outcome` is the counted reason (one of SKIPPED)."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome


def read_review(body: bytes) -> Review:
    """The fields the webhook uses; Skip when the body is not an AdmissionReview v1."""
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Skip("bad_json", f"the body is not JSON: {exc}") from exc
    request = doc.get("request") if isinstance(doc, dict) else None
    if not (isinstance(doc, dict) and doc.get("kind") == "AdmissionReview"
            and doc.get("apiVersion") == API_VERSION and isinstance(request, dict)
            and isinstance(request.get("uid"), str)):
        raise Skip("not_a_review", f"not an AdmissionReview {API_VERSION} with a request uid")
    kind = request.get("kind")
    user = request.get("userInfo")
    obj, old = request.get("object"), request.get("oldObject")
    namespace = request.get("namespace")
    return Review(
        uid=request["uid"],
        kind=str(kind.get("kind", "")) if isinstance(kind, dict) else "",
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        user=str(user["username"]) if isinstance(user, dict) and user.get("username") else None,
        dry_run=request.get("dryRun") is True, operation=str(request.get("operation", "")),
        obj=obj if isinstance(obj, dict) else None, old=old if isinstance(old, dict) else None)


def _in_namespace(obj: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
    """The object with its namespace set: a created object may leave it to the request."""
    found = copy.copy(dict(obj))
    meta = found.get("metadata")
    if namespace and isinstance(meta, dict) and not meta.get("namespace"):
        found["metadata"] = {**meta, "namespace": namespace}
    return found


def _owned(obj: Mapping[str, Any]) -> bool:
    """Made by a controller (a Deployment's pods, a CronJob's jobs): the owner was judged."""
    meta = obj.get("metadata")
    owners = meta.get("ownerReferences") if isinstance(meta, dict) else None
    return isinstance(owners, list) and any(
        isinstance(o, dict) and o.get("controller") is True for o in owners)


def request_of(review: Review, cluster: str | None) -> SubmitRequest:
    """The submit request of the reviewed object; Skip when there is nothing to judge."""
    if review.obj is None:
        raise Skip("no_object", f"{review.operation or 'a request'} without an object")
    kind = review.kind or str(review.obj.get("kind", ""))
    if kind not in KINDS:
        raise Skip("unknown_kind", f"kind {kind or '(none)'} is not judged")
    if _owned(review.obj):
        raise Skip("owned", "made by a controller: its owner was judged")
    try:
        found = parse_manifest(_in_namespace(review.obj, review.namespace), user=review.user,
                               cluster=cluster)
    except SubmitInputError as exc:
        raise Skip("unreadable", str(exc)) from exc
    if not found:
        raise Skip("unknown_kind", f"kind {kind} gave no request")
    req = found[0]
    if req.gpus <= 0:
        raise Skip("no_gpus", f"{kind} {req.job_name} asks for no GPU")
    return req


def _unchanged(review: Review, req: SubmitRequest, cluster: str | None) -> bool:
    """An update that asks for what the old object asked for (a re-apply, a label)."""
    if review.operation != "UPDATE" or review.old is None:
        return False
    try:
        before = parse_manifest(_in_namespace(review.old, review.namespace), user=review.user,
                                cluster=cluster)
    except SubmitInputError:
        return False
    return bool(before) and before[0] == req


def warning_lines(warnings: tuple[str, ...] | list[str]) -> list[str]:
    """The verdict's lines as the API server takes warnings, at most MAX_WARNINGS.

    One line each, at most WARNING_CHARS characters: a longer line continues in the next.
    """
    lines: list[str] = []
    for warning in warnings:
        flat = " ".join("".join(c if c.isprintable() else " " for c in warning).split())
        lines += textwrap.wrap(flat, WARNING_CHARS, break_on_hyphens=False)
    return lines[:MAX_WARNINGS]


def answer(uid: str, *, warnings: list[str] | None = None,
           deny_message: str | None = None) -> dict[str, Any]:
    """The AdmissionReview v1 response: allowed unless `deny_message`."""
    response: dict[str, Any] = {"uid": uid, "allowed": deny_message is None}
    if warnings:
        response["warnings"] = warnings
    if deny_message is not None:
        response["status"] = {"code": 403, "reason": "Forbidden", "message": deny_message}
    return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response}


class AdmissionEndpoint:
    """POST /admission/validate, and /admission/validate/{cluster} for a named cluster.

    The cluster (one of the organisation file's) prices the warnings and names the records.
    `counter` is ai_cost_admission_reviews_total (bot.metrics.admission_reviews).
    """

    def __init__(self, *, organisation: Organisation, engine: Engine | None, counter: Counter,
                 clock: Callable[[], float] = time.time) -> None:
        self.organisation = organisation
        self.engine = engine
        self.counter = counter
        self.clock = clock
        self.clusters = frozenset(c.name for c in organisation.clusters)
        for outcome in OUTCOMES:  # every outcome on the metrics page from the start, at 0
            counter.labels(outcome)

    def routes(self) -> list[Route]:
        """The webhook's two routes."""
        return [Route("/admission/validate", self.handle, methods=["POST"]),
                Route("/admission/validate/{cluster}", self.handle, methods=["POST"])]

    async def handle(self, request: Request) -> Response:
        """One AdmissionReview in, its response out: always 200, allowed unless denied."""
        uid = ""
        try:
            body = await _read_capped(request)
            review = read_review(body)
            uid = review.uid
            cluster = request.path_params.get("cluster")
            if cluster is not None and cluster not in self.clusters:
                raise Skip("unknown_cluster", f"cluster {cluster!r} is not in the organisation "
                           "file: fix the webhook's path")
            req = request_of(review, cluster)
            outcome, verdict = await run_in_threadpool(self._judge, review, req, cluster)
        except Skip as skip:
            self.counter.labels(skip.outcome).inc()
            if skip.outcome in ("bad_json", "not_a_review", "unknown_cluster"):
                log.warning("admission review allowed unread (%s): %s", skip.outcome, skip)
            return JSONResponse(answer(uid))
        except Exception:  # ai-cost's own failure must never refuse a workload: allow, loudly
            log.exception("admission review %s allowed: the check failed", uid or "(no uid)")
            self.counter.labels("error").inc()
            return JSONResponse(answer(uid))
        self.counter.labels(outcome).inc()
        lines = warning_lines(verdict.warnings)
        if verdict.deny:
            return JSONResponse(answer(uid, warnings=lines, deny_message=" ".join(
                verdict.warnings) or "refused by an ai-cost rule"))
        return JSONResponse(answer(uid, warnings=lines))

    def _judge(self, review: Review, req: SubmitRequest,
               cluster: str | None) -> tuple[str, SubmitVerdict]:
        if review.dry_run or _unchanged(review, req, cluster):
            verdict = check(self.organisation, req)
        else:
            now = datetime.fromtimestamp(self.clock(), UTC)
            try:
                verdict = check_and_record(self.engine, self.organisation, req, now=now)
            except UNAVAILABLE_ERRORS as exc:
                log.warning("admission warning for %s not recorded: %s", req.job_name,
                            str(exc).splitlines()[0][:300])
                verdict = check(self.organisation, req)
                if verdict.warnings:
                    return "unrecorded", verdict
        if verdict.deny:
            return "denied", verdict
        return ("warned" if verdict.warnings else "passed"), verdict


async def _read_capped(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Skip("bad_json", f"a body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
