"""`ai-cost ask "QUESTION"`: the same answers as `/ai-cost ask` in Slack, in the terminal."""

from __future__ import annotations

import json
import re

import typer

from bot.cli.common import load_org, load_settings, open_database, transaction


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_command)


def ask_command(
    question: str = typer.Argument(..., help="In plain words, e.g. \"how much did team vision "
                                   "spend on A100s last week?\""),
    as_user: str | None = typer.Option(None, "--as", help="Answer as this cluster user would "
                                       "see it (their team only). Default: every team."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object: text, numbers, "
                                 "sources, command."),
) -> None:
    """Ask about usage, cost, energy, CO2e, top jobs, labels, suggestions or budgets."""
    from bot.ask import Viewer, answer_question, viewer_for_user  # LangChain: only when asked

    settings = load_settings()
    organisation = load_org(settings)
    viewer = (Viewer.operator() if as_user is None else
              viewer_for_user(organisation, as_user, finops=settings.ask_finops_users))
    engine = open_database(settings, create=False)
    try:
        with transaction(engine) as session:
            answer = answer_question(question, viewer, session=session,
                                     organisation=organisation, settings=settings,
                                     now=settings.clock())
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(answer.to_json(), default=str))
    else:
        typer.echo(re.sub(r"\*([^*\n]+)\*", r"\1", answer.text))
        for source in answer.sources:
            typer.echo(f"Source: {source.describe()}")
        if answer.cli_command:
            typer.echo(f"Next: ai-cost {answer.cli_command}")
    if answer.how == "error":
        raise typer.Exit(1)
