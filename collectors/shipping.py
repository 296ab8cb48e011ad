"""Shipping batches to the ai-cost server: retries with backoff, and a spool file.

The spool keeps what could not be delivered until the server is back. The server is
idempotent on GPU and timestamp, so a batch sent twice (a lost reply) is counted once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from collectors.sinks import Batch

log = logging.getLogger(__name__)


class ShipError(RuntimeError):
    """The server refuses this collector (bad token): retrying cannot help."""


class _Retryable(Exception):
    """Server unreachable or failing (5xx, 429): worth another try later."""


class Shipper:
    """A `Sink` that POSTs batches to `url`/ingest, spooling them to `spool` when it cannot."""

    def __init__(self, *, url: str, token: str, spool: Path | None, source: str = "agent",
                 cluster: str | None = None, client: httpx.Client | None = None,
                 attempts: int = 4, wait_max_s: float = 30.0, timeout_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._endpoint = url.rstrip("/") + "/ingest"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._spool = spool
        self._source = source
        self._cluster = cluster
        self._client = client or httpx.Client(timeout=timeout_s)
        self._attempts = attempts
        self._wait_max_s = wait_max_s
        self._sleep = sleep

    def send(self, batch: Batch) -> str:
        """Deliver the spool, then `batch`; what cannot be delivered goes to the spool."""
        if not (batch.samples or batch.jobs or batch.problems):
            return "nothing to send"
        body = batch.to_body(source=self._source, cluster=self._cluster)
        if self.spooled() and not self.flush_spool():
            self._to_spool(body)
            return f"server unreachable: {len(batch.samples)} samples spooled"
        try:
            return self._deliver(body)
        except _Retryable as exc:
            self._to_spool(body)
            return f"server unreachable ({exc}): {len(batch.samples)} samples spooled"
        except ShipError:
            self._to_spool(body)
            raise

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._client.post(self._endpoint, json=body, headers=self._headers)
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(f"HTTP {response.status_code}")
        return response

    def _deliver(self, body: dict[str, Any], attempts: int | None = None) -> str:
        retrying = Retrying(
            stop=stop_after_attempt(attempts or self._attempts),
            wait=wait_exponential(multiplier=0.5, max=self._wait_max_s),
            retry=retry_if_exception_type(_Retryable), sleep=self._sleep, reraise=True)
        response = retrying(self._post, body)
        if response.status_code == 401:
            raise ShipError(f"the server refused the token: {_detail(response)}")
        if response.status_code == 413 and len(body["samples"]) > 1:
            half = len(body["samples"]) // 2
            first = dict(body, samples=body["samples"][:half])
            second = dict(body, samples=body["samples"][half:], jobs=[], rejected=[])
            return self._deliver(first, attempts) + "; " + self._deliver(second, attempts)
        if response.status_code in (200, 422):
            result = response.json()
            return (f"sent {len(body['samples'])} samples: {result['accepted']} stored, "
                    f"{result['duplicates']} already stored, {len(result['rejected'])} rejected")
        # 400 and other 4xx: the server will never take this body; keeping it would block.
        log.error("server rejected a batch with HTTP %s: %s", response.status_code,
                  _detail(response))
        return f"batch dropped: HTTP {response.status_code} {_detail(response)}"

    def spooled(self) -> int:
        """Batches waiting in the spool file."""
        if self._spool is None or not self._spool.exists():
            return 0
        with self._spool.open("rb") as f:
            return sum(1 for line in f if line.strip())

    def _to_spool(self, body: dict[str, Any]) -> None:
        if self._spool is None:
            raise ShipError("the server is unreachable and no spool file is configured")
        self._spool.parent.mkdir(parents=True, exist_ok=True)
        with self._spool.open("a", encoding="utf-8") as f:
            f.write(json.dumps(body, separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def flush_spool(self) -> bool:
        """Deliver spooled batches in order; True when the spool is empty afterwards."""
        if self._spool is None or not self._spool.exists():
            return True
        lines = [x for x in self._spool.read_text(encoding="utf-8").splitlines() if x.strip()]
        done = 0
        try:
            for line in lines:
                try:
                    body = json.loads(line)
                except json.JSONDecodeError:
                    log.error("dropping a corrupt spool line (%d bytes)", len(line))
                    done += 1
                    continue
                self._deliver(body, attempts=2)
                done += 1
        except _Retryable as exc:
            log.warning("spool flush stopped, server unreachable: %s", exc)
        finally:
            self._rewrite_spool(lines[done:])
        return done == len(lines)

    def _rewrite_spool(self, remaining: list[str]) -> None:
        assert self._spool is not None
        if not remaining:
            self._spool.unlink(missing_ok=True)
            return
        tmp = self._spool.with_suffix(self._spool.suffix + ".tmp")
        tmp.write_text("".join(line + "\n" for line in remaining), encoding="utf-8")
        os.replace(tmp, self._spool)

    def close(self) -> None:
        self._client.close()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]
