"""Benchmarks: `make bench` runs every bench/bench_*.py and writes bench/results.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class Result:
    """One figure: its name (area.metric), value and unit, with a note on how it was measured."""

    name: str
    value: float
    unit: str
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)
