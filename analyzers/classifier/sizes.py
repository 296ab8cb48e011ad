"""Model sizes read exactly from a job's text: a catalog model it names, or a size it writes.

The learned size head guesses sizes of names it has never seen; when a job names a model of the
shipped catalog (analyzers/data/model_catalog.csv) or writes its size out ("7b", "8x22b",
"350m"), there is nothing to guess. The judge uses these readings first and the head otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from analyzers.classifier.catalog import load_catalog
from analyzers.records import JobRecord

# Runs of letters and digits; a dot between digits stays ("1.3b" is not "13b").
_PIECES = re.compile(r"[a-z0-9]+(?:\.[0-9][a-z0-9]*)*")
# "7b", "1.5B", "350m", "8x22b": a number and a unit standing apart from other letters/digits.
# Billions take at most two integer digits: "-3867b" or "_123b" is an id's hex suffix (pods,
# Ray submissions), and the rare model of 100B or more is in the catalog.
_SIZE = re.compile(r"(?<![a-z0-9.])(?:(\d{1,2})x)?(?:(\d{1,2}(?:\.\d+)?)b|(\d{1,3}(?:\.\d+)?)m)"
                   r"(?![a-z0-9])")
_MAX_PIECES = 12


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """Catalog names as runs of lower-case alphanumeric pieces, joined, to (min, max) sizes."""

    sizes: dict[str, tuple[float, float]]
    starts: frozenset[str]
    longest: int


def _forms(model_id: str, short: str, stem: str, family: str, size: str | None) -> list[str]:
    """How a job may write a catalog model: hub id, short id, stem, `family7b`, `name:7b`."""
    forms = [model_id, short, stem]
    if size:
        bare = stem.replace(size, "").strip("-_.").replace("-", "")
        forms += [f"{family}{size}", f"{bare}:{size}"]
    return forms


@lru_cache(maxsize=1)
def catalog_index() -> CatalogIndex:
    """The index of every catalog model's written forms (ambiguous forms keep both ends)."""
    sizes: dict[str, tuple[float, float]] = {}
    starts: set[str] = set()
    longest = 1
    for m in load_catalog():
        family = m.stem.split("-")[0]
        for form in _forms(m.model_id, m.short, m.stem, family, m.size_token):
            pieces = _PIECES.findall(form.lower())
            if not pieces or len(pieces) > _MAX_PIECES:
                continue
            key = "".join(pieces)
            if len(key) < 4 or (len(pieces) == 1 and not any(c.isdigit() for c in key)):
                continue  # a bare word ("bloom") names a family or a thing, not one model
            lo, hi = sizes.get(key, (m.params_b, m.params_b))
            sizes[key] = (min(lo, m.params_b), max(hi, m.params_b))
            starts.add(pieces[0])
            longest = max(longest, len(pieces))
    return CatalogIndex(sizes, frozenset(starts), longest)


def catalog_size(text: str, index: CatalogIndex | None = None) -> tuple[float, float] | None:
    """(min, max) billions of parameters of the catalog models `text` names, or None.

    Leftmost-longest match over runs of pieces, so `llama-3.2-11b-vision` is not `llama-3.2-1b`
    and `/mnt/ckpt/gemma-2b-ft/step_500` is `gemma-2b`.
    """
    index = index or catalog_index()
    pieces = _PIECES.findall(text.lower())
    starts, sizes = index.starts, index.sizes
    found: tuple[float, float] | None = None
    end = 0  # pieces before `end` belong to a name already found
    for i in [i for i, piece in enumerate(pieces) if piece in starts]:
        if i < end:
            continue
        for width in range(min(index.longest, len(pieces) - i), 0, -1):
            hit = sizes.get("".join(pieces[i:i + width]))
            if hit is not None:
                found = hit if found is None else (max(found[0], hit[0]), max(found[1], hit[1]))
                end = i + width
                break
    return found


def written_size(text: str) -> float | None:
    """The largest model size written out in `text`, billions of parameters, or None."""
    best = None
    for experts, billions, millions in _SIZE.findall(text.lower()):
        size = float(billions) if billions else float(millions) / 1000.0
        size *= int(experts) if experts else 1
        best = size if best is None else max(best, size)
    return best


def read_size(text: str) -> tuple[float, float] | None:
    """(min, max) size of the job's model read exactly: catalog first, then a written size."""
    found = catalog_size(text)
    if found is not None:
        return found
    written = written_size(text)
    return None if written is None else (written, written)


def exact_sizes(records: Sequence[JobRecord]) -> np.ndarray:
    """(N x 2) min and max size read exactly from each job's text fields; NaN where none."""
    out = np.full((len(records), 2), np.nan)
    seen: dict[str, tuple[float, float] | None] = {}
    for i, record in enumerate(records):
        text = record.text
        if text in seen:
            found = seen[text]
        else:
            found = seen[text] = read_size(text)
        if found is not None:
            out[i] = found
    return out
