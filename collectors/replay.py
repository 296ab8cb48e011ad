"""GPU traces: record what a reader saw (JSON Lines) and replay it as a `GpuReader`.

Trace format, one JSON object per line:
  line 1, the header: {"format": "ai-cost-gpu-trace", "version": 1, "node": "...",
                       "synthetic": false, "note": "..."}
  then one line per read: {"ts": <Unix s>, "gpus": [<GpuReading.to_json()>, ...]}
Processes in a trace carry the job they were mapped to on the recording node, so a replay
attributes usage without that node's /proc.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from collectors.gpu import GpuReaderError, GpuReading

FORMAT = "ai-cost-gpu-trace"
VERSION = 1


class TraceRecorder:
    """Appends each read of a reader to a trace file."""

    def __init__(self, path: Path, *, node: str, note: str = "") -> None:
        self.path = path
        new = not path.exists() or path.stat().st_size == 0
        self._file: IO[str] = path.open("a", encoding="utf-8")
        if new:
            self._write({"format": FORMAT, "version": VERSION, "node": node,
                         "synthetic": False, "note": note})

    def _write(self, obj: dict[str, Any]) -> None:
        self._file.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._file.flush()

    def record(self, readings: list[GpuReading]) -> None:
        """Append one read (the readings of every GPU at one time)."""
        if readings:
            self._write({"ts": readings[0].ts, "gpus": [r.to_json() for r in readings]})

    def close(self) -> None:
        self._file.close()


def read_trace(path: Path) -> tuple[dict[str, Any], list[list[GpuReading]]]:
    """The header and the reads of a trace file; GpuReaderError saying where it is broken."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GpuReaderError(f"cannot read trace {path}: {exc}") from exc
    if not lines:
        raise GpuReaderError(f"trace {path} is empty")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise GpuReaderError(f"{path}:1: the header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise GpuReaderError(f"{path}:1: not an ai-cost GPU trace (no format {FORMAT!r})")
    ticks = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            ticks.append([GpuReading.from_json(g) for g in json.loads(line)["gpus"]])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise GpuReaderError(f"{path}:{number}: bad trace line: {exc!r}") from exc
    if not ticks:
        raise GpuReaderError(f"trace {path} holds no readings")
    return header, ticks


class ReplayReader:
    """A `GpuReader` that plays a recorded trace back, one read per call.

    With `rebase`, timestamps are moved to the clock's time (keeping their spacing within a
    read) so that replayed samples look current; with `loop`, the trace starts over at its end,
    energy counters continuing upwards.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time,
                 rebase: bool = True, loop: bool = True) -> None:
        self.header, self._ticks = read_trace(path)
        self._clock = clock
        self._rebase = rebase
        self._loop = loop
        self._next = 0
        self._laps = 0
        first = {r.uuid: r.energy_j for r in self._ticks[0]}
        last = {r.uuid: r.energy_j for r in self._ticks[-1]}
        self._lap_energy = {u: (last.get(u) or 0.0) - (first.get(u) or 0.0) for u in first}

    @property
    def synthetic(self) -> bool:
        return bool(self.header.get("synthetic"))

    @property
    def node(self) -> str | None:
        return self.header.get("node")

    def read(self) -> list[GpuReading]:
        """The next read of the trace; [] once it is over (without `loop`)."""
        if self._next >= len(self._ticks):
            if not self._loop:
                return []
            self._next = 0
            self._laps += 1
        tick = self._ticks[self._next]
        self._next += 1
        shift = self._clock() - tick[0].ts if self._rebase else 0.0
        out = []
        for r in tick:
            energy = r.energy_j
            if energy is not None and self._laps:
                energy += self._laps * max(self._lap_energy.get(r.uuid, 0.0), 0.0)
            out.append(GpuReading(
                ts=r.ts + shift, uuid=r.uuid, name=r.name, util_pct=r.util_pct,
                mem_used_mib=r.mem_used_mib, mem_total_mib=r.mem_total_mib, power_w=r.power_w,
                energy_j=energy, energy_estimated=r.energy_estimated, index=r.index,
                processes=r.processes))
        return out

    def close(self) -> None:
        """Nothing to release: the trace is read whole at start."""
