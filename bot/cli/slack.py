"""Slack commands: `ai-cost slack socket` (Socket Mode) and `ai-cost slack nudge`."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli.common import fail, load_org, load_settings, open_database

slack_app = typer.Typer(help="The Slack bot: Socket Mode, nudges.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(slack_app, name="slack")
    slack_app.command("socket")(socket_command)
    slack_app.command("nudge")(nudge_command)


def socket_command() -> None:
    """Serve Slack over Socket Mode (SLACK_APP_TOKEN, SLACK_BOT_TOKEN); no public URL needed."""
    from bot.app import SlackSetupError
    from bot.slack_http import run_socket_mode

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # its tracebacks hide the cause
    settings = load_settings()
    try:
        run_socket_mode(settings, load_org(settings), open_database(settings))
    except (SlackSetupError, ConnectionError) as exc:
        raise fail(str(exc)) from exc


def nudge_command(
    per_job: int = typer.Option(1, min=0, help="Messages a day about one job, per person."),
    per_person: int = typer.Option(3, min=0, help="Messages a day to one person in all."),
) -> None:
    """Send the due nudges now: DMs to owners of flagged jobs, praise to improved teams."""
    from bot.app import SlackSetupError, build_services, web_client

    settings = load_settings()
    try:
        client = web_client(settings)
    except SlackSetupError as exc:
        raise fail(str(exc)) from exc
    services = build_services(organisation=load_org(settings), engine=open_database(settings),
                              client=client)
    services.nudges.per_job_per_day, services.nudges.per_person_per_day = per_job, per_person
    report = services.nudges.send_due()
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items())) or "none"
    typer.echo(f"sent {len(report.sent)} nudges, praised {len(report.praised)} teams; "
               f"skipped: {skipped}")
