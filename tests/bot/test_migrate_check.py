"""Migrations once: `ai-cost migrate --check`, and commands that only check when
AI_COST_AUTO_MIGRATE=false (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from typer.testing import CliRunner, Result

from bot.cli import app as cli
from storage.db import alembic_config, make_engine


def head_and_before() -> tuple[str, str]:
    """The latest revision and the one before it, read now (not at import)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    (head,) = script.get_heads()
    before = script.get_revision(head).down_revision
    assert isinstance(before, str)
    return head, before


def revision_of(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            (revision,) = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    return str(revision)


def ai_cost(url: str, *args: str, auto_migrate: bool = False) -> Result:
    env = {"AI_COST_DATABASE_URL": url, "AI_COST_AUTO_MIGRATE": str(auto_migrate).lower(),
           "COLUMNS": "300"}
    return CliRunner().invoke(cli, list(args), env=env)


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def one_release_behind(database_url: str) -> Iterator[str]:
    """The fixture's database, its version stamped one migration back (restored after)."""
    migrated = revision_of(database_url)
    _, before = head_and_before()
    command.stamp(alembic_config(database_url), before)
    try:
        yield database_url
    finally:  # the PostgreSQL database is shared by the session: put its version back
        command.stamp(alembic_config(database_url), migrated)


def test_check_passes_at_the_latest_schema(database_url: str) -> None:
    head, _ = head_and_before()
    result = ai_cost(database_url, "migrate", "--check")
    assert result.exit_code == 0, result.output
    assert one_line(result) == f"database schema is at {head}, the latest this release knows"
    assert ai_cost(database_url, "status").exit_code == 0


def test_a_schema_behind_stops_every_command_with_one_line(one_release_behind: str) -> None:
    head, before = head_and_before()
    expected = (f"error: database schema is at {before}, this release needs {head}: run "
                "`ai-cost migrate`")
    check = ai_cost(one_release_behind, "migrate", "--check")
    assert check.exit_code == 1 and one_line(check) == expected
    status = ai_cost(one_release_behind, "status")
    assert status.exit_code == 1 and one_line(status) == expected
    # the check changed nothing: still one release behind
    assert ai_cost(one_release_behind, "migrate", "--check").exit_code == 1


def test_a_schema_newer_than_the_release_is_not_taken_for_old(database_url: str) -> None:
    migrated = revision_of(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
        result = ai_cost(database_url, "migrate", "--check")
        assert result.exit_code == 1
        assert "9999_future, newer than this release" in one_line(result)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{migrated}'")
        engine.dispose()


def test_only_migrate_migrates_when_auto_migrate_is_off(tmp_path: Path) -> None:
    head, _ = head_and_before()
    path = tmp_path / "fresh.db"
    url = f"sqlite:///{path}"
    status = ai_cost(url, "status")
    assert status.exit_code == 1
    assert one_line(status).startswith(f"error: no ai-cost database at {path}: run `ai-cost demo`")
    assert not path.exists()  # a command that only reads created nothing
    check = ai_cost(url, "migrate", "--check")
    assert check.exit_code == 1
    assert one_line(check).startswith(f"error: no ai-cost database at {path}")
    assert not path.exists()  # checking created nothing
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == []  # now an empty database file
    check = ai_cost(url, "migrate", "--check")
    assert check.exit_code == 1
    assert one_line(check) == ("error: database schema is at no revision (an empty database), "
                               f"this release needs {head}: run `ai-cost migrate`")
    assert inspect(engine).get_table_names() == []  # checking created no table
    migrated = ai_cost(url, "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert "is at the latest schema" in migrated.output
    assert ai_cost(url, "migrate", "--check").exit_code == 0
    assert ai_cost(url, "status").exit_code == 0
    engine.dispose()


def test_commands_still_migrate_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'laptop.db'}"
    assert ai_cost(url, "refresh", auto_migrate=True).exit_code == 0  # a command that writes
    assert ai_cost(url, "migrate", "--check").exit_code == 0
    assert ai_cost(url, "status", auto_migrate=True).exit_code == 0


def test_migrate_does_not_print_the_database_password(tmp_path: Path) -> None:
    result = ai_cost(f"sqlite:///{tmp_path / 'a.db'}", "migrate")
    assert result.exit_code == 0
    shown = ai_cost("postgresql+psycopg://u:s3cret@127.0.0.1:9/x", "migrate", "--check")
    assert shown.exit_code == 1 and "s3cret" not in shown.output
    assert "cannot read the schema version of postgresql+psycopg://u:***@127.0.0.1:9/x" in \
        one_line(shown)
