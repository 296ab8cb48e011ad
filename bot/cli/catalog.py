"""`ai-cost catalog`: the user's model catalog, which the judges read at once (no retraining)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from analyzers.classifier.catalog import (
    load_catalog,
    user_catalog,
    user_catalog_path,
    write_catalog,
)
from analyzers.classifier.catalog_import import merge, read_models
from bot.cli.common import err, fail

out = Console()
catalog_app = typer.Typer(help="The model catalog: import models, show what is known.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")


@catalog_app.command("import")
def import_models(
    file: Path = typer.Argument(..., help="CSV, JSON or JSON Lines exported from a model hub."),
) -> None:
    """Merge models (id, parameter count, tasks) into the user catalog; bad rows are listed.

    The catalog is AI_COST_CATALOG_DIR/model_catalog.csv, else next to the SQLite database.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from exc
    try:
        models, rejected = read_models(text)
    except ValueError as exc:  # not JSON where JSON was expected, a broken CSV
        raise fail(f"{file} is neither CSV nor JSON: {exc}") from exc
    for row in rejected:
        err.print(f"row {row.row}: {row.reason}", highlight=False, markup=False)
    path = user_catalog_path()
    merged, added, updated = merge(user_catalog(path), models)
    if models:
        write_catalog(path, merged)
    out.print(f"{path}: {added} added, {updated} updated, {len(rejected)} rejected; "
              f"{len(merged)} models there, {len(load_catalog())} shipped",
              highlight=False, markup=False)
    if rejected and not models:
        raise typer.Exit(1)


@catalog_app.command("show")
def show() -> None:
    """Where the user catalog is and what it holds."""
    path = user_catalog_path()
    models = user_catalog(path)
    out.print(f"user catalog {path}: {len(models)} models; shipped: {len(load_catalog())}",
              highlight=False, markup=False)
    for m in models:
        out.print(f"  {m.model_id}  {m.params_b:g} B  {';'.join(m.tasks)}",
                  highlight=False, markup=False)
