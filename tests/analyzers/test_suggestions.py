"""Suggestions: hand-computed weekly savings, and never a change that costs more."""

from __future__ import annotations

import random

import pytest

from analyzers import rules
from analyzers.accounting import Rates
from analyzers.records import JobRecord, Verdict
from analyzers.suggestions import (
    attach_suggestions,
    contract_suggestion,
    default_rates,
    runs_per_week,
    suggest,
)
from config.organisation import Organisation, PolicyConfig

POLICY = PolicyConfig()
H100 = Rates(gpu_usd_per_hour=4.0, energy_usd_per_kwh=0.15, pue=1.2, carbon_g_per_kwh=475.0)
A100 = Rates(gpu_usd_per_hour=2.0, energy_usd_per_kwh=0.15, pue=1.2, carbon_g_per_kwh=475.0)


def job(**kw) -> JobRecord:  # type: ignore[no-untyped-def]
    base = dict(job_id="j1", name="job", gpu_type="NVIDIA H100 80GB HBM3", gpus=1,
                duration_s=36000.0, gpu_util_mean=50.0, gpu_util_max=90.0,
                gpu_mem_used_gib_max=40.0, gpu_mem_total_gib=80.0, energy_kwh=3.0)
    base.update(kw)
    return JobRecord(**base)  # type: ignore[arg-type]


def judged(record: JobRecord) -> Verdict:
    return rules.judge([record], POLICY)[0]


def test_runs_per_week_follow_the_recurrence():
    assert runs_per_week("continuous", 86400) == pytest.approx(7.0)
    assert runs_per_week("daily", 3600) == 7.0
    assert runs_per_week("weekly", 3600) == 1.0
    assert runs_per_week(None, 3600) == 1.0
    with pytest.raises(ValueError, match="unknown recurrence"):
        runs_per_week("fortnightly", 3600)


def test_fewer_gpus_saves_the_idle_draw_and_gpu_hours_of_a_nightly_job():
    # 8 H100 for 10 h at 10 % use and 8 GiB: 2 GPUs do (ceil(8 x 10 / 70) = 2).
    record = job(gpus=8, gpu_util_mean=10.0, gpu_mem_used_gib_max=8.0, energy_kwh=8.0,
                 kind="batch")
    found = suggest(record, judged(record), rates=H100, policy=POLICY, recurrence="daily")
    fewer = next(s for s in found if s.kind == "fewer_gpus")
    assert fewer.change == {"gpus": {"from": 8, "to": 2}}
    # 6 GPUs x 70 W idle x 10 h = 4.2 kWh a night; 6 x 10 GPU-h x $4 = $240 a night.
    assert fewer.saved_energy_kwh_week == pytest.approx(7 * 4.2)
    assert fewer.saved_cost_usd_week == pytest.approx(7 * (240 + 4.2 * 1.2 * 0.15))
    assert fewer.saved_co2e_kg_week == pytest.approx(7 * 4.2 * 1.2 * 0.475)


def test_an_idle_deployment_is_released_with_its_idle_hours_and_a_whole_week_saved():
    record = job(gpu_type="NVIDIA A100-SXM4-80GB", duration_s=86400.0, gpu_util_mean=1.0,
                 gpu_util_max=3.0, gpu_mem_used_gib_max=2.0, energy_kwh=1.2)
    found = suggest(record, judged(record), rates=A100, policy=POLICY,
                    recurrence="continuous")
    assert found[0].kind == "release"
    assert found[0].change["release"]["idle_hours"] == 24.0
    assert "idle for 24.0 h" in found[0].title
    assert found[0].saved_energy_kwh_week == pytest.approx(7 * 1.2)
    assert found[0].saved_cost_usd_week == pytest.approx(7 * (24 * 2.0 + 1.2 * 1.2 * 0.15))


