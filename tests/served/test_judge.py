"""The served judge on its own: restarts, stars on the published scale, trend and deploys,
and the measured saving of an applied model swap."""

from __future__ import annotations

import pytest

from analyzers.catalog import score_table
from analyzers.served import (
    BENCHMARK_NOTE,
    CounterPoint,
    ServedWeek,
    Swap,
    increments,
    judge_served,
    rate,
)
from domain.types import RunWeek
from tests.clock import WEEK, WEEK_START, weeks_before

START = WEEK_START.timestamp()
END = START + 7 * 86400


def run(job_id: int, energy_j: float, *, image: str = "vllm:v1", key: str = "r1") -> RunWeek:
    return RunWeek(job_id=job_id, external_id=f"nlp-prod/Deployment/chat{job_id}",
                   cluster="frankfurt-k8s", team="nlp", user=None, name="chat", command="",
                   image=image, model=None, task=None, kind="inference", precision=None,
                   batch_size=None, recurrence=None, gpu_type="NVIDIA L4", gpus=1,
                   mem_total_mib=23034, energy_j=energy_j, run_key=key)


def points(counts: list[float], job_id: int = 1, model: str = "org/model-7b",
           task: str | None = "text_classification") -> list[CounterPoint]:
    return [CounterPoint(cluster="frankfurt-k8s", service="chat", instance="p|m",
                         ts=START + 60 + i * 60, server="triton", requests=c, model=model,
                         task=task, job_ids=frozenset({job_id})) for i, c in enumerate(counts)]


def judge(counts: list[float], energy_j: float, **kw) -> ServedWeek:  # type: ignore[no-untyped-def]
    [week] = judge_served(week=WEEK, points=points(counts), runs=[run(1, energy_j, **kw)],
                          energy_by_job={}, tasks={}, start_ts=START, end_ts=END, history={})
    return week


def test_a_drop_is_a_restart_counted_from_the_new_value() -> None:
    steps = increments([(0, 100), (60, 150), (120, 20), (180, 50)])
    assert [n for _, _, n in steps] == [50, 20, 30]
    assert judge([100, 150, 20, 50], 3600.0).requests == 100


def test_wh_per_1000_requests_is_energy_over_requests() -> None:
    week = judge([0, 400, 1000], 7200.0)  # 2 Wh for 1,000 requests
    assert week.wh_per_1k_requests == pytest.approx(2.0)
    assert week.wh_per_1k_tokens is None and week.generated_tokens is None


def _published(task: str) -> list[float]:
    return [r.energy_kwh_per_1000 for r in score_table() if r.task == task]


def test_stars_follow_the_tasks_published_bins() -> None:
    lo, hi = min(_published("text_classification")), max(_published("text_classification"))
    assert rate("s", "text_classification", None, lo * 1000) == (5, BENCHMARK_NOTE)
    assert rate("s", "text_classification", None, hi * 1000)[0] == 1
    assert rate("s", "text_classification", None, hi * 1000 * 10)[0] == 1
    stars, note = rate("s", "text_generation", None, 1.0)
    assert stars is None and "size class" in note
    assert rate("s", None, None, 1.0)[1].startswith("not rated: the task is unknown")


def test_worse_after_a_deploy_is_flagged_with_what_changed() -> None:
    before = judge([0, 1000], 3600.0, image="vllm:v1", key="old")
    before.week = weeks_before(WEEK)
    [after] = judge_served(week=WEEK, points=points([0, 1000]),
                           runs=[run(1, 3600.0 * 1.3, image="vllm:v2", key="new")],
                           energy_by_job={}, tasks={}, start_ts=START, end_ts=END,
                           history={("frankfurt-k8s", "chat"): [before]})
    assert after.change_pct == pytest.approx(30.0)
    assert after.worse_after_deploy and after.deploy == "image vllm:v1 -> vllm:v2"
    assert after.trend == [(weeks_before(WEEK), pytest.approx(1.0))]


def test_an_applied_swap_shows_the_measured_saving_per_1000_requests() -> None:
    made = weeks_before(WEEK, 2)
    baseline = judge([0, 1000], 36000.0)  # 10 Wh per 1,000 requests before the swap
    baseline.week = made
    swap = Swap(workload="frankfurt-k8s/nlp/chat", suggestion_id=7, title="Serve chat with "
                "distilbert", week=made, estimated_j_week=2.0e6)
    [after] = judge_served(week=WEEK, points=points([0, 2000]), runs=[run(1, 18000.0)],
                           energy_by_job={}, tasks={}, start_ts=START, end_ts=END, history={},
                           swaps=[swap],
                           swap_baselines={(made, "frankfurt-k8s", "chat"): baseline})
    assert after.swap is not None
    assert after.swap["before_wh_per_1k_requests"] == pytest.approx(10.0)
    assert after.swap["after_wh_per_1k_requests"] == pytest.approx(2.5)
    assert after.swap["saved_pct"] == pytest.approx(75.0)
    assert after.swap["saved_kwh_week"] == pytest.approx(7.5 * 2 / 1000)
