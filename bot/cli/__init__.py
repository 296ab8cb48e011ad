"""The `ai-cost` command: one Typer app, one module per group of commands."""

from __future__ import annotations

import typer

from bot.cli import ask, audit, classify, collect, core, digest, model, slack, status, suggest

app = typer.Typer(
    name="ai-cost",
    help="AI cost governance: GPU usage to energy, cost and CO2e; oversized jobs; digests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for module in (core, classify, collect, status, suggest, digest, ask, slack, model, audit):
    module.register(app)


def main() -> None:
    """Console entry point."""
    app()
