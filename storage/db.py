"""Engines, sessions and migrations: the one place that knows how to reach the database."""

from __future__ import annotations

import sqlite3
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlmodel import Session


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so processes can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                # A read-only file keeps its journal mode: reads work, a write then fails
                # with SQLite's "attempt to write a readonly database".
                if "readonly" not in str(exc):
                    raise
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(_connect_timeout(url), pool_pre_ping=True, **kwargs)


def _connect_timeout(url: str) -> str:
    """`url` with libpq's connect_timeout (10 s) unless it names one.

    A host that never answers then fails a command in seconds instead of hanging it.
    """
    parsed = make_url(url)
    if "connect_timeout" in parsed.query:
        return url
    return parsed.update_query_dict({"connect_timeout": "10"}).render_as_string(
        hide_password=False)


def session(engine: Engine) -> Session:
    """A new session; the caller owns the transaction."""
    return Session(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    if url.startswith("postgresql"):
        url = _connect_timeout(url)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (all migrations by default)."""
    command.upgrade(alembic_config(url), revision)
