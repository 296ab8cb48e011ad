"""The ledger's rules as pure functions: bounded savings, realized savings once per workload."""

from __future__ import annotations

import pytest

from analyzers.ledger import bound, realized_savings
from domain.types import Cost, Suggestion
from tests.clock import WEEK, weeks_before

BEFORE, EARLIER = weeks_before(WEEK, 1), weeks_before(WEEK, 2)


def _cost(usd: float, kwh: float = 10.0) -> Cost:
    return Cost(gpu_hours=usd / 4, energy_j=kwh * 3.6e6, gpu_cost_usd=usd - 1.0,
                energy_cost_usd=1.0, co2e_kg=kwh * 0.4)


def test_a_suggestion_never_saves_more_than_its_run_cost_used_or_held() -> None:
    run = _cost(117.0)
    big = Suggestion(kind="release", title="Release the 8 GPUs", change={},
                     saved_energy_j_week=1e12, saved_cost_usd_week=4820.0,
                     saved_co2e_kg_week=900.0, confidence=0.8, saved_gpu_hours_week=1e4)
    bounded = bound(big, run)
    assert bounded.saved_cost_usd_week == run.cost_usd == 117.0
    assert bounded.saved_energy_j_week == run.energy_j
    assert bounded.saved_co2e_kg_week == run.co2e_kg
    assert bounded.saved_gpu_hours_week == run.gpu_hours


def test_realized_savings_once_per_workload_against_the_first_week_and_never_more() -> None:
    serve = "fra/nlp/serve-intent"
    applied = [  # the swap, and its re-offer a week later applied again
        (serve, 1, "model_swap", "Serve it with distilbert", EARLIER, 100.0, 3.6e7),
        (serve, 2, "model_swap", "Serve it with distilbert", BEFORE, 80.0, 3.0e7),
        ("fra/vision/detect", 3, "release", "Release it", BEFORE, 50.0, 1e6),
        ("fra/nlp/later", 4, "fewer_gpus", "Run on 1 GPU", WEEK, 10.0, 1e6),  # this week
    ]
    baseline = {(serve, EARLIER): _cost(200.0), (serve, BEFORE): _cost(150.0),
                ("fra/vision/detect", BEFORE): _cost(60.0)}
    now = {serve: _cost(160.0), "fra/nlp/later": _cost(5.0)}
    found = {r.workload: r for r in realized_savings(week=WEEK, applied=applied,
                                                     baseline=baseline, now=now)}
    assert set(found) == {serve, "fra/vision/detect"}
    one = found[serve]
    assert one.suggestion_ids == [1, 2] and one.applied_week == EARLIER
    assert one.saved_cost_usd_week == pytest.approx(40.0)  # 200 then, 160 now: once
    assert one.estimated_cost_usd_week == 100.0
    assert one.estimate_off  # 40 measured against 100 estimated: off by more than half
    gone = found["fra/vision/detect"]
    assert not gone.seen and gone.saved_cost_usd_week == 0.0  # did not run: saves nothing


def test_a_saving_never_exceeds_the_workloads_cost_and_close_estimates_are_not_flagged() -> None:
    serve = "fra/nlp/serve"
    applied = [(serve, 1, "model_swap", "Swap", BEFORE, 90.0, 1e6)]
    [saving] = realized_savings(week=WEEK, applied=applied,
                                baseline={(serve, BEFORE): _cost(100.0)},
                                now={serve: _cost(0.0, kwh=0.0)})
    assert saving.saved_cost_usd_week == pytest.approx(100.0)
    assert saving.saved_cost_usd_week <= saving.baseline_cost_usd_week
    assert not saving.estimate_off
