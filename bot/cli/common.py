"""What every command shares: settings, organisation, database, and clear failures.

The first three live in bot/cli/basics.py (commands without a database import only those).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.cli.basics import err, fail, load_org, load_settings  # noqa: F401 (re-exported)
from config.settings import Settings
from storage.db import make_engine, migrate, session
from storage.schema import SchemaState, schema_state


def shown_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def check_schema(engine: Engine) -> SchemaState:
    """Where the schema of `engine`'s database stands; one clear line if it cannot be read."""
    try:
        return schema_state(engine)
    except SQLAlchemyError as exc:
        raise fail(f"cannot read the schema version of {shown_url(str(engine.url))}: "
                   f"{str(exc).splitlines()[0][:300]}") from exc


def no_database(url: str) -> typer.Exit:
    """One line: no ai-cost database where the settings point, and what to run."""
    return fail(f"no ai-cost database at {_where(url)}: run `ai-cost demo` to fill one with a "
                "simulated week, or `ai-cost migrate` to create an empty one "
                "(AI_COST_DATABASE_URL says where)")


def _where(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return str(Path(parsed.database or "").resolve())
    return shown_url(url)


def sqlite_file_missing(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    name = parsed.database
    if name == ":memory:" or name.startswith("file:"):
        return False
    return not Path(name).exists()


def read_url(url: str) -> str:
    """The URL a command that only reads opens `url` with.

    A SQLite file in WAL mode needs its -shm file: in a folder this user cannot write,
    without one, SQLite cannot even read it. Such a file, which no process has open for
    writing (no -wal or -shm beside it) and this user cannot write either, is read as it
    stands (SQLite's immutable=1). Every other URL is unchanged.
    """
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:") or \
            name.startswith("file:"):
        return url
    path = Path(name).resolve()
    if not path.is_file() or os.access(path, os.W_OK) or os.access(path.parent, os.W_OK):
        return url
    if any(path.with_name(path.name + suffix).exists() for suffix in ("-wal", "-shm")):
        return url
    return f"sqlite:///file:{path}?immutable=1&uri=true"


def _existing_schema(engine: Engine) -> SchemaState:
    """The schema of a database that must already exist; one line when it does not."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        state = schema_state(engine)
    except SQLAlchemyError as exc:
        if re.search(r'database ".*" does not exist', str(exc)):
            engine.dispose()
            raise no_database(url) from exc
        engine.dispose()
        raise fail(f"cannot read the schema version of {shown_url(url)}: "
                   f"{str(exc).splitlines()[0][:300]}") from exc
    if not state.current:
        engine.dispose()
        raise no_database(url)
    return state


def open_database(settings: Settings, *, create: bool = True) -> Engine:
    """An engine on the configured database at the latest schema.

    With auto_migrate (the default) the command migrates it first; without, it only checks,
    and stops with one line when the schema is not the one this release needs. With
    `create=False` (commands that only read) a database that does not exist or has no schema
    is never created: one line says where it was looked for and what to run.
    """
    url = settings.database_url
    if create and settings.auto_migrate:
        migrate(url)
        return make_engine(url)
    if not create and sqlite_file_missing(url):
        raise no_database(url)
    engine = make_engine(url if create else read_url(url))
    state = check_schema(engine) if create else _existing_schema(engine)
    if state.at_head:
        return engine
    if settings.auto_migrate and not state.ahead:
        migrate(url)  # an existing schema brought up to date, as every command does
        return engine
    engine.dispose()
    raise fail(state.describe())


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on failure."""
    with session(engine) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


@contextmanager
def session_of(engine: Engine) -> Iterator[Session]:
    """A session for a command that only reads: whatever happens, nothing is committed."""
    with session(engine) as s:
        try:
            yield s
        finally:
            s.rollback()
