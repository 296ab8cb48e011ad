"""ai-cost-wait-for-schema: waits for the migration step, and never migrates itself."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import inspect

from storage.db import make_engine, migrate
from tests.deploy.manifests import DEPLOY


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wait_for_schema",
                                                  DEPLOY / "wait_for_schema.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'ai-cost.db'}"
    monkeypatch.setenv("AI_COST_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def test_times_out_on_an_empty_database_and_leaves_it_empty(sqlite_url: str) -> None:
    assert script().main(["--timeout", "0", "--interval", "0"]) == 1
    engine = make_engine(sqlite_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_returns_once_migrated(sqlite_url: str) -> None:
    migrate(sqlite_url)
    assert script().main(["--timeout", "0"]) == 0


def test_a_newer_schema_than_the_image_is_an_error(sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'from_the_future'")
    engine.dispose()
    assert script().main(["--timeout", "0"]) == 2


def test_runs_as_a_program(sqlite_url: str) -> None:
    migrate(sqlite_url)
    result = subprocess.run([sys.executable, str(DEPLOY / "wait_for_schema.py"), "--timeout",
                             "5"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("schema is at ")
