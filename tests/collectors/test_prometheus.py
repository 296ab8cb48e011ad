"""Against a real Prometheus (Debian's prometheus package), scraping a local exporter that
serves a dcgm-exporter page and kube-state-metrics lines (tests/collectors/conftest.py)."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest

from collectors.dcgm import Normalizer
from collectors.prometheus import PrometheusClient, PrometheusError, collect_range
from config.organisation import Organisation
from tests.live_server import free_port

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="the prometheus binary is not installed (apt-get install prometheus; .ci/run does)")


def test_reads_dcgm_metrics_with_pod_owner_and_team_from_kube_state_metrics(
        prometheus: str, organisation: Organisation) -> None:
    client = PrometheusClient(prometheus, client=httpx.Client(timeout=10))
    now = time.time()
    batch = collect_range(Normalizer(organisation), client, start=now - 60, end=now, step_s=1)
    assert batch.problems == []
    assert {s.gpu_uuid[-2:] for s in batch.samples} == {"01", "02", "03", "04"}
    train = next(s for s in batch.samples if s.gpu_uuid.endswith("01"))
    assert train.util_pct == pytest.approx(91.2345)
    assert train.energy_j == pytest.approx(1_823_455_812.311)
    assert train.node == "gke-ml-a2-ultragpu-4g-7c9d2f1b-x8qz"
    jobs = {j.external_id: j for j in batch.jobs}
    assert jobs["nlp/Job/llama-ft"].team == "nlp"
    assert jobs["nlp/Job/llama-ft"].kind == "batch"
    # The pod's team label wins over its namespace, which no team claims.
    api = jobs["shared-inference/Deployment/sentiment-api"]
    assert (api.team, api.kind, api.precision) == ("vision", "inference", "fp32")
    assert {s.job for s in batch.samples} == {"nlp/Job/llama-ft",
                                              "shared-inference/Deployment/sentiment-api", None}


def test_an_unreachable_or_failing_prometheus_is_a_clear_error(prometheus: str) -> None:
    client = PrometheusClient(prometheus, client=httpx.Client(timeout=10))
    with pytest.raises(PrometheusError, match="failed"):
        client.query_range("sum(", start=time.time() - 60, end=time.time(), step_s=1)
    gone = PrometheusClient(f"http://127.0.0.1:{free_port()}", client=httpx.Client(timeout=2))
    with pytest.raises(PrometheusError, match="cannot reach"):
        gone.query_range("up", start=time.time() - 60, end=time.time(), step_s=1)
