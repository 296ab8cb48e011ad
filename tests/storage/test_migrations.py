"""Alembic owns the schema: migrations build it from empty and match the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import alembic_config, make_engine, migrate


def _ours(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    return not (type_ == "table" and (name or "").startswith("apscheduler"))


def test_migrations_from_empty_create_every_table_and_match_the_models(database_url: str):
    # the fixture already migrated; go back to empty and up again
    command.downgrade(alembic_config(database_url), "base")
    engine = make_engine(database_url)
    left = {t for t in inspect(engine).get_table_names() if _ours(t, "table", {})}
    assert left <= {"alembic_version"}
    migrate(database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"cluster", "node", "gpu", "team", "user", "job", "sample", "usage", "verdict",
            "suggestion", "approvalevent", "digest_sent"} <= tables
    with engine.connect() as conn:
        # APScheduler keeps its job store in the same database; its table is not ours
        context = MigrationContext.configure(conn, opts={"include_name": _ours})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_migrate_twice_is_harmless(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    migrate(url)
    migrate(url)
    engine = make_engine(url)
    assert "sample" in inspect(engine).get_table_names()
    engine.dispose()