def test_an_llm_doing_sentiment_is_swapped_for_distilbert_at_the_held_gpus_idle_floor():
    record = job(name="reviews-polarity", model="meta-llama/Llama-3.1-8B-Instruct",
                 task="sentiment-analysis", kind="inference", gpu_util_mean=40.0,
                 gpu_mem_used_gib_max=20.0, energy_kwh=3.0)
    found = suggest(record, judged(record), rates=H100, policy=POLICY)
    swap = found[0]
    assert swap.kind == "model_swap"
    assert swap.change["model"]["to"] == (
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english")
    # 0.000217736 / 0.017376263 (published Llama-3.1-8B row) = 1/79.8
    assert "about 1/80 of the energy" in swap.title
    # A served model keeps its GPU: never below 70 W x 10 h = 0.7 kWh.
    assert swap.saved_energy_kwh_week == pytest.approx(3.0 - 0.7)
    assert swap.saved_cost_usd_week == pytest.approx(2.3 * 1.2 * 0.15)
    assert "SST-2" in swap.note


def test_bf16_shortens_a_training_job_and_saves_its_gpu_hours():
    record = job(gpu_type="NVIDIA A100-SXM4-80GB", precision="fp32", kind="training",
                 energy_kwh=3.0)
    found = suggest(record, judged(record), rates=A100, policy=POLICY)
    assert [s.kind for s in found] == ["precision"]
    assert found[0].change == {"precision": {"from": "fp32", "to": "bf16"}}
    assert found[0].saved_energy_kwh_week == pytest.approx(1.2)
    assert found[0].saved_cost_usd_week == pytest.approx(0.4 * 10 * 2.0 + 1.2 * 1.2 * 0.15)


def test_a_healthy_job_gets_no_suggestion():
    record = job()
    assert judged(record).reasons == []
    assert suggest(record, judged(record), rates=H100, policy=POLICY) == []
    assert contract_suggestion([]) is None


def test_no_batching_suggestion_when_the_gpu_already_draws_only_idle_power():
    # 60 W mean on an H100: batching cannot go below what a held GPU draws anyway.
    record = job(kind="inference", batch_size=1, energy_kwh=0.6)
    verdict = judged(record)
    assert "small_batch" in verdict.reasons
    assert suggest(record, verdict, rates=H100, policy=POLICY) == []


def test_a_suggestion_never_costs_more_or_uses_more_energy():
    rng = random.Random(7)
    gpu_types = ["NVIDIA H100 80GB HBM3", "A100-SXM4-40GB", "NVIDIA L40S", "Tesla T4",
                 "NVIDIA L4", "Some Future GPU"]
    models = [None, "meta-llama/Llama-3.1-70B-Instruct", "mistral-7b", "bert-base", "phi-2"]
    seen = set()
    for i in range(600):
        mem_total = rng.choice([16.0, 24.0, 40.0, 48.0, 80.0])
        record = job(job_id=str(i), name=rng.choice(["ner-svc", "embed", "chat", "asr-batch"]),
                     gpu_type=rng.choice(gpu_types), gpus=rng.choice([1, 1, 2, 4, 8]),
                     duration_s=rng.uniform(600, 7 * 86400),
                     gpu_util_mean=rng.uniform(0, 100), gpu_util_max=100.0,
                     gpu_mem_used_gib_max=rng.uniform(0, mem_total),
                     gpu_mem_total_gib=mem_total, model=rng.choice(models),
                     task=rng.choice([None, "text_classification", "asr", "other"]),
                     kind=rng.choice([None, "inference", "training", "batch"]),
                     precision=rng.choice([None, "fp32", "bf16"]),
                     batch_size=rng.choice([None, 1, 64]), energy_kwh=rng.uniform(0, 200))
        recurrence = rng.choice([None, "continuous", "daily", "weekly"])
        for s in suggest(record, judged(record), rates=H100, policy=POLICY,
                         recurrence=recurrence):
            seen.add(s.kind)
            assert s.saved_cost_usd_week > 0, s
            assert s.saved_energy_j_week >= 0, s
            assert 0 <= s.confidence <= 1
    assert seen >= {"model_swap", "fewer_gpus", "release", "precision", "batching"}


def test_a_lightly_used_h100_moves_to_the_smallest_mig_slice_that_fits():
    record = job(gpu_util_mean=8.0, gpu_mem_used_gib_max=6.0, energy_kwh=1.0)
    found = suggest(record, judged(record), rates=H100, policy=POLICY)
    assert found[0].kind == "smaller_gpu"
    assert found[0].change["mig_profile"] == "1g.10gb"
    assert found[0].saved_energy_kwh_week == pytest.approx(6 / 7)
    assert found[0].saved_cost_usd_week == pytest.approx(6 / 7 * (10 * 4.0 + 1.0 * 1.2 * 0.15))


def test_a_lightly_used_l40s_moves_to_an_l4_only_when_it_is_cheaper():
    record = job(gpu_type="NVIDIA L40S", gpu_mem_total_gib=48.0, gpu_util_mean=10.0,
                 gpu_mem_used_gib_max=6.0, energy_kwh=1.0)
    priced = suggest(record, judged(record), rates=H100, policy=POLICY,
                     gpu_price_usd_per_hour={"NVIDIA L4": 0.7}.__getitem__)
    assert priced[0].change == {"gpu_type": {"from": "NVIDIA L40S", "to": "NVIDIA L4"}}
    # L4 at 10 % x 362 / 121 = 30 % load: 16 + 0.30 x 56 W = 32.8 W for 10 h.
    assert priced[0].saved_energy_kwh_week == pytest.approx(1.0 - 0.3280, abs=2e-3)
    assert priced[0].saved_cost_usd_week > 10 * (4.0 - 0.7)


def test_classify_output_carries_the_best_suggestion_per_the_contract():
    organisation = Organisation(gpu_prices_usd_per_hour={"H100": 4.0})
    records = [job(gpus=8, gpu_util_mean=10.0, gpu_mem_used_gib_max=8.0, energy_kwh=8.0),
               job(job_id="ok")]
    verdicts = rules.judge(records, POLICY)
    attach_suggestions(records, verdicts, policy=POLICY,
                       rates=lambda r: default_rates(organisation, r.gpu_type))
    best = verdicts[0].to_json()["suggestion"]
    assert best["kind"] == "fewer_gpus"
    assert set(best) >= {"title", "change", "saved_energy_kwh_week", "saved_cost_usd_week",
                         "saved_co2e_kg_week", "confidence"}
    assert best["saved_cost_usd_week"] == pytest.approx(240 + 4.2 * 1.2 * 0.15, rel=1e-4)
    assert verdicts[1].suggestion is None


def test_a_swap_names_the_model_the_command_runs_when_the_job_has_no_model_field():
    record = job(name="serve-intent", task="text-classification", kind="inference",
                 command="vllm serve --model meta-llama/Llama-3.1-70B-Instruct --port 8000",
                 gpu_util_mean=40.0, gpu_mem_used_gib_max=60.0, energy_kwh=20.0)
    swap = next(s for s in suggest(record, judged(record), rates=H100, policy=POLICY)
                if s.kind == "model_swap")
    assert swap.change["model"]["from"] == "meta-llama/Llama-3.1-70B-Instruct"
    assert "instead of meta-llama/Llama-3.1-70B-Instruct" in swap.title


LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"


@pytest.mark.parametrize(("command", "model"), [
    (f"vllm serve {LLAMA_70B} --served-model-name intent", LLAMA_70B),
    (f"python -m sglang.launch_server --model-path {LLAMA_70B}", LLAMA_70B),
    (f"python -m huggingfaceserver --model_name=intent --model_id={LLAMA_70B}", LLAMA_70B),
    ("llama-server -m /models/Llama-3.1-70B-Instruct-Q4_K_M.gguf -ngl 99",
     "/models/Llama-3.1-70B-Instruct-Q4_K_M.gguf"),
])
def test_a_swap_replaces_the_model_the_server_runs_not_its_alias(command: str, model: str) -> None:
    """The model a suggestion (and an approved swap's webhook) replaces is read as the
    classifier reads it: vLLM's positional model, SGLang's --model-path, KServe's --model_id."""
    record = job(name="serve-intent", task="text-classification", kind="inference",
                 command=command, gpu_util_mean=40.0, gpu_mem_used_gib_max=60.0,
                 energy_kwh=20.0)
    swap = next(s for s in suggest(record, judged(record), rates=H100, policy=POLICY)
                if s.kind == "model_swap")
    assert swap.change["model"]["from"] == model


def test_a_job_that_reports_no_power_is_judged_on_its_gpus_estimated_power():
    """No energy and no power: an L4 at 50 % draws 16 + 0.5 x (72 - 16) = 44 W, and the
    swap's note says the energy is an estimate; an unknown GPU gets no made-up figure."""
    organisation = Organisation(gpu_prices_usd_per_hour={"L4": 0.8})
    records = [job(job_id=f"j{i}", name="serve-intent", task="text-classification",
                   kind="inference", gpu_type=gpu, gpu_mem_total_gib=24.0,
                   gpu_mem_used_gib_max=18.0, energy_kwh=None, power_w_mean=None,
                   command="vllm serve meta-llama/Llama-3.1-8B-Instruct")
               for i, gpu in enumerate(("NVIDIA L4", "Acme Mystery Accelerator"))]
    verdicts = rules.judge(records, POLICY)
    assert ["oversized_model" in v.reasons for v in verdicts] == [True, True]
    attach_suggestions(records, verdicts, policy=POLICY,
                       rates=lambda r: default_rates(organisation, r.gpu_type))
    swap = verdicts[0].suggestion
    assert swap is not None and swap["kind"] == "model_swap"
    assert 0 < swap["saved_energy_kwh_week"] <= 0.044 * 10 * 7  # at most all of 44 W, 10 h a run
    assert "Power was not reported" in swap["note"] and "44 W" in swap["note"]
    assert verdicts[1].suggestion is None


@pytest.mark.parametrize(("name", "model", "alternative"), [
    ("content-moderation", "meta-llama/Llama-Guard-3-8B", "unitary/toxic-bert"),
    ("chat-filter", "meta-llama/Llama-Guard-3-8B", "unitary/toxic-bert"),  # a guard model
    ("jailbreak-filter", "meta-llama/Llama-3.1-8B-Instruct",
     "meta-llama/Llama-Prompt-Guard-2-86M"),
    ("ticket-router", "meta-llama/Llama-3.1-8B-Instruct", "microsoft/deberta-v3-small"),
    ("ticket-sentiment", "meta-llama/Llama-3.1-8B-Instruct",
     "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
    ("review-sentiment", "meta-llama/Llama-3.1-8B-Instruct",
     "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
])
def test_a_swap_fits_what_the_classifier_is_for(name: str, model: str, alternative: str) -> None:
    """A safety model is not replaced by a sentiment model: the job's words and model pick
    the alternative made for the same purpose; sentiment stays the general choice."""
    record = job(name=name, task="text-classification", kind="inference",
                 command=f"vllm serve {model}", gpu_util_mean=40.0,
                 gpu_mem_used_gib_max=30.0, energy_kwh=5.0)
    swap = next(s for s in suggest(record, judged(record), rates=H100, policy=POLICY)
                if s.kind == "model_swap")
    assert swap.change["model"] == {"from": model, "to": alternative}
