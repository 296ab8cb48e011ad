"""The real Slurm of test_slurm_real.py starts as soon as the session knows it will run, so its
jobs' half minute passes while the tests before it run. A real Prometheus scraping a local
exporter of the dcgm-exporter and kube-state-metrics fixtures, for the Prometheus collector."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from tests.prometheus_server import pages
from tests.prometheus_server import prometheus as running_prometheus
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
    with pages({
        "/dcgm": (DATA / "dcgm_a100_k8s.prom").read_text()
        .replace('namespace="vision"', 'namespace="shared-inference"').encode(),
        "/ksm": (DATA / "kube_state_metrics_pods.prom").read_bytes(),
    }) as port:
        yield port


@pytest.fixture(scope="module")
def prometheus(exporter: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: dcgm-exporter
    metrics_path: /dcgm
    static_configs: [{{targets: ["127.0.0.1:{exporter}"]}}]
  - job_name: kube-state-metrics
    honor_labels: true
    metrics_path: /ksm
    static_configs: [{{targets: ["127.0.0.1:{exporter}"]}}]
"""
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), config,
                            ["DCGM_FI_PROF_PIPE_FP32_ACTIVE", "kube_pod_owner"]) as url:
        yield url
