"""POST /ingest: batches from the collectors of one cluster, checked field by field.

No content gets a 500: a body that is not a batch is refused whole (400, 413) with its reason,
a bad sample or job is rejected with its reason and the rest stored (422). A database that
cannot serve answers 503 with Retry-After. Refused requests are counted in memory (metrics) and
written to the store at most once per flush interval, never once per request.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.health import WriteHealth
from bot.metrics import RejectionCounter
from config.organisation import Organisation
from config.settings import Settings
from domain.samples import (
    GpuSample,
    JobInfo,
    SampleError,
    ServedSample,
    clean_text,
    job_from_json,
    sample_from_json,
    served_from_json,
)
from storage.batches import store_batch
from storage.db import session as new_session
from storage.ingest import IngestResult, Rejection, reason_key, record_rejections
from storage.outage import retryable, unavailable

MAX_BYTES_PER_SAMPLE = 1024  # a sample is about 250 bytes of JSON; jobs ride along
MAX_REASONS = 1000  # collector-side reasons kept from one batch
RETRY_AFTER_S = 10
_SOURCE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
log = logging.getLogger("ai_cost.ingest")


class Refused(Exception):
    """A request refused whole: its status, and one line saying why."""

    def __init__(self, status: int, error: str, source: str = "ingest",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.source = status, error, source
        self.headers = headers or {}


def unavailable_response(reason: str) -> JSONResponse:
    """503 with Retry-After: the database cannot serve now; the sender should come back."""
    return JSONResponse({"error": f"{reason}; try again in {RETRY_AFTER_S} s"}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_S)})


class RefusalTally:
    """Refused requests by source and reason, kept in memory until `flush` stores them."""

    def __init__(self, counter: RejectionCounter | None) -> None:
        self._counter = counter
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], tuple[int, str]] = {}

    def add(self, source: str, reason: str) -> None:
        """Count one refusal (in the metrics at once, in the store at the next flush)."""
        key = reason_key(reason)
        if self._counter is not None:
            self._counter.labels(source, reason).inc()
        with self._lock:
            count, _ = self._pending.get((source, key), (0, reason))
            self._pending[(source, key)] = (count + 1, reason)

    def flush(self, engine: Engine) -> int:
        """Store the counts gathered since the last flush; how many refusals were stored."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
            with new_session(engine) as s:
                for (source, _), (count, example) in sorted(pending.items()):
                    record_rejections(session=s, source=source, reasons=[example] * count)
                s.commit()
        except Exception:
            with self._lock:  # keep them for the next flush
                for key, (count, example) in pending.items():
                    n, _ = self._pending.get(key, (0, example))
                    self._pending[key] = (n + count, example)
            raise
        return sum(count for count, _ in pending.values())


