"""Core commands: migrate, status, demo, report."""

from __future__ import annotations

import typer

from bot.cli.common import load_settings, open_database


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_command)


def migrate_command() -> None:
    """Create or upgrade the database schema (Alembic) at AI_COST_DATABASE_URL."""
    settings = load_settings()
    open_database(settings).dispose()
    typer.echo(f"database at {settings.database_url} is at the latest schema")
