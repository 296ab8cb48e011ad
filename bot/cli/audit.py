"""`ai-cost audit` and `ai-cost suggestions`: every change to a suggestion, and where each is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from bot.cli.common import fail, load_settings, open_database, session_of

STATES = ("open", "approved", "applied", "failed", "manual", "done", "dismissed", "expired")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_command)
    app.command("suggestions")(suggestions_command)


def _since(text: str | None, now: datetime) -> datetime | None:
    """An ISO date or time (UTC unless it says), or a number of days back ('7d')."""
    if not text:
        return None
    if text.endswith("d") and text[:-1].isdigit():
        return now - timedelta(days=int(text[:-1]))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--since {text!r}: give a date (2026-11-02), a time, or days back (7d)"
                   ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def audit_command(
    team: str | None = typer.Option(None, help="Only this team's suggestions."),
    since: str | None = typer.Option(None, help="From this date or time (UTC), or '7d'."),
) -> None:
    """Every change to a suggestion, oldest first: when, who, what, from which state to which."""
    from storage import slack_repo

    settings = load_settings()
    now = settings.now or datetime.now(UTC)
    start = _since(since, now)
    engine = open_database(settings, create=False)
    try:
        with session_of(engine) as s:
            rows = slack_repo.audit_trail(session=s, team=team, since=start)
            lines = []
            for event, suggestion, job in rows:
                move = (f"{event.old_state} -> {event.new_state}"
                        if event.old_state != event.new_state else f"stays {event.new_state}")
                outcome = f" [{event.outcome}]" if event.outcome else ""
                detail = f": {event.detail}" if event.detail else ""
                lines.append(f"{_when(event.at)}  #{suggestion.id} {job.team}/"
                             f"{job.name or job.external_id}  {event.actor} {event.action}  "
                             f"{move}{outcome}{detail}")
    finally:
        engine.dispose()
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no changes" + (f" for team {team}" if team else "")
                   + (f" since {_when(start)}" if start else ""))


def suggestions_command(
    team: str | None = typer.Option(None, help="Only this team's suggestions."),
    state: str | None = typer.Option(None, help="Only this state: " + ", ".join(STATES) + "."),
) -> None:
    """Suggestions and the state each is in, newest week first."""
    from storage import slack_repo
    from storage.slack_repo import STATE_WORDS

    if state is not None and state not in STATES:
        raise fail(f"--state {state!r}: one of {', '.join(STATES)}")
    settings = load_settings()
    engine = open_database(settings, create=False)
    try:
        with session_of(engine) as s:
            rows = [(sg.id, sg.week, sg.state, j.team, j.name or j.external_id, sg.title,
                     sg.saved_cost_usd_week)
                    for sg, j in slack_repo.suggestions_in(session=s, team=team, state=state)]
    finally:
        engine.dispose()
    for sid, week, st, team_name, job, title, saved in rows:
        typer.echo(f"#{sid} {week} {team_name}/{job}  {STATE_WORDS.get(st, st)}  "
                   f"${saved:,.2f}/week  {title}")
    if not rows:
        typer.echo("no suggestions" + (f" in state {state}" if state else "")
                   + (f" for team {team}" if team else ""))
