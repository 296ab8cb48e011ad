"""Batches from collectors into the store: straight from a collector, or through the server."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from collectors.sinks import Batch
from config.organisation import Organisation
from domain.samples import GpuSample, JobInfo, SampleError, ServedSample, check_job
from storage.db import session as new_session
from storage.ingest import (
    IngestResult,
    Rejection,
    ingest_samples,
    ingest_served,
    record_rejections,
    sync_organisation,
    upsert_jobs,
)


def store_batch(*, session: Session, organisation: Organisation, cluster: str,
                jobs: Sequence[JobInfo], samples: Sequence[GpuSample], now: float,
                retention_s: float, max_skew_s: float, validated: bool = False,
                served: Sequence[ServedSample] = ()) -> IngestResult:
    """Store job descriptions, then samples (which then attribute to them); caller commits.

    Unless `validated` (checked by `check_job` and `check_sample` already), each job and
    sample is checked here; the bad ones are rejected with their reasons, the rest stored.
    """
    good, refused = list(jobs), []
    if not validated:
        good = []
        for index, job in enumerate(jobs):
            try:
                good.append(check_job(job))
            except SampleError as exc:
                refused.append(Rejection(index, str(exc)))
    if good:
        upsert_jobs(session=session, cluster=cluster, jobs=good, organisation=organisation)
    result = ingest_samples(session=session, cluster=cluster, samples=samples, now=now,
                            retention_s=retention_s, max_skew_s=max_skew_s, validated=validated)
    result.rejected_jobs.extend(refused)
    if served:  # inference servers' counters (collectors/served.py)
        counted = ingest_served(session=session, cluster=cluster, samples=served, now=now,
                                retention_s=retention_s, max_skew_s=max_skew_s)
        result.served, result.rejected_served = counted.accepted, counted.rejected
    return result


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
            sync_organisation(session=s, organisation=organisation,
                              now=datetime.fromtimestamp(clock(), UTC))
            s.commit()

    def send(self, batch: Batch) -> str:
        with new_session(self._engine) as s:
            result = store_batch(session=s, organisation=self._organisation,
                                 cluster=self._cluster, jobs=batch.jobs, samples=batch.samples,
                                 served=batch.served, now=self._clock(),
                                 retention_s=self._retention_s, max_skew_s=self._max_skew_s)
            reasons = batch.problems + [r.reason for r in result.rejected] \
                + [r.reason for r in result.rejected_jobs] \
                + [r.reason for r in result.rejected_served]
            if reasons:
                record_rejections(session=s, source=self._source, reasons=reasons)
            s.commit()
        return (f"stored {result.accepted} samples ({result.duplicates} already stored, "
                f"{len(reasons)} rejected), {len(batch.jobs)} jobs")
