"""What every command needs and nothing more: error lines, settings, the organisation file.

Kept apart from bot/cli/common.py (databases, migrations), so that a command that needs no
database (`ai-cost classify`) starts without importing SQLAlchemy and Alembic.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from config.organisation import Organisation, OrganisationError, load_organisation
from config.settings import Settings, settings_problems

err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {settings_problems(exc)}") from exc


def load_org(settings: Settings, *, warn: bool = True) -> Organisation:
    """The organisation file; its problems logged once unless `warn` is false."""
    try:
        return load_organisation(settings.org_file, warn=warn)
    except OrganisationError as exc:
        raise fail(str(exc)) from exc
