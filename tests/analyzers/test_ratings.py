"""Ratings: published stars reproduced, labels A to G at their bounds, team labels."""

from __future__ import annotations

import csv
from collections import defaultdict
from importlib import resources

import pytest

from analyzers.catalog import SCORE_TASKS
from analyzers.ratings import (
    LABEL_THRESHOLDS,
    ModelRow,
    job_label,
    label_change,
    rank_teams,
    rate_models,
    right_sized_energy_kwh,
    stars,
    team_label,
)
from analyzers.records import JobRecord, Verdict
from analyzers.suggestions import Suggestion


@pytest.mark.parametrize("task", SCORE_TASKS)
def test_the_star_rule_reproduces_the_published_ai_energy_score_table(task: str):
    path = resources.files("analyzers").joinpath(f"data/ai_energy_score/{task}.csv")
    groups: dict[str | None, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            groups[row.get("class")].append(row)
    for rows in groups.values():
        computed = stars([float(r["total_gpu_energy"]) for r in rows])
        assert computed == [int(r["energy_score"]) for r in rows]


def test_stars_bins_are_five_equal_widths_with_the_lowest_bin_five_stars():
    assert stars([0.0, 1.9, 2.0, 5.0, 7.99, 8.0, 10.0]) == [5, 5, 4, 3, 2, 1, 1]
    assert stars([3.0, 3.0]) == [5, 5]
    assert stars([]) == []


def test_rate_models_rates_within_task_and_class_or_against_a_reference():
    rows = [ModelRow("small", "text_generation", 0.002, "A"),
            ModelRow("big", "text_generation", 0.03, "A"),
            ModelRow("huge", "text_generation", 1.7, "C")]
    assert [r["stars"] for r in rate_models(rows)] == [5, 1, 5]
    reference = [ModelRow("ref-lo", "text_generation", 0.001, "A"),
                 ModelRow("ref-hi", "text_generation", 0.101, "A")]
    rated = rate_models(rows[:2], reference)
    assert rated == [{"model": "small", "task": "text_generation", "class": "A", "stars": 5},
                     {"model": "big", "task": "text_generation", "class": "A", "stars": 4}]


@pytest.mark.parametrize(("ratio", "label"), [
    (1.0, "A"), (1.0999, "A"), (1.1, "B"), (1.2499, "B"), (1.25, "C"), (1.5, "D"),
    (1.9999, "D"), (2.0, "E"), (4.0, "F"), (9.999, "F"), (10.0, "G"), (90.0, "G"),
])
def test_job_labels_change_at_their_bounds(ratio: float, label: str):
    assert job_label(ratio * 2.0, 2.0) == label


def test_label_thresholds_are_increasing_and_g_starts_at_ten_times():
    bounds = [b for _, b in LABEL_THRESHOLDS]
    assert bounds == sorted(bounds) and bounds[-1] == 10.0
    assert job_label(0.0, 0.0) == "A"
    assert job_label(5.0, 0.0) == "G"  # all of it could be saved


def test_a_team_is_a_only_when_nine_tenths_of_its_energy_is_in_a_jobs():
    assert team_label([(100.0, "A"), (5.0, "B")]) == "A"
    assert team_label([(89.0, "A"), (11.0, "B")]) == "B"
    assert team_label([(85.0, "A"), (15.0, "G")]) == "B"  # 0.9 rounds to B
    assert team_label([(10.0, "A"), (90.0, "G")]) == "F"  # energy-weighted, not job count
    assert team_label([]) is None


def test_label_change_and_rank_among_teams():
    assert label_change("D", "B") == 2
    assert label_change("B", "C") == -1
    assert label_change(None, "A") is None
    assert rank_teams({"nlp": 1.2, "vision": 0.3, "speech": 1.2, "new": None}) == {
        "vision": 1, "nlp": 2, "speech": 2}


def _suggestion(kind: str, saved_kwh: float, runs: float = 1.0) -> Suggestion:
    return Suggestion(kind=kind, title="", change={}, saved_energy_j_week=saved_kwh * 3.6e6 * runs,
                      saved_cost_usd_week=1.0, saved_co2e_kg_week=0.0, confidence=0.5,
                      runs_per_week=runs)


def test_right_sized_energy_takes_the_best_resource_change_then_efficiency_shares():
    record = JobRecord(job_id="j", gpu_type="H100", gpus=8, duration_s=3600, gpu_util_mean=5,
                       gpu_util_max=9, gpu_mem_used_gib_max=1, gpu_mem_total_gib=80,
                       energy_kwh=10.0)
    verdict = Verdict(job_id="j", task="other", oversized=True, score=1.0,
                      reasons=["overprovisioned", "precision"])
    found = [_suggestion("fewer_gpus", 6.0, runs=7.0), _suggestion("smaller_gpu", 8.0),
             _suggestion("precision", 4.0)]
    # best resource change keeps 20 %, bf16 keeps 60 % of that: 10 x 0.2 x 0.6 = 1.2 kWh.
    right = right_sized_energy_kwh(record, verdict, found)
    assert right == pytest.approx(1.2)
    assert job_label(10.0, right) == "F"
    assert right_sized_energy_kwh(record, verdict, []) == 10.0


def test_rate_models_refuses_what_the_reference_cannot_rate_and_rates_the_rest():
    reference = [ModelRow("lo", "text_generation", 0.001, "A"),
                 ModelRow("hi", "text_generation", 0.101, "A"),
                 ModelRow("c", "text_generation", 1.0, "C"),
                 ModelRow("w", "asr", 0.01)]
    rows = [ModelRow("dashed", "text-generation", 0.05, "A"),
            ModelRow("classless", "text_generation", 0.05),
            ModelRow("class-b", "text_generation", 0.05, "B"),
            ModelRow("asr-a", "asr", 0.01, "A"),
            ModelRow("fine", "text_generation", 0.05, "A"),
            ModelRow("huge", "text_generation", 99.0, "C")]
    rated = rate_models(rows, reference)
    assert [r["stars"] for r in rated] == [None, None, None, None, 3, 1]
    reasons = [r.get("refused", "") for r in rated]
    assert "did you mean 'text_generation'?" in reasons[0]
    assert reasons[1].startswith("no class: text_generation is rated within a size class (A, C")
    assert reasons[2].startswith("class 'B' of text_generation is not in the reference")
    assert reasons[3] == "class 'A' of asr is not in the reference (asr has no classes)"
    assert "refused" not in rated[4]
