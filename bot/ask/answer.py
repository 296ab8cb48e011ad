"""An answer to a question: short text, its numbers, where they come from, the next command."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

Number = float | int | str


@dataclass(frozen=True, slots=True)
class Source:
    """Where an answer's numbers come from: whose data, which days, which tables."""

    subject: str
    period: str
    tables: tuple[str, ...] = ()
    note: str | None = None

    def describe(self) -> str:
        parts = [self.subject, self.period]
        if self.tables:
            parts.append("from " + ", ".join(self.tables))
        if self.note:
            parts.append(self.note)
        return " · ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Answer:
    """What `ask` replies. `how`: parser, model, help, refused or error.

    `command`: the matching `/ai-cost` words (team vision, top 5, rating, budget, job ID);
    `cli_command`: the same in the terminal (report --team vision --week 2026-W47).
    """

    text: str
    numbers: dict[str, Number] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    command: str | None = None
    cli_command: str | None = None
    how: str = "parser"
    rows: tuple[dict[str, Any], ...] = ()
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = [asdict(s) for s in self.sources]
        data["rows"] = list(self.rows)
        return data


def normalize(question: str) -> str:
    """The question as the cache sees it: lower case, single spaces, no end punctuation."""
    return " ".join(question.lower().split()).rstrip("?!. ")


class AnswerCache:
    """Answers kept per (question, viewer, data version) for `ttl_s` seconds; thread-safe."""

    def __init__(self, *, max_entries: int = 512,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[tuple[str, ...], tuple[float, Answer]] = {}
        self._lock = threading.Lock()
        self._max = max_entries
        self._clock = clock

    def get(self, key: tuple[str, ...], ttl_s: float) -> Answer | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            stored_at, answer = hit
            if self._clock() - stored_at > ttl_s:
                del self._entries[key]
                return None
            return replace(answer, cached=True)

    def put(self, key: tuple[str, ...], answer: Answer) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                oldest = min(self._entries, key=lambda k: self._entries[k][0])
                del self._entries[oldest]
            self._entries[key] = (self._clock(), answer)

    def __len__(self) -> int:
        return len(self._entries)
