"""What every command shares: settings, organisation, database, and clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session

from config.organisation import Organisation, OrganisationError, load_organisation
from config.settings import Settings
from storage.db import make_engine, migrate, session

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


def open_database(settings: Settings) -> Engine:
    """An engine on the configured database, migrated to the latest schema."""
    migrate(settings.database_url)
    return make_engine(settings.database_url)


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
