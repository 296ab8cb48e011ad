"""The webhook of an approved swap says which model it replaces, read as the classifier reads it."""

from __future__ import annotations

import pytest

from bot.services.swap_actions import swap_payload
from storage.models import Job, Suggestion
from tests.clock import WEEK, at

AT = at(WEEK, 7, 9)  # the Monday after the week, 09:00 UTC


@pytest.mark.parametrize(("command", "model"), [
    ("vllm serve meta-llama/Llama-3.1-70B-Instruct --served-model-name intent",
     "meta-llama/Llama-3.1-70B-Instruct"),
    ("python -m huggingfaceserver --model_name=intent --model_id=Qwen/Qwen3-32B",
     "Qwen/Qwen3-32B"),
    ("export MODEL=google/gemma-3-27b-it\nsrun python serve.py --model $MODEL",
     "google/gemma-3-27b-it"),
])
def test_the_swap_webhook_names_the_model_the_job_runs(command: str, model: str) -> None:
    job = Job(id=1, cluster_id=1, external_id="j-1", team="nlp", name="intent-api",
              command=command)
    suggestion = Suggestion(
        id=7, job_id=1, week=WEEK, kind="model_swap", title="Serve intent-api with ...",
        change={"model": {"from": None, "to": "microsoft/deberta-v3-small"}},
        saved_energy_j_week=1.0, saved_cost_usd_week=12.0, saved_co2e_kg_week=0.1,
        confidence=0.6, fingerprint="f", created_at=AT, updated_at=AT)
    payload = swap_payload(suggestion=suggestion, job=job, approved_by="U1", approved_at=AT)
    assert payload["change"]["model"] == {"from": model, "to": "microsoft/deberta-v3-small"}
    assert payload["job"]["model"] == model
    assert (payload["week"], payload["approved_at"]) == (WEEK, AT.isoformat())
