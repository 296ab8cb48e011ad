"""The catalog of public models: the shipped one and the user's.

The shipped one (analyzers/data/model_catalog.csv) is what the classifier learns from; the
user's, which `ai-cost catalog import` refreshes, the judges read at once (no retraining):
`known_models()` is both, the user's rows winning.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

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
        return _size_token(self.model_id)

    @property
    def runner_alias(self) -> bool:
        """Whether the row is a model runner's short name (`ollama/llama3.3`: its default tag).

        Such a name is read only as a whole word or before a `:tag`, never inside another
        model's name (`llama-3.1-nemoguard-8b` is not `llama3.1`).
        """
        return self.model_id.startswith("ollama/")

    @property
    def generalist(self) -> bool:
        """Whether it is a general-purpose generative model people point at any task."""
        return "text_generation" in self.tasks


@cache  # asked of the same rows for every job that names them
def _size_token(model_id: str) -> str | None:
    found = _SIZE_TOKEN.search(model_id.split("/", 1)[-1])
    return found.group(0).lower() if found else None


COLUMNS = ("model_id", "params_b", "family", "tasks")
USER_CATALOG_FILE = "model_catalog.csv"


def parse_catalog(text: str) -> tuple[CatalogModel, ...]:
    """Models of a catalog CSV (columns model_id, params_b, family, tasks), in file order."""
    models = []
    for row in csv.DictReader(io.StringIO(text)):
        tasks = tuple(t for t in row["tasks"].split(";") if t)
        unknown = [t for t in tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"catalog row {row['model_id']}: unknown tasks {unknown}")
        models.append(CatalogModel(row["model_id"], float(row["params_b"]), row["family"], tasks))
    return tuple(models)


@lru_cache(maxsize=1)
def load_catalog() -> tuple[CatalogModel, ...]:
    """The shipped catalog's models, in file order (what the classifier is trained from)."""
    return parse_catalog(
        resources.files("analyzers").joinpath("data/model_catalog.csv").read_text())


def user_catalog_path() -> Path:
    """The user's catalog: AI_COST_CATALOG_DIR, else the folder of the SQLite database.

    With a PostgreSQL database and no AI_COST_CATALOG_DIR, the current folder.
    """
    key = (os.environ.get("AI_COST_CATALOG_DIR"), os.environ.get("AI_COST_DATABASE_URL"),
           os.getcwd())  # a relative folder is the current one's
    found = _USER_PATHS.get(key)
    if found is None:  # asked once per job by the suggestions: remembered per setting
        folder = key[0]
        if not folder:
            url = key[1] or "sqlite:///ai-cost.db"
            path = url.split(":///", 1)[1] if url.startswith("sqlite:///") else ""
            folder = str(Path(path).parent) if path and path != ":memory:" else "."
        found = _USER_PATHS[key] = Path(folder) / USER_CATALOG_FILE
    return found


_USER_PATHS: dict[tuple[str | None, str | None, str], Path] = {}


@lru_cache(maxsize=4)
def _user_models(path: Path, mtime_ns: int) -> tuple[CatalogModel, ...]:
    return parse_catalog(path.read_text(encoding="utf-8"))


def user_catalog(path: Path | None = None) -> tuple[CatalogModel, ...]:
    """The user's imported models (none when the file does not exist); re-read when it changes."""
    path = path or user_catalog_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return ()
    return _user_models(path, mtime)


def known_models() -> tuple[CatalogModel, ...]:
    """Shipped and user models; a user row replaces the shipped row of the same id."""
    user = user_catalog()
    if not user:
        return load_catalog()
    ids = {m.model_id.lower() for m in user}
    return (*(m for m in load_catalog() if m.model_id.lower() not in ids), *user)


def write_catalog(path: Path, models: tuple[CatalogModel, ...] | list[CatalogModel]) -> None:
    """Write `models` as a catalog CSV (the shipped file's columns), replacing `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in models:
        writer.writerow((m.model_id, f"{m.params_b:.6g}", m.family, ";".join(m.tasks)))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)


def families() -> tuple[str, ...]:
    """Distinct model families, sorted."""
    return tuple(sorted({m.family for m in load_catalog()}))
