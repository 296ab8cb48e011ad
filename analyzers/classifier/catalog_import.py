"""Rows of a model list exported from a model hub, read into catalog models with reasons.

Accepted: CSV (a header row), a JSON array of objects (or {"models": [...]}), or JSON Lines.
Columns or keys, any of:
- id: `model_id`, `id`, `modelId`, `model`, `name`
- size: `params_b` (billions), or a count of parameters: `safetensors.total` (nested, as the
  Hub's API gives it with expand=safetensors), `safetensors_total`, `total_parameters`,
  `num_parameters`, `parameters`, `params`; a string such as `7B`, `350M` is read too
- tasks: `tasks` (`;`, `,` or `|` between them), `pipeline_tag`, `task`: the contract's task
  names or a hub's pipeline tags (`text-classification`, `automatic-speech-recognition`)
- family (optional): else the id's first word (`Qwen/Qwen3-8B`: qwen)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzers.classifier.catalog import CatalogModel
from analyzers.classifier.tasks import task_name

_ID_KEYS = ("model_id", "id", "modelId", "model", "name")
_BILLION_KEYS = ("params_b", "parameters_b", "size_b")
_COUNT_KEYS = ("safetensors.total", "safetensors_total", "total_parameters", "num_parameters",
               "parameters", "params", "param_count")
_TASK_KEYS = ("tasks", "pipeline_tag", "task", "pipeline")
_ID = re.compile(r"[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?")
_WRITTEN = re.compile(r"(?i)\s*([0-9]+(?:\.[0-9]+)?)\s*([kmbt]?)\s*")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
MAX_PARAMS_B = 5000.0


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was not imported: its number (1 = first data row) and why."""

    row: int
    reason: str


def _flat(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def rows(text: str) -> Iterator[dict[str, Any]]:
    """The rows of a CSV, JSON or JSON Lines text, nested keys joined by dots."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = json.loads(stripped)
        yield from (_flat(r) if isinstance(r, dict) else {"": r} for r in data)
    elif stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:  # JSON Lines
            for line in stripped.splitlines():
                if line.strip():
                    item = json.loads(line)
                    yield _flat(item) if isinstance(item, dict) else {"": item}
            return
        items = data.get("models", [data]) if isinstance(data, dict) else data
        yield from (_flat(r) if isinstance(r, dict) else {"": r} for r in items)
    else:
        yield from csv.DictReader(io.StringIO(text))


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {k.lower(): v for k, v in row.items() if k}
    for key in keys:
        value = lowered.get(key.lower())
        if value not in (None, ""):
            return value
    return None


def _number(value: Any, *, billions: bool) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
        return number if billions else (number if number < 1e4 else number / 1e9)
    found = _WRITTEN.fullmatch(str(value).replace(",", "").replace("_", ""))
    if found is None:
        raise ValueError(f"{value!r} is not a number")
    number, unit = float(found.group(1)), found.group(2).lower()
    if unit:
        return number * _SCALE[unit] / 1e9
    return number if billions or number < 1e4 else number / 1e9


def _safetensors_sum(row: dict[str, Any]) -> float | None:
    counts = [v for k, v in row.items() if k.startswith("safetensors.parameters.")
              and isinstance(v, int | float) and not isinstance(v, bool)]
    return float(sum(counts)) / 1e9 if counts else None


def to_model(row: dict[str, Any]) -> CatalogModel:
    """A catalog model from one row; ValueError saying what is wrong."""
    model_id = _first(row, _ID_KEYS)
    if not isinstance(model_id, str) or not _ID.fullmatch(model_id.strip()):
        raise ValueError(f"no model id (or not one: {model_id!r})")
    model_id = model_id.strip()
    raw = _first(row, _BILLION_KEYS)
    if raw is not None:
        params_b = _number(raw, billions=True)
    else:
        raw = _first(row, _COUNT_KEYS)
        params_b = _number(raw, billions=False) if raw is not None else \
            _safetensors_sum(row) or 0.0
        if raw is None and not params_b:
            raise ValueError("no parameter count (params_b or safetensors total)")
    if not 0.0 < params_b <= MAX_PARAMS_B:
        raise ValueError(f"parameter count {params_b:g} B is out of range")
    declared = _first(row, _TASK_KEYS)
    if declared is None:
        raise ValueError("no task (tasks or pipeline_tag)")
    words = declared if isinstance(declared, list) else re.split(r"[;,|]", str(declared))
    tasks: list[str] = []
    for word in (str(w).strip() for w in words):
        if not word:
            continue
        found = task_name(word)
        if found is None:
            raise ValueError(f"unknown task {word!r}")
        if found not in tasks:
            tasks.append(found)
    if not tasks:
        raise ValueError("no task (tasks or pipeline_tag)")
    family = _first(row, ("family",))
    if not isinstance(family, str) or not family.strip():
        short = model_id.split("/")[-1].lower()
        family = (re.match(r"[a-z]+", short) or re.match(r".", short) or [short])[0]
    return CatalogModel(model_id, round(params_b, 6), family.strip().lower(), tuple(tasks))


def read_models(text: str) -> tuple[list[CatalogModel], list[Rejected]]:
    """Models of a hub export, and the rows rejected with their reasons."""
    models: list[CatalogModel] = []
    rejected: list[Rejected] = []
    for number, row in enumerate(rows(text), start=1):
        try:
            models.append(to_model(row))
        except ValueError as exc:
            rejected.append(Rejected(number, str(exc)))
    return models, rejected


def merge(existing: tuple[CatalogModel, ...], new: list[CatalogModel]
          ) -> tuple[list[CatalogModel], int, int]:
    """`existing` with `new` merged by id (any case): (models, added, updated)."""
    by_id = {m.model_id.lower(): m for m in existing}
    added = updated = 0
    for m in new:
        if m.model_id.lower() in by_id:
            updated += by_id[m.model_id.lower()] != m
        else:
            added += 1
        by_id[m.model_id.lower()] = m
    return list(by_id.values()), added, updated
