"""The arrows of the house point one way: what each layer loads when it is imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _loaded(*modules: str) -> set[str]:
    code = ("import importlib, json, sys\n"
            f"for m in {list(modules)!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return set(json.loads(out))


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_the_node_agent_loads_no_database_code() -> None:
    loaded = _top(_loaded("collectors.agent", "collectors.nvml", "collectors.shipping",
                          "collectors.replay", "collectors.dcgm", "collectors.slurm"))
    assert not loaded & {"sqlalchemy", "sqlmodel", "alembic", "storage", "psycopg"}


@pytest.mark.parametrize("module", ["storage.ledger_repo", "storage.runs", "storage.ingest",
                                    "storage.rollup", "storage.suggestions_repo",
                                    "storage.batches", "storage.slack_repo"])
def test_storage_imports_no_analyzer(module: str) -> None:
    assert "analyzers" not in _top(_loaded(module))


def test_domain_is_a_leaf() -> None:
    loaded = _top(_loaded("domain.types", "domain.ledger", "domain.weeks", "domain.samples",
                          "domain.workloads"))
    assert not loaded & {"storage", "analyzers", "bot", "reports", "collectors", "config"}
