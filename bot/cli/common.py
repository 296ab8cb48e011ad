"""What every command shares: settings, organisation, database, and clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from config.organisation import Organisation, OrganisationError, load_organisation
from config.settings import Settings
from storage.db import make_engine, migrate, session
from storage.schema import SchemaState, schema_state

err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {exc}") from exc


def load_org(settings: Settings) -> Organisation:
    try:
        return load_organisation(settings.org_file)
    except OrganisationError as exc:
        raise fail(str(exc)) from exc


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


def open_database(settings: Settings) -> Engine:
    """An engine on the configured database at the latest schema.

    With auto_migrate (the default) the command migrates it first; without, it only checks,
    and stops with one line when the schema is not the one this release needs.
    """
    if settings.auto_migrate:
        migrate(settings.database_url)
        return make_engine(settings.database_url)
    engine = make_engine(settings.database_url)
    state = check_schema(engine)
    if not state.at_head:
        engine.dispose()
        raise fail(state.describe())
    return engine


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
