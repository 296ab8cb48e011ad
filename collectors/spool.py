"""The agent's spool: batches waiting for the server, in an append-only file with a size cap.

The spool is JSON Lines, one ingest body per line, appended and fsynced. What has been
delivered is marked by a byte offset in `<spool>.offset` (written atomically), so shipping
never rewrites the file; it is compacted only when the delivered head outweighs a quarter of
the cap (so the file holds at most 1.25 times the cap). At the cap the oldest batches are
dropped first and their samples counted. Batches the
server refuses for their content go to `<spool>.quarantine` with the reason, never blocking
the batches behind them. A crash between a delivery and its mark sends that batch again,
which the server counts once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


def _samples_in(line: bytes) -> int:
    try:
        body = json.loads(line)
        return len(body.get("samples", [])) if isinstance(body, dict) else 0
    except ValueError:
        return 0


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Spool:
    """Batches (ingest bodies) waiting for the server, oldest first: at most `max_bytes`.

    `on_drop(samples, reason)` hears of every sample given up: "spool_full" (dropped at the
    cap) or "quarantined" (set aside in the quarantine file).
    """

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 on_drop: Callable[[int, str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.offset_path = path.with_name(path.name + ".offset")
        self.quarantine_path = path.with_name(path.name + ".quarantine")
        self.max_bytes = max_bytes
        self._on_drop = on_drop
        self._clock = clock
        self.dropped_samples = 0
        self._offset = self._read_offset()

    def _read_offset(self) -> int:
        try:
            offset = int(self.offset_path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0
        size = self._size()
        if not 0 <= offset <= size:
            return 0  # a spool replaced under its mark: send it all again (counted once)
        if offset:
            with self.path.open("rb") as f:
                f.seek(offset - 1)
                if f.read(1) != b"\n":
                    return 0  # not on a line boundary: resend rather than skip
        return offset

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    @property
    def pending_bytes(self) -> int:
        """Bytes of batches not yet delivered."""
        return max(0, self._size() - self._offset)

    def __len__(self) -> int:
        """Batches not yet delivered (reads the file: for tests and status, not hot paths)."""
        if self.pending_bytes == 0:
            return 0
        with self.path.open("rb") as f:
            f.seek(self._offset)
            return sum(1 for line in f if line.strip())

    def append(self, body: dict[str, Any]) -> None:
        """Add a batch at the end, dropping the oldest ones first if it would pass the cap."""
        line = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        if len(line) > self.max_bytes:
            self._dropped(len(body.get("samples", [])), "spool_full")
            log.error("a batch of %d bytes is over the spool's cap of %d bytes: dropped",
                      len(line), self.max_bytes)
            return
        while self.pending_bytes + len(line) > self.max_bytes:
            self._drop_oldest()
        if self._offset and self._offset >= self.max_bytes // 4:
            self._compact()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def head(self) -> tuple[dict[str, Any], int] | None:
        """The oldest batch not yet delivered and where it ends; None when there is none.

        A line that is not a batch (a torn write) is skipped and marked as delivered.
        """
        while self.pending_bytes:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                line = f.readline()
            end = self._offset + len(line)
            try:
                body = json.loads(line)
                if isinstance(body, dict) and line.endswith(b"\n"):
                    return body, end
            except ValueError:
                pass
            log.error("skipping a corrupt spool line (%d bytes)", len(line))
            self.mark(end)
        return None

    def mark(self, end: int) -> None:
        """Everything before byte `end` is delivered (or set aside)."""
        self._offset = end
        if end >= self._size():
            # Mark first, then remove: a crash between the two resends, never skips.
            _write_atomically(self.offset_path, b"0")
            self.path.unlink(missing_ok=True)
            self.offset_path.unlink(missing_ok=True)
            self._offset = 0
            return
        _write_atomically(self.offset_path, str(end).encode())

    def quarantine(self, body: dict[str, Any], reason: str) -> None:
        """Set a batch the server will never take aside, with the reason, within the cap."""
        samples = len(body.get("samples", []))
        line = json.dumps({"at": self._clock(), "reason": reason, "body": body},
                          separators=(",", ":")).encode() + b"\n"
        try:
            size = self.quarantine_path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size + len(line) <= self.max_bytes:
            with self.quarantine_path.open("ab") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        log.error("batch of %d samples set aside in %s: %s", samples, self.quarantine_path,
                  reason)
        self._dropped(samples, "quarantined")

    def _drop_oldest(self) -> None:
        with self.path.open("rb") as f:
            f.seek(self._offset)
            line = f.readline()
        self._dropped(_samples_in(line), "spool_full")
        self.mark(self._offset + len(line))

    def _compact(self) -> None:
        """Rewrite the spool without its delivered head (streamed, never read whole)."""
        tmp = self.path.with_name(self.path.name + ".compact")
        with self.path.open("rb") as src, tmp.open("wb") as dst:
            src.seek(self._offset)
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        # Mark 0 first, then replace: a crash between the two resends, never skips.
        _write_atomically(self.offset_path, b"0")
        os.replace(tmp, self.path)
        self._offset = 0

    def _dropped(self, samples: int, reason: str) -> None:
        self.dropped_samples += samples
        if reason == "spool_full" and samples:
            log.warning("spool full (%d bytes): dropped the oldest batch, %d samples",
                        self.max_bytes, samples)
        if self._on_drop is not None:
            self._on_drop(samples, reason)
