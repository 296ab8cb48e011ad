"""The `ai-cost` command: one Typer app, one module per group of commands."""

from __future__ import annotations

import logging
import os
import sys
from importlib import import_module, metadata

import typer

# The modules of the commands, in the order help lists them. Each is imported when the app is
# built: `ai-cost classify`, which needs no database, builds an app of its own command alone
# and starts without SQLAlchemy, Alembic or Slack's SDK (two seconds on a small machine).
MODULES = ("core", "classify", "collect", "status", "suggest", "digest", "ask", "slack", "model",
           "audit", "catalog", "check")
LIGHT = ("classify",)  # commands whose module imports nothing of the database
LEVELS = ("debug", "info", "warning", "error")
CHATTY = ("alembic", "matplotlib", "PIL", "httpx", "httpcore")  # their INFO is noise to users
WIDE_COLUMNS = "240"  # piped output: tables as wide as their content, not cut at 80


def version() -> str:
    """The installed distribution's version (the source tree's when not installed)."""
    try:
        return metadata.version("ai-cost")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ai-cost {version()}")
        raise typer.Exit()


def _options(
    show_version: bool = typer.Option(False, "--version", callback=_show_version,
                                      is_eager=True, help="Print the version and exit."),
    log_level: str = typer.Option(None, "--log-level", envvar="AI_COST_LOG_LEVEL",
                                  help=f"Log level on stderr: {', '.join(LEVELS)} (default: "
                                       "each command's own; warnings always show)."),
) -> None:
    """AI cost governance: GPU usage to energy, cost and CO2e; oversized jobs; digests."""
    level = logging.WARNING
    if log_level is not None:
        if log_level.lower() not in LEVELS:
            raise typer.BadParameter(f"one of {', '.join(LEVELS)}", param_hint="--log-level")
        level = getattr(logging, log_level.upper())
        logging.basicConfig(level=level, stream=sys.stderr, force=True,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

def build(modules: tuple[str, ...] = MODULES) -> typer.Typer:
    """The Typer app with the commands of `modules` (bot/cli/<module>.py)."""
    built = typer.Typer(
        name="ai-cost",
        help="AI cost governance: GPU usage to energy, cost and CO2e; oversized jobs; digests.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    built.callback()(_options)
    for name in modules:
        import_module(f"bot.cli.{name}").register(built)
    return built


def __getattr__(name: str) -> typer.Typer:
    """`bot.cli.app`: every command, built on first use."""
    if name == "app":
        globals()["app"] = built = build()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command(argv: list[str]) -> str | None:
    """The command a command line runs (its first word that is no option), or None."""
    words = iter(argv)
    for word in words:
        if word == "--log-level":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main() -> None:
    """Console entry point."""
    if not sys.stdout.isatty():
        os.environ.setdefault("COLUMNS", WIDE_COLUMNS)
    command = _command(sys.argv[1:])
    try:
        (build((command,)) if command in LIGHT else __getattr__("app"))()
    except Exception as exc:
        line = database_trouble(exc)
        if line is None:
            raise
        sys.stderr.write(f"error: {line}\n")
        raise SystemExit(1) from None


def database_trouble(exc: BaseException) -> str | None:
    """One line for a database the command cannot use (down, locked, read-only), else None.

    Every command shares this: an unreachable service is never a traceback.
    """
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(exc, errors.OperationalError | errors.InterfaceError):
        return None
    from bot.cli.common import shown_url
    from config.settings import Settings

    try:
        where = shown_url(Settings().database_url)
    except ValueError:  # invalid settings: the command has said so already
        where = "AI_COST_DATABASE_URL"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    if "readonly database" in reason:  # SQLite's words for a file this user cannot write
        return (f"the database at {where} is read-only ({reason}): this command writes to "
                "it; make the file and its folder writable for this user, or point "
                "AI_COST_DATABASE_URL at a writable copy")
    return (f"cannot use the database at {where}: {reason}; check AI_COST_DATABASE_URL and "
            "that the database runs and is writable")