class IngestEndpoint:
    """POST /ingest: a batch of samples and jobs from the collectors of one cluster.

    Body: {"cluster"?, "source"?, "jobs": [...], "samples": [...], "served"?: [inference
    servers' counters], "rejected"?: [reasons]};
    the bearer token names the cluster (its ingest_token in the organisation file).
    """

    def __init__(self, *, settings: Settings, organisation: Organisation, engine: Engine,
                 registry: CollectorRegistry, clock: Callable[[], float],
                 rejections: RejectionCounter | None = None,
                 writes: WriteHealth | None = None) -> None:
        self._settings = settings
        self._writes = writes or WriteHealth()
        self._organisation = organisation
        self._engine = engine
        self._clock = clock
        self._tokens = [(c.ingest_token.encode(), c.name) for c in organisation.clusters
                        if c.ingest_token]
        self._max_bytes = settings.ingest_max_batch * MAX_BYTES_PER_SAMPLE
        self._requests = Counter("ai_cost_ingest_requests", "Ingest requests by HTTP status.",
                                 ["status"], registry=registry)
        self._samples = Counter("ai_cost_ingest_samples", "Samples received by outcome "
                                "(accepted, duplicate, rejected, other_cluster: of a GPU "
                                "registered to another cluster).", ["cluster", "outcome"],
                                registry=registry)
        self._rejections = rejections
        self.refusals = RefusalTally(rejections)

    def _cluster_of(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Refused(401, "missing bearer token (Authorization: Bearer <cluster token>)")
        given = token.strip().encode()
        for known, cluster in self._tokens:
            if hmac.compare_digest(given, known):
                return cluster
        raise Refused(401, "unknown ingest token: it is not the ingest_token of any cluster "
                           "in the organisation file")

    async def _read(self, request: Request, source: str) -> bytes:
        """The body, read no further than the limit."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise Refused(413, f"batch of {int(declared)} bytes is over the limit of "
                               f"{self._max_bytes} bytes; send smaller batches", source)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_bytes:
                raise Refused(413, f"batch is over the limit of {self._max_bytes} bytes; "
                                   f"send smaller batches", source)
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse(self, raw: bytes, cluster: str) -> dict[str, Any]:
        source = f"ingest:{cluster}"
        try:
            body = json.loads(raw)
        except RecursionError as exc:
            raise Refused(400, "body is not a batch: JSON nested too deep", source) from exc
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise Refused(400, f"body is not valid JSON: {clean_text(str(exc), 200)}",
                          source) from exc
        if not isinstance(body, dict):
            raise Refused(400, "body must be a JSON object {\"samples\": [...], "
                               "\"jobs\": [...]}", source)
        for key in ("samples", "jobs", "rejected", "served"):
            if not isinstance(body.get(key, []), list):
                raise Refused(400, f"{key} must be a list", source)
        named = body.get("cluster")
        if named is not None and named != cluster:
            raise Refused(401, f"this token is for cluster {cluster!r}, not "
                               f"{clean_text(named, 60)!r}", source)
        given = body.get("source")
        if given is not None and not (isinstance(given, str) and _SOURCE.fullmatch(given)):
            raise Refused(400, "source must be a short name (letters, digits, . _ -) such as "
                               "agent or dcgm", source)
        if len(body.get("samples", [])) > self._settings.ingest_max_batch:
            raise Refused(413, f"{len(body['samples'])} samples in one batch; at most "
                               f"{self._settings.ingest_max_batch}", source)
        return body

    async def handle(self, request: Request) -> Response:
        """Store the batch: 200, or 422 with the rejected items' reasons (the rest kept)."""
        try:
            cluster = self._cluster_of(request)
            raw = await self._read(request, f"ingest:{cluster}")
            result = await run_in_threadpool(self._store, cluster, raw)
        except Refused as refused:
            self.refusals.add(refused.source, f"HTTP {refused.status}: {refused.error}")
            self._requests.labels(str(refused.status)).inc()
            return JSONResponse({"error": refused.error}, status_code=refused.status,
                                headers=refused.headers)
        except Exception as exc:
            reason = unavailable(exc)
            if reason is None:
                raise
            log.warning("ingest: %s (%s)", reason, str(exc).splitlines()[0][:300])
            self._writes.failed(reason)
            self._requests.labels("503").inc()
            return unavailable_response(reason)
        status = 422 if result["rejected"] or result["rejected_jobs"] \
            or result.get("rejected_served") else 200
        self._requests.labels(str(status)).inc()
        return JSONResponse(result, status_code=status)

    def _decode(self, body: dict[str, Any]) -> tuple[list[GpuSample], list[int],
                                                       list[Rejection], list[JobInfo],
                                                       list[Rejection]]:
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
        return samples, positions, rejected, jobs, rejected_jobs

    def _store(self, cluster: str, raw: bytes) -> dict[str, Any]:
        body = self._parse(raw, cluster)
        samples, positions, rejected, jobs, rejected_jobs = self._decode(body)
        served, served_at, rejected_served = _decode_served(body.get("served", []))
        source = f"{body.get('source') or 'ingest'}:{cluster}"
        told = [clean_text(r) for r in body.get("rejected", [])[:MAX_REASONS]]
        for attempt in range(3):
            try:
                result = self._write(cluster, source, samples, jobs, told + [
                    r.reason for r in rejected + rejected_jobs + rejected_served], served)
                break
            except Exception as exc:
                if attempt == 2 or not retryable(exc):
                    raise
        rejected += [Rejection(positions[r.index], r.reason) for r in result.rejected]
        rejected.sort(key=lambda r: r.index)
        rejected_served += [Rejection(served_at[r.index], r.reason)
                            for r in result.rejected_served]
        reasons = told + [r.reason for r in rejected] + [r.reason for r in rejected_jobs]
        if self._rejections is not None:
            for reason in reasons:
                self._rejections.labels(source, reason).inc()
        self._samples.labels(cluster, "accepted").inc(result.accepted)
        self._samples.labels(cluster, "duplicate").inc(result.duplicates)
        self._samples.labels(cluster, "rejected").inc(len(rejected))
        self._samples.labels(cluster, "other_cluster").inc(result.other_cluster)
        return {"cluster": cluster, "accepted": result.accepted,
                "duplicates": result.duplicates,
                "rejected": [{"index": r.index, "reason": r.reason} for r in rejected],
                "rejected_jobs": [{"index": r.index, "reason": r.reason}
                                  for r in rejected_jobs],
                **({"served_accepted": result.served,
                    "rejected_served": [{"index": r.index, "reason": r.reason}
                                        for r in sorted(rejected_served, key=lambda r: r.index)]}
                   if served or rejected_served else {})}

    def _write(self, cluster: str, source: str, samples: list[GpuSample], jobs: list[JobInfo],
               reasons: list[str], served: list[ServedSample] | None = None) -> IngestResult:
        """One transaction: jobs, samples, and the counts of what was rejected."""
        with new_session(self._engine) as s:
            result = store_batch(session=s, organisation=self._organisation, cluster=cluster,
                                 jobs=jobs, samples=samples, served=served or [],
                                 now=self._clock(),
                                 retention_s=self._settings.raw_retention_days * 86400.0,
                                 max_skew_s=self._settings.max_clock_skew_s, validated=True)
            reasons = reasons + [r.reason for r in result.rejected + result.rejected_served]
            if reasons:
                record_rejections(session=s, source=source, reasons=reasons)
            s.commit()
        self._writes.succeeded()
        return result


def _decode_served(items: list[Any]) -> tuple[list[ServedSample], list[int], list[Rejection]]:
    """Served counters of a batch, their positions, and the rejected ones with reasons."""
    served, positions, rejected = [], [], []
    for index, obj in enumerate(items):
        try:
            served.append(served_from_json(obj))
            positions.append(index)
        except SampleError as exc:
            rejected.append(Rejection(index, str(exc)))
    return served, positions, rejected
