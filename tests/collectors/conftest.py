"""The real Slurm of test_slurm_real.py starts as soon as the session knows it will run, so its
jobs' half minute passes while the tests before it run. A real Prometheus scraping a local
exporter of the dcgm-exporter and kube-state-metrics fixtures, for the Prometheus collector."""

from __future__ import annotations

import http.server
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from collectors.prometheus import PrometheusClient, PrometheusError
from tests.live_server import free_port
from tests.slurm_cluster import Scenario, missing

DATA = Path(str(resources.files("collectors") / "data"))

_SCENARIO: list[Scenario] = []


def _start() -> None:
    scenario = Scenario(Path(tempfile.mkdtemp(prefix="ai-cost-slurm-")))
    scenario.start()
    _SCENARIO.append(scenario)


def pytest_collection_finish(session: pytest.Session) -> None:
    # Under pytest-xdist every worker collects every test: the worker that runs the module
    # starts its Slurm when it gets there (below), and the other worker runs the rest meanwhile.
    if hasattr(session.config, "workerinput"):
        return
    if any(item.path.name == "test_slurm_real.py" for item in session.items) and (
            missing() is None):
        _start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _SCENARIO:
        _SCENARIO.pop().stop()


@pytest.fixture(scope="module")
def slurm_scenario() -> Scenario:
    """The scenario started at collection, once it is done."""
    if missing() is not None:
        pytest.skip(f"no real Slurm: {missing()}")
    if not _SCENARIO:
        _start()
    return _SCENARIO[0].result()


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
