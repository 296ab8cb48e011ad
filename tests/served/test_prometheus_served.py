"""A real Prometheus scraping Triton, a custom server and kube-state-metrics: the collector
joins each server's counters to the job its GPUs are charged to."""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from collectors.dcgm import Normalizer
from collectors.prometheus import PrometheusClient, collect_range
from config.organisation import Organisation, ServedCounterConfig
from tests.prometheus_server import pages
from tests.prometheus_server import prometheus as running_prometheus

DATA = Path(str(resources.files("collectors") / "data"))
CUSTOM = b"""# TYPE acme_completions_total counter
acme_completions_total{model="acme/summarizer-small"} 4200
# TYPE acme_tokens_out_total counter
acme_tokens_out_total{model="acme/summarizer-small"} 630000
"""


@pytest.fixture(scope="module")
def exporter() -> Iterator[int]:
    with pages({
        "/dcgm": (DATA / "dcgm_a100_k8s.prom").read_text()
        .replace('namespace="vision"', 'namespace="shared-inference"').encode(),
        "/ksm": (DATA / "kube_state_metrics_pods.prom").read_bytes(),
        "/triton": (DATA / "triton_metrics.prom").read_bytes(),
        "/custom": CUSTOM,
    }) as port:
        yield port


@pytest.fixture(scope="module")
def prometheus(exporter: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    target = f'["127.0.0.1:{exporter}"]'
    config = f"""
global: {{scrape_interval: 1s}}
scrape_configs:
  - {{job_name: dcgm, metrics_path: /dcgm, static_configs: [{{targets: {target}}}]}}
  - {{job_name: ksm, honor_labels: true, metrics_path: /ksm,
      static_configs: [{{targets: {target}}}]}}
  - job_name: triton
    metrics_path: /triton
    static_configs: [{{targets: {target}, labels: {{namespace: shared-inference,
                       pod: sentiment-api-7d9f8b6c5d-x2x7q}}}}]
  - job_name: acme
    metrics_path: /custom
    static_configs: [{{targets: {target}, labels: {{namespace: nlp, pod: llama-ft-0-r7kx2}}}}]
"""
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), config, [
            "nv_inference_request_success", "acme_completions_total", "kube_pod_owner",
            "DCGM_FI_DEV_POWER_USAGE"]) as url:
        yield url


def test_served_counters_join_the_job_of_their_pods_gpus(
        prometheus: str, organisation: Organisation) -> None:
    organisation.served_counters = [ServedCounterConfig(
        requests="acme_completions_total", generated_tokens="acme_tokens_out_total",
        task="summarization")]
    client = PrometheusClient(prometheus, client=httpx.Client(timeout=5))
    now = time.time()
    batch = collect_range(Normalizer(organisation), client, start=now - 4, end=now, step_s=2)
    gpu_jobs = {s.job for s in batch.samples}
    triton = [s for s in batch.served if s.server == "triton" and s.model == "intent_router"]
    assert triton and {s.requests for s in triton} == {240133 + 1180422}
    assert {s.service for s in triton} == {"sentiment-api"}
    assert {s.job for s in triton} == {"shared-inference/Deployment/sentiment-api"} <= gpu_jobs
    acme = [s for s in batch.served if s.server == "custom"]
    assert acme and {(s.requests, s.generated_tokens, s.task) for s in acme} == {
        (4200.0, 630000.0, "summarization")}
    assert {s.job for s in acme} == {"nlp/Job/llama-ft"}
    body = batch.to_body(source="prometheus")
    assert len(body["served"]) == len(batch.served) and body["served"][0]["ts"] > now - 10
