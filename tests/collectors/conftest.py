"""The real Slurm of test_slurm_real.py starts as soon as the session knows it will run, so its
jobs' half minute passes while the tests before it run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.slurm_cluster import Scenario, missing

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
