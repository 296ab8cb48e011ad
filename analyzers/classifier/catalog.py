"""The catalog of public models the classifier learns from (analyzers/data/model_catalog.csv)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from analyzers.records import TASKS

_SIZE_TOKEN = re.compile(r"(?<![a-z0-9.])(\d+x)?\d+(?:\.\d+)?[bm](?![a-z])", re.IGNORECASE)
_SUFFIXES = re.compile(
    r"[-_](instruct|chat|hf|it|dpo|v\d+(\.\d+)?|\d{4}|ov|pt|diffusers)$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class CatalogModel:
    """One public model: its hub id, size in billions of parameters, family and tasks."""

    model_id: str
    params_b: float
    family: str
    tasks: tuple[str, ...]

    @property
    def short(self) -> str:
        """The id without its organisation: `Qwen2.5-72B-Instruct`."""
        return self.model_id.split("/", 1)[-1]

    @property
    def stem(self) -> str:
        """Lower-case short id without chat/instruct/version suffixes: `qwen2.5-72b`."""
        stem = self.short.lower()
        while True:
            trimmed = _SUFFIXES.sub("", stem)
            if trimmed == stem or not trimmed:
                return stem
            stem = trimmed

    @property
    def size_token(self) -> str | None:
        """The size as the id writes it (`72b`, `8x22b`, `350m`), if it does."""
        found = _SIZE_TOKEN.search(self.short)
        return found.group(0).lower() if found else None

    @property
    def generalist(self) -> bool:
        """Whether it is a general-purpose generative model people point at any task."""
        return "text_generation" in self.tasks


@lru_cache(maxsize=1)
def load_catalog() -> tuple[CatalogModel, ...]:
    """All catalog models, in file order."""
    text = resources.files("analyzers").joinpath("data/model_catalog.csv").read_text()
    models = []
    for row in csv.DictReader(io.StringIO(text)):
        tasks = tuple(t for t in row["tasks"].split(";") if t)
        unknown = [t for t in tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"catalog row {row['model_id']}: unknown tasks {unknown}")
        models.append(CatalogModel(row["model_id"], float(row["params_b"]), row["family"], tasks))
    return tuple(models)


def families() -> tuple[str, ...]:
    """Distinct model families, sorted."""
    return tuple(sorted({m.family for m in load_catalog()}))
