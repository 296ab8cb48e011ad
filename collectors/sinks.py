"""Where a collector's output goes: printed as JSON lines, into the store, or to the server.

Storing is storage's (storage/batches.py: `DatabaseSink`, `store_batch`): a collector
imports no database code, so the node agent runs without SQLAlchemy or Alembic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from domain.samples import GpuSample, JobInfo, ServedSample


@dataclass(slots=True)
class Batch:
    """What one collection produced: samples, job descriptions, and input it rejected (reasons).

    `records` are job records of the job-record contract (Slurm), printed with --print.
    """

    samples: list[GpuSample] = field(default_factory=list)
    jobs: list[JobInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    served: list[ServedSample] = field(default_factory=list)  # inference servers' counters

    def to_body(self, *, source: str, cluster: str | None = None) -> dict[str, Any]:
        """The JSON body of POST /ingest."""
        body: dict[str, Any] = {
            "source": source,
            "jobs": [j.to_json() for j in self.jobs],
            "samples": [s.to_json() for s in self.samples],
        }
        if self.served:
            body["served"] = [s.to_json() for s in self.served]
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
