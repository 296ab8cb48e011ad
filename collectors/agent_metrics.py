"""The node agent's own health as Prometheus metrics, on a small GET /metrics of its own.

Spool bytes waiting, samples read, shipped and dropped (by reason), when a batch last reached
the server, and NVML's errors: what an operator alerts on when a node stops reporting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class AgentMetrics:
    """The agent's metrics on their own registry (never prometheus_client's global one)."""

    def __init__(self, registry: CollectorRegistry | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.registry = registry or CollectorRegistry()
        self._clock = clock
        self.spool_bytes = Gauge("ai_cost_agent_spool_bytes", "Bytes of batches in the spool "
                                 "waiting for the server.", registry=self.registry)
        self.samples_read = Counter("ai_cost_agent_samples_read", "GPU samples read.",
                                    registry=self.registry)
        self.samples_shipped = Counter("ai_cost_agent_samples_shipped", "GPU samples the "
                                       "server took (stored, already stored or rejected "
                                       "one by one).", registry=self.registry)
        self.samples_dropped = Counter("ai_cost_agent_samples_dropped", "GPU samples given up, "
                                       "by reason: spool_full (the oldest, at the spool's cap), "
                                       "quarantined (set aside in the quarantine file).",
                                       ["reason"], registry=self.registry)
        self.last_shipped = Gauge("ai_cost_agent_last_shipped_timestamp_seconds", "Unix time "
                                  "a batch last reached the server.", registry=self.registry)
        self.nvml_errors = Counter("ai_cost_agent_nvml_errors", "NVML errors while reading a "
                                   "GPU, by error.", ["error"], registry=self.registry)
        for reason in ("spool_full", "quarantined"):
            self.samples_dropped.labels(reason)

    def watch_spool(self, pending_bytes: Callable[[], int]) -> None:
        """Report the spool's size as `pending_bytes()` says it at each scrape."""
        self.spool_bytes.set_function(lambda: float(pending_bytes()))

    def shipped(self, samples: int) -> None:
        """A batch of `samples` reached the server now."""
        self.samples_shipped.inc(samples)
        self.last_shipped.set(self._clock())

    def dropped(self, samples: int, reason: str) -> None:
        """`samples` were given up for `reason`."""
        self.samples_dropped.labels(reason).inc(samples)

    def nvml_error(self, error: str) -> None:
        """NVML answered `error` for a GPU."""
        self.nvml_errors.labels(error).inc()

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        """Serve GET /metrics on `port` from a daemon thread."""
        start_http_server(port, addr=addr, registry=self.registry)
