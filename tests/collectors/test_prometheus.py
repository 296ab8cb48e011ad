"""Against a real Prometheus (Debian's prometheus package), scraping a local exporter that
serves a dcgm-exporter page and kube-state-metrics lines."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from collectors.dcgm import Normalizer
from collectors.prometheus import PrometheusClient, PrometheusError, collect_range
from config.organisation import Organisation

DATA = Path(str(resources.files("collectors") / "data"))

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="the prometheus binary is not installed (apt-get install prometheus; .ci/run does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def exporter() -> Iterator[int]:
    pages = {
        "/dcgm": (DATA / "dcgm_a100_k8s.prom").read_text()
        .replace('namespace="vision"', 'namespace="shared-inference"').encode(),
        "/ksm": (DATA / "kube_state_metrics_pods.prom").read_bytes(),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield int(httpd.server_address[1])
    httpd.shutdown()


@pytest.fixture(scope="module")
def prometheus(exporter: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("prometheus")
    config = home / "prometheus.yml"
    config.write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: dcgm-exporter
    metrics_path: /dcgm
    static_configs: [{{targets: ["127.0.0.1:{exporter}"]}}]
  - job_name: kube-state-metrics
    honor_labels: true
    metrics_path: /ksm
    static_configs: [{{targets: ["127.0.0.1:{exporter}"]}}]
""")
    port = free_port()
    log = (home / "prometheus.log").open("w")
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={home / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    client = PrometheusClient(url, client=httpx.Client(timeout=5))
    deadline = time.monotonic() + 45
    try:
        while True:
            try:
                now = time.time()
                if (client.query_range("DCGM_FI_PROF_PIPE_FP32_ACTIVE", start=now - 60,
                                       end=now, step_s=1)
                        and client.query_range("kube_pod_owner", start=now - 60, end=now,
                                               step_s=1)):
                    break
            except PrometheusError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Prometheus did not come up with data: "
                            + (home / "prometheus.log").read_text()[-2000:])
            time.sleep(0.5)
        time.sleep(1.5)  # one more scrape, so that every metric has points
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


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
