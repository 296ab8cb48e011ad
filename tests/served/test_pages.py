"""The /metrics pages of vLLM, TGI and Triton read into served samples."""

from __future__ import annotations

from importlib import resources

import pytest

from collectors.served import parse_page, to_samples

DATA = resources.files("collectors").joinpath("data")


def page(name: str) -> str:
    return DATA.joinpath(name).read_text(encoding="utf-8")


def test_vllm_counts_every_finished_request_and_its_tokens_by_model() -> None:
    readings, problems = parse_page(page("vllm_metrics.prom"))
    assert problems == []
    [r] = readings
    assert (r.server, r.model, r.task) == ("vllm", "meta-llama/Llama-3.1-8B-Instruct",
                                           "text_generation")
    # stop + length + abort; the histograms and gauges of the page are not counters of ours
    assert r.values == {"requests": 17872 + 611 + 17, "generated_tokens": 3482117.0,
                        "prompt_tokens": 6121435.0}


def test_tgi_reads_its_request_counter_and_the_sum_of_its_token_histogram() -> None:
    readings, problems = parse_page(page("tgi_metrics.prom"))
    assert problems == []
    [r] = readings
    assert (r.server, r.model) == ("tgi", None)
    assert r.values == {"requests": 9310.0, "generated_tokens": 1843381.0,
                        "prompt_tokens": 2361704.0}


def test_triton_sums_versions_per_model_and_has_no_tokens() -> None:
    readings, problems = parse_page(page("triton_metrics.prom"))
    assert problems == []
    by_model = {r.model: r.values for r in readings}
    assert by_model == {"intent_router": {"requests": 240133 + 1180422},
                        "ensemble": {"requests": 0.0}}


def test_a_page_becomes_samples_of_the_pod_it_was_scraped_from() -> None:
    readings, _ = parse_page(page("vllm_metrics.prom"))
    samples, problems = to_samples(readings, ts=1.7e9, namespace="nlp-prod",
                                   pod="serve-chat-5d8c7b9f6-x7k2p")
    assert problems == []
    [s] = samples
    assert (s.service, s.namespace, s.requests) == ("serve-chat", "nlp-prod", 18500.0)
    assert s.to_json()["generated_tokens"] == 3482117.0


def test_a_page_with_nowhere_to_join_says_what_to_pass() -> None:
    readings, _ = parse_page(page("tgi_metrics.prom"))
    samples, problems = to_samples(readings, ts=1.7e9, service="chat")
    assert samples == []
    assert problems == ["chat: counters without a pod, node or job to join them to GPUs; "
                        "pass --pod and --namespace, or --node"]


@pytest.mark.parametrize("text", ["<html>502 Bad Gateway</html>", "vllm:request_success_total{"])
def test_what_is_not_a_metrics_page_is_one_problem_not_a_crash(text: str) -> None:
    readings, problems = parse_page(text)
    assert readings == [] and len(problems) == 1
    assert problems[0].startswith("not a Prometheus text page")
