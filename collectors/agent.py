"""The node agent: read every GPU, attribute it to jobs, batch, and hand batches to a sink."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from collectors.agent_metrics import AgentMetrics
from collectors.gpu import GpuReader, JobRef, ProcessReading, to_sample
from collectors.processes import ProcessMapper
from collectors.replay import TraceRecorder
from collectors.sinks import Batch, Sink

log = logging.getLogger(__name__)


class Agent:
    """Reads `reader` every interval and ships a batch every `ship_every_s` (or when full).

    `sleep` may return early (a threading.Event's wait): the loop then checks `should_stop`
    at once, so a stopping process ships or spools its pending batch without delay.
    """

    def __init__(self, *, reader: GpuReader, node: str, sink: Sink,
                 mapper: ProcessMapper | None = None, recorder: TraceRecorder | None = None,
                 max_batch: int = 5000, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = time.sleep,
                 metrics: AgentMetrics | None = None) -> None:
        self.reader = reader
        self.node = node
        self.sink = sink
        self.mapper = mapper
        self.recorder = recorder
        self.max_batch = max_batch
        self._clock = clock
        self._sleep = sleep
        self._pending = Batch()
        self._jobs_sent: set[str] = set()
        self._metrics = metrics

    def _job_of(self, process: ProcessReading) -> JobRef | None:
        return None if self.mapper is None else self.mapper.job_of(process.pid)

    def collect(self) -> int:
        """Read the GPUs once into the pending batch; returns the samples added."""
        readings = self.reader.read()
        if self.recorder is not None:
            # Record processes with the job they were mapped to, so a replay needs no /proc.
            for r in readings:
                for p in r.processes:
                    if p.job is None:
                        p.job = self._job_of(p)
            self.recorder.record(readings)
        for reading in readings:
            sample, job = to_sample(reading, node=self.node, job_of=self._job_of)
            self._pending.samples.append(sample)
            if job is not None and job.job_id not in self._jobs_sent:
                # A job's description goes with its first sample only: the scheduler's own
                # record (sacct, kube-state-metrics) knows more and must not be overwritten.
                self._jobs_sent.add(job.job_id)
                self._pending.jobs.append(job.to_job_info())
        if self._metrics is not None:
            self._metrics.samples_read.inc(len(readings))
        return len(readings)

    def ship(self) -> str:
        """Hand the pending batch to the sink."""
        batch, self._pending = self._pending, Batch()
        return self.sink.send(batch)

    @property
    def pending(self) -> int:
        return len(self._pending.samples)

    def run(self, *, interval_s: float, ship_every_s: float, once: bool = False,
            should_stop: Callable[[], bool] = lambda: False) -> None:
        """Collect every `interval_s` and ship every `ship_every_s`; with `once`, one of each.

        Once `should_stop()` is true the pending batch is shipped (or spooled) and run returns.
        """
        last_ship = self._clock()
        while True:
            if should_stop():
                if self.pending:
                    log.info("stopping: %s", self.ship())
                return
            started = self._clock()
            self.collect()
            if once:
                log.info("%s", self.ship())
                return
            if self.pending >= self.max_batch or started - last_ship >= ship_every_s:
                log.info("%s", self.ship())
                last_ship = started
            if not should_stop():
                self._sleep(max(0.0, interval_s - (self._clock() - started)))
