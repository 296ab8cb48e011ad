"""Energy ratings: stars for models (AI Energy Score), labels A to G for jobs and teams.

Every threshold is documented in docs/ratings.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analyzers.accounting import J_PER_KWH
from analyzers.records import JobRecord, Verdict
from analyzers.suggestions import Suggestion
from config.organisation import UNASSIGNED

STAR_BINS = 5
LABELS = ("A", "B", "C", "D", "E", "F", "G")
# A job's label: the first whose bound its energy / right-sized energy stays under; else G.
LABEL_THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("A", 1.10), ("B", 1.25), ("C", 1.5), ("D", 2.0), ("E", 4.0), ("F", 10.0),
)
# A team is A only when this share of its cost went to A-labelled runs.
TEAM_A_MIN_SHARE = 0.9
# Kinds that each replace the job's resources: the best one counts, they do not add up.
RESOURCE_KINDS = frozenset({"model_swap", "fewer_gpus", "smaller_gpu", "release"})


def stars(energies: Sequence[float]) -> list[int]:
    """AI Energy Score stars: five equal-width bins from the least to the most energy; 5 best."""
    if not energies:
        return []
    lo, hi = min(energies), max(energies)
    return [_star(e, lo, hi) for e in energies]


def _star(energy: float, lo: float, hi: float) -> int:
    if hi <= lo:
        return STAR_BINS if energy <= hi else 1
    width = (hi - lo) / STAR_BINS
    index = math.floor((energy - lo) / width + 1e-12) if energy > lo else 0
    return STAR_BINS - min(STAR_BINS - 1, index)


@dataclass(frozen=True, slots=True)
class ModelRow:
    """A model to rate: its task, size class (text generation) and kWh per 1,000 queries."""

    model: str
    task: str
    energy_kwh_per_1000: float
    size_class: str | None = None

    @property
    def group(self) -> tuple[str, str | None]:
        return (self.task, self.size_class)


def _refusal(row: ModelRow, classes: Mapping[str, set[str | None]], pool_name: str) -> str | None:
    """Why `row` cannot be rated: its task or (task, class) is not in the pool; else None."""
    if row.task not in classes:
        tasks = sorted(classes)
        near = [t for t in tasks if _spelling(t) == _spelling(row.task)]
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"task {row.task!r} is not in {pool_name} (its tasks: {', '.join(tasks)}){hint}"
    named = sorted(c for c in classes[row.task] if c)
    if row.size_class is None and named:
        return (f"no class: {row.task} is rated within a size class "
                f"({', '.join(named)} in {pool_name})")
    if row.size_class is not None and row.size_class not in named:
        where = f"its classes: {', '.join(named)}" if named else f"{row.task} has no classes"
        return f"class {row.size_class!r} of {row.task} is not in {pool_name} ({where})"
    return None


def _spelling(task: str) -> str:
    return task.lower().replace("-", "_").replace(" ", "_")


def rate_models(rows: Sequence[ModelRow],
                reference: Sequence[ModelRow] | None = None) -> list[dict[str, Any]]:
    """Stars per row, against its task and class in `rows`, or in `reference` when given.

    One dict per row, in order. A row whose task or (task, class) is not in the pool it is
    rated against, or that has no class where the pool's rows of its task have one, is not
    rated: its `stars` is None and `refused` says why.
    """
    pool = reference if reference is not None else rows
    pool_name = "the input" if reference is None else "the reference"
    ranges: dict[tuple[str, str | None], tuple[float, float]] = {}
    classes: dict[str, set[str | None]] = {}
    for row in pool:
        lo, hi = ranges.get(row.group, (math.inf, -math.inf))
        ranges[row.group] = (min(lo, row.energy_kwh_per_1000), max(hi, row.energy_kwh_per_1000))
        classes.setdefault(row.task, set()).add(row.size_class)
    rated: list[dict[str, Any]] = []
    for row in rows:
        result: dict[str, Any] = {"model": row.model, "task": row.task, "class": row.size_class}
        reason = _refusal(row, classes, pool_name)
        if reason is None:
            lo, hi = ranges[row.group]
            result["stars"] = _star(row.energy_kwh_per_1000, lo, hi)
        else:
            result |= {"stars": None, "refused": reason}
        rated.append(result)
    return rated


def job_label(energy_kwh: float, right_sized_kwh: float) -> str:
    """A to G from energy / right-sized energy: A under 1.1, ..., G at 10 times or more."""
    if right_sized_kwh <= 0:
        return "A" if energy_kwh <= 0 else "G"
    return label_of_ratio(energy_kwh / right_sized_kwh)


def label_of_ratio(ratio: float) -> str:
    """A to G from what a run uses / what its right-sized version would use."""
    for label, bound in LABEL_THRESHOLDS:
        if ratio < bound:
            return label
    return "G"


def _kept_shares(suggestions: Iterable[Suggestion], total: float,
                 saved: Callable[[Suggestion], float]) -> float:
    """The share of `total` left after the suggestions.

    The best resource change counts, then the efficiency changes each by its own share.
    """
    if total <= 0:
        return 0.0
    resource, efficiency = 1.0, 1.0
    for suggestion in suggestions:
        per_run = saved(suggestion) / max(suggestion.runs_per_week, 1e-12)
        kept = 1.0 - min(1.0, max(0.0, per_run / total))
        if suggestion.kind in RESOURCE_KINDS:
            resource = min(resource, kept)
        else:
            efficiency *= kept
    return resource * efficiency


def right_sized_energy_kwh(record: JobRecord, verdict: Verdict,
                           suggestions: Iterable[Suggestion]) -> float:
    """Energy the job would have used over its measured stretch with its suggestions, kWh.

    Resource changes (swap, fewer GPUs, smaller GPU, release) are alternatives: the best one
    counts. Precision and batching act on what remains, each by its own share.
    """
    energy_kwh = record.energy_kwh_or_estimate()
    share = _kept_shares(suggestions, energy_kwh * J_PER_KWH, lambda s: s.saved_energy_j_week)
    return energy_kwh * share


def waste_ratio(*, energy_kwh: float, gpu_hours: float,
                suggestions: Sequence[Suggestion]) -> float:
    """How many times more than right-sized a run uses.

    The larger of its energy ratio and its GPU-hour ratio: an idle run draws little power
    but holds costly GPUs.
    """
    ratios = [1.0]
    for total, saved in ((energy_kwh * J_PER_KWH, lambda s: s.saved_energy_j_week),
                         (gpu_hours, lambda s: s.saved_gpu_hours_week)):
        if total <= 0:
            continue
        kept = _kept_shares(suggestions, total, saved)
        ratios.append(math.inf if kept <= 0 else 1.0 / kept)
    return max(ratios)


def team_score(jobs: Iterable[tuple[float, str]]) -> float | None:
    """Weighted mean of the runs' labels (A = 0 ... G = 6); None when nothing weighs.

    Each run weighs its cost (its energy where the caller weighs by energy).
    """
    total = weighted = 0.0
    for energy_kwh, label in jobs:
        total += energy_kwh
        weighted += energy_kwh * LABELS.index(label)
    return weighted / total if total > 0 else None


def team_label(jobs: Sequence[tuple[float, str]]) -> str | None:
    """A team's label: its runs' labels weighted by cost, A only with 90 % of it in A runs."""
    score = team_score(jobs)
    if score is None:
        return None
    index = min(len(LABELS) - 1, math.floor(score + 0.5))
    if index == 0:
        total = sum(e for e, _ in jobs)
        in_a = sum(e for e, label in jobs if label == "A")
        if in_a < TEAM_A_MIN_SHARE * total:
            index = 1
    return LABELS[index]


def label_change(previous: str | None, current: str | None) -> int | None:
    """Classes gained since last week (positive: better), None when a week has no label."""
    if previous is None or current is None:
        return None
    return LABELS.index(previous) - LABELS.index(current)


def rank_teams(scores: Mapping[str, float | None]) -> dict[str, int]:
    """Rank 1 for the team with the best (lowest) score; ties share a rank.

    Unrated teams and unassigned usage are never ranked: the one rank rule of every surface.
    """
    rated = sorted((s, t) for t, s in scores.items() if s is not None and t != UNASSIGNED)
    ranks: dict[str, int] = {}
    for position, (score, team) in enumerate(rated, start=1):
        same = [ranks[t] for s, t in rated[:position - 1] if s == score]
        ranks[team] = same[0] if same else position
    return ranks
