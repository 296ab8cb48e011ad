"""Where a collector's output goes: printed as JSON lines, into the store, or to the server.

The server (collectors/shipping.py sends to it) stores batches with `store_batch` too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from sqlalchemy import Engine
from sqlmodel import Session

from config.organisation import Organisation
from storage.db import session as new_session
from storage.ingest import (
    IngestResult,
    ingest_samples,
    record_rejections,
    sync_organisation,
    upsert_jobs,
)
from storage.samples import GpuSample, JobInfo


@dataclass(slots=True)
class Batch:
    """What one collection produced: samples, job descriptions, and input it rejected (reasons).

    `records` are job records of the job-record contract (Slurm), printed with --print.
    """

    samples: list[GpuSample] = field(default_factory=list)
    jobs: list[JobInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_body(self, *, source: str, cluster: str | None = None) -> dict[str, Any]:
        """The JSON body of POST /ingest."""
        body: dict[str, Any] = {
            "source": source,
            "jobs": [j.to_json() for j in self.jobs],
            "samples": [s.to_json() for s in self.samples],
        }
        if self.problems:
            body["rejected"] = list(self.problems)
        if cluster:
            body["cluster"] = cluster
        return body


class Sink(Protocol):
    def send(self, batch: Batch) -> str:
        """Deliver a batch; returns one line saying what became of it."""
        ...


class PrintSink:
    """Writes samples (or, for job records, the records) as JSON lines."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def send(self, batch: Batch) -> str:
        rows: Sequence[Any] = batch.records or [s.to_json() for s in batch.samples]
        for row in rows:
            self._out.write(json.dumps(row, separators=(",", ":")) + "\n")
        self._out.flush()
        return f"printed {len(rows)} {'records' if batch.records else 'samples'}"


def store_batch(*, session: Session, organisation: Organisation, cluster: str,
                jobs: Sequence[JobInfo], samples: Sequence[GpuSample], now: float,
                retention_s: float, max_skew_s: float, validated: bool = False) -> IngestResult:
    """Store job descriptions, then samples (which then attribute to them); caller commits."""
    if jobs:
        upsert_jobs(session=session, cluster=cluster, jobs=jobs, organisation=organisation)
    return ingest_samples(session=session, cluster=cluster, samples=samples, now=now,
                          retention_s=retention_s, max_skew_s=max_skew_s, validated=validated)


class DatabaseSink:
    """Stores batches in the database directly (a collector next to the store)."""

    def __init__(self, *, engine: Engine, organisation: Organisation, cluster: str, source: str,
                 retention_s: float, max_skew_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        organisation.cluster(cluster)  # fail now on an unknown cluster
        self._engine = engine
        self._organisation = organisation
        self._cluster = cluster
        self._source = f"{source}:{cluster}"
        self._retention_s = retention_s
        self._max_skew_s = max_skew_s
        self._clock = clock
        with new_session(engine) as s:
            sync_organisation(session=s, organisation=organisation)
            s.commit()

    def send(self, batch: Batch) -> str:
        with new_session(self._engine) as s:
            result = store_batch(session=s, organisation=self._organisation,
                                 cluster=self._cluster, jobs=batch.jobs, samples=batch.samples,
                                 now=self._clock(), retention_s=self._retention_s,
                                 max_skew_s=self._max_skew_s)
            reasons = batch.problems + [r.reason for r in result.rejected]
            if reasons:
                record_rejections(session=s, source=self._source, reasons=reasons)
            s.commit()
        return (f"stored {result.accepted} samples ({result.duplicates} already stored, "
                f"{len(reasons)} rejected), {len(batch.jobs)} jobs")
