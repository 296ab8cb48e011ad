"""The contract's oversized policy and the rules judge that reads jobs' text."""

from __future__ import annotations

import pytest

from analyzers import rules
from analyzers.policy import evaluate, supports_bf16
from analyzers.records import JobRecord
from config.organisation import PolicyConfig

POLICY = PolicyConfig()


def job(**overrides) -> JobRecord:  # type: ignore[no-untyped-def]
    fields = dict(job_id="j", gpu_type="NVIDIA H100 80GB HBM3", gpus=1, duration_s=7200,
                  gpu_util_mean=80, gpu_util_max=100, gpu_mem_used_gib_max=60,
                  gpu_mem_total_gib=80)
    fields.update(overrides)
    return JobRecord(**fields)  # type: ignore[arg-type]


def reasons(record: JobRecord, task: str = "other", params_b: float | None = None):  # type: ignore[no-untyped-def]
    findings = evaluate(record, task=task, params_b=params_b, policy=POLICY)
    return list(findings.reasons + findings.hints)


def test_idle_needs_thirty_minutes_under_five_percent():
    assert reasons(job(gpu_util_mean=4.9, duration_s=1800, gpu_mem_used_gib_max=60)) == ["idle"]
    assert reasons(job(gpu_util_mean=5.0, duration_s=7200)) == []
    assert reasons(job(gpu_util_mean=1.0, duration_s=1799)) == []


def test_overprovisioned_multi_gpu_at_half_or_less():
    # 8 GPUs at 17.5 % and little memory: ceil(8 x 17.5 / 70) = 2 <= 4
    assert reasons(job(gpus=8, gpu_util_mean=17.5, gpu_mem_used_gib_max=10)) == [
        "overprovisioned"]
    # memory decides: ceil(8 x 40 / 72) = 5 > 4
    assert reasons(job(gpus=8, gpu_util_mean=17.5, gpu_mem_used_gib_max=40)) == []
    # 2 GPUs needing exactly one is at half
    assert reasons(job(gpus=2, gpu_util_mean=35, gpu_mem_used_gib_max=30)) == ["overprovisioned"]


def test_one_big_gpu_for_a_small_job():
    small = dict(gpu_util_mean=10, gpu_mem_used_gib_max=8, duration_s=3600)
    assert reasons(job(**small)) == ["overprovisioned"]
    assert reasons(job(**small, gpu_mem_total_gib=24, gpu_type="NVIDIA L4")) == []
    assert reasons(job(**{**small, "duration_s": 3500})) == []


def test_oversized_model_only_for_narrow_tasks():
    assert reasons(job(), "text_classification", 70) == ["oversized_model"]
    assert reasons(job(), "text_classification", 0.3) == []
    assert reasons(job(), "text_generation", 70) == []


def test_hints_never_make_a_job_oversized_alone():
    findings = evaluate(job(precision="fp32", kind="inference", batch_size=1), task="other",
                        params_b=None, policy=POLICY)
    assert findings.hints == ("precision", "small_batch")
    assert not findings.oversized
    assert supports_bf16("A100-SXM4-40GB") and supports_bf16("NVIDIA L4")
    assert not supports_bf16("Tesla T4") and not supports_bf16("Tesla V100-SXM2-16GB")


@pytest.mark.parametrize(("name", "command", "task", "params"), [
    ("reviews-polarity-api-7f9c", "", "text_classification", None),
    ("gen", "--llm mixtral-8x22b", "text_generation", 141.0),  # the card's total, all experts
    ("ner", "run_ner.py model=qwen2.5-72b", "token_classification", 72.7),  # the catalog's
])
def test_rules_read_the_contract_examples(name, command, task, params):
    record = job(name=name, command=command)
    assert rules.read_task(record) == task
    assert rules.read_params_b(record) == params


def test_configured_thresholds_change_the_verdict():
    strict = PolicyConfig(idle_util_pct=20)
    record = job(gpu_util_mean=12, gpu_mem_used_gib_max=60)
    assert not evaluate(record, task="other", params_b=None, policy=POLICY).oversized
    assert evaluate(record, task="other", params_b=None, policy=strict).reasons == ("idle",)
