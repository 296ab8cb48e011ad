"""Shipping batches to the ai-cost server: retries with jittered backoff, and a spool file.

The spool (collectors/spool.py) keeps what could not be delivered until the server is back,
oldest first, within its size cap. A batch the server refuses for its content is set aside in
the quarantine file so the ones behind it still ship. The server is idempotent on GPU and
timestamp, so a batch sent twice (a lost reply) is counted once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from collectors.sinks import Batch
from collectors.spool import DEFAULT_MAX_BYTES, Spool

log = logging.getLogger(__name__)
POISON_AFTER = 3  # HTTP 500s in a row for one batch: a batch the server cannot take


class ShipError(RuntimeError):
    """The server refuses this collector (bad token): retrying cannot help."""


class _Retryable(Exception):
    """Server unreachable or failing (5xx, 408, 429): worth another try later."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class Shipper:
    """A `Sink` that POSTs batches to `url`/ingest, spooling them to `spool` when it cannot.

    `clock`, `sleep` and `rng` are injected so tests run a server outage without waiting;
    `on_shipped(samples)` and `on_drop(samples, reason)` feed the agent's metrics.
    """

    def __init__(self, *, url: str, token: str, spool: Path | None, source: str = "agent",
                 cluster: str | None = None, client: httpx.Client | None = None,
                 attempts: int = 3, wait_max_s: float = 60.0, timeout_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 spool_max_bytes: int = DEFAULT_MAX_BYTES,
                 on_shipped: Callable[[int], None] | None = None,
                 on_drop: Callable[[int, str], None] | None = None) -> None:
        self._endpoint = url.rstrip("/") + "/ingest"
        self._headers = {"Authorization": f"Bearer {token}"}
        self.spool = None if spool is None else Spool(spool, max_bytes=spool_max_bytes,
                                                      on_drop=on_drop)
        self._source = source
        self._cluster = cluster
        self._client = client or httpx.Client(timeout=timeout_s)
        self._attempts = attempts
        self._wait_max_s = wait_max_s
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_shipped = on_shipped
        self._failures = 0  # failed deliveries in a row: the backoff's exponent
        self._not_before = 0.0
        self._errors_500: dict[int, int] = {}  # spool offset of a batch -> its HTTP 500s

    def hurry(self) -> None:
        """From now on one attempt per batch and no waiting: the process is stopping."""
        self._attempts = 1
        self._not_before = 0.0

    def send(self, batch: Batch) -> str:
        """Deliver the spool, then `batch`; what cannot be delivered goes to the spool."""
        if not (batch.samples or batch.jobs or batch.problems):
            if self.spool is None or not self.spool.pending_bytes \
                    or self._clock() < self._not_before:
                return "nothing to send"
            return "; ".join(self._drain())
        body = batch.to_body(source=self._source, cluster=self._cluster)
        if self.spool is None:
            try:
                return self._deliver(body)
            except _Retryable as exc:
                raise ShipError(f"the server is unreachable ({exc}) and no spool file is "
                                f"configured") from exc
        if not self.spool.pending_bytes and self._clock() >= self._not_before:
            try:
                return self._deliver(body)
            except _Retryable as exc:
                self.spool.append(body)
                self._backoff()
                return f"server unavailable ({exc}): {len(batch.samples)} samples spooled"
            except ShipError:
                self.spool.append(body)
                raise
        self.spool.append(body)
        if self._clock() < self._not_before:
            return (f"server unavailable: {len(batch.samples)} samples spooled, next try in "
                    f"{self._not_before - self._clock():.0f} s")
        return "; ".join(self._drain()) or "nothing to send"

    def _backoff(self) -> None:
        """Wait before the next try: exponential in the failures in a row, fully jittered."""
        self._failures += 1
        ceiling = min(self._wait_max_s, 2.0 ** min(self._failures, 30))
        self._not_before = self._clock() + self._rng.uniform(0, ceiling)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._client.post(self._endpoint, json=body, headers=self._headers)
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise _Retryable(f"HTTP {response.status_code} {_detail(response)}",
                             response.status_code)
        return response

    def _deliver(self, body: dict[str, Any]) -> str:
        """POST `body` (halves on 413); _Retryable, ShipError, or one line of what happened."""
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=0.5, max=self._wait_max_s),
            retry=retry_if_exception_type(_Retryable), sleep=self._sleep, reraise=True)
        response = retrying(self._post, body)
        if response.status_code in (401, 403):
            raise ShipError(f"the server refused the token: {_detail(response)}")
        if response.status_code == 413 and len(body.get("samples", [])) > 1:
            half = len(body["samples"]) // 2
            first = dict(body, samples=body["samples"][:half])
            second = dict(body, samples=body["samples"][half:], jobs=[], rejected=[])
            return self._deliver(first) + "; " + self._deliver(second)
        self._failures, self._not_before = 0, 0.0
        if response.status_code in (200, 422):
            result = response.json()
            if self._on_shipped is not None:
                self._on_shipped(len(body.get("samples", [])))
            return (f"sent {len(body.get('samples', []))} samples: {result['accepted']} "
                    f"stored, {result['duplicates']} already stored, "
                    f"{len(result['rejected'])} rejected")
        # 400, 413 of one sample, other 4xx: the server will never take this body.
        reason = f"HTTP {response.status_code} {_detail(response)}"
        if self.spool is None:
            log.error("server refused a batch for its content, dropped: %s", reason)
        else:
            self.spool.quarantine(body, reason)
        return f"batch set aside: {reason}"

    def _drain(self) -> list[str]:
        """Deliver spooled batches oldest first until one cannot be delivered now."""
        assert self.spool is not None
        done: list[str] = []
        while (found := self.spool.head()) is not None:
            body, end = found
            try:
                done.append(self._deliver(body))
            except _Retryable as exc:
                if exc.status == 500 and self._poisoned(end):
                    self.spool.quarantine(body, f"HTTP 500 {POISON_AFTER} times in a row")
                    self.spool.mark(end)
                    continue
                self._backoff()
                done.append(f"server unavailable ({exc}): "
                            f"{self.spool.pending_bytes / 1048576:.1f} MiB spooled")
                break
            self._errors_500.pop(end, None)
            self.spool.mark(end)
        return done

    def _poisoned(self, end: int) -> bool:
        self._errors_500[end] = self._errors_500.get(end, 0) + 1
        return self._errors_500[end] >= POISON_AFTER

    def spooled(self) -> int:
        """Batches waiting in the spool file."""
        return 0 if self.spool is None else len(self.spool)

    def flush_spool(self) -> bool:
        """Deliver spooled batches in order, now; True when the spool is empty afterwards."""
        if self.spool is None:
            return True
        self._drain()
        return len(self.spool) == 0

    def close(self) -> None:
        self._client.close()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]
