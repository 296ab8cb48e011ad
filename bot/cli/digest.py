"""Digest commands: `ai-cost digest` (show or post one now) and `ai-cost scheduler`."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import typer
from prometheus_client import CollectorRegistry, start_http_server
from rich.console import Console

from analyzers.standings import build_org_digest
from bot.cli.common import fail, load_org, load_settings, open_database, session_of
from bot.digests import DigestService, WeekNotJudged, build_digests, digest_week
from bot.metrics import SchedulerMetrics
from bot.scheduler import build_scheduler
from bot.slack import ChannelPacer, Poster, SlackNotConfigured, make_client
from config.organisation import UNASSIGNED
from domain.weeks import week_bounds
from reports.terminal import render_markdown_full, render_org_markdown, render_rich, render_text


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
    app.command("scheduler")(scheduler)


def _week(week: str | None, timezone: str, now: datetime) -> str:
    week = week or digest_week(now, timezone)
    try:
        week_bounds(week)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    return week.upper()


def digest(
    team: str = typer.Option(None, help="The team (see the organisation file), or "
                             f"`{UNASSIGNED}` for the usage no team owns."),
    org: bool = typer.Option(False, "--org", help="The organisation-wide ranking instead."),
    week: str = typer.Option(None, help="ISO week, e.g. 2026-W47 (default: last full week)."),
    post: bool = typer.Option(False, "--post", help="Post it to the team's Slack channel."),
    force: bool = typer.Option(False, "--force", help="With --post: post again even if this "
                                                       "week's digest was already posted."),
    markdown: bool = typer.Option(False, "--markdown", help="Markdown instead of the panel."),
    text: bool = typer.Option(False, "--text", help="Plain text instead of the panel."),
    as_json: bool = typer.Option(False, "--json", help="The digest's data as JSON."),
) -> None:
    """Show a team's weekly digest now, or post it (once per team and week)."""
    settings = load_settings()
    organisation = load_org(settings)
    if (team is None) == (not org):
        raise fail("give --team T or --org")
    config = organisation.team(team) if team else None
    if team and team != UNASSIGNED and config is None:
        raise fail(f"unknown team {team!r}; the organisation file lists "
                   f"{', '.join(t.name for t in organisation.teams) or 'none'}, "
                   f"and {UNASSIGNED} (the usage no team owns)")
    if force and not post:
        raise fail("--force only makes sense with --post")
    if post and team == UNASSIGNED:
        raise fail(f"{UNASSIGNED} usage belongs to no team, so its digest has no Slack channel "
                   f"to post to; `ai-cost digest --team {UNASSIGNED}` shows it")
    week = _week(week, config.timezone if config else "UTC", settings.clock())
    engine = open_database(settings, create=post)
    console = Console()
    if post:
        try:
            poster = Poster(make_client(settings), pacer=ChannelPacer())
        except SlackNotConfigured as exc:
            raise fail(str(exc)) from exc
        service = DigestService(engine=engine, organisation=organisation, poster=poster,
                                clock=settings.clock)
        outcome = (service.post_org(week, force=force) if org
                   else service.post_team(team, week, force=force))
        if outcome.status == "posted":
            typer.echo(f"posted {outcome.team} {week} (ts {outcome.message_ts})"
                       + (f": {outcome.detail}" if outcome.detail else ""))
            return
        if outcome.status == "skipped":
            typer.echo(f"not posted: {outcome.team} {week} {outcome.detail}")
            return
        raise fail(f"{outcome.team} {week} not posted ({outcome.status}): {outcome.detail}"
                   + ("; kept for retry by the scheduler" if outcome.status == "failed" else ""))
    try:
        with session_of(engine) as session:
            digests = build_digests(session=session, organisation=organisation, week=week,
                                    now=settings.clock())
    except WeekNotJudged as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()
    if org:
        typer.echo(render_org_markdown(build_org_digest(
            week, digests, slack_channel=organisation.finops_channel)))
        return
    mine = next((d for d in digests if d.team == team), None)
    if mine is None:  # only unassigned usage can be absent: every configured team has one
        typer.echo(f"no usage without a team in {week}: nothing is {UNASSIGNED}")
        return
    if as_json:
        typer.echo(json.dumps(mine.to_json(), indent=2, default=str))
    elif markdown:
        typer.echo(render_markdown_full(mine))
    elif text:
        typer.echo(render_text(mine))
    else:
        console.print(render_rich(mine))
        console.print(render_text(mine).split("\n\n")[0], highlight=False)


def scheduler(
    once_at: str = typer.Option(None, "--once-at", help="Run the jobs due at this ISO time "
                                                        "(e.g. 2026-11-30T09:00+01:00) and exit."),
    no_periodic: bool = typer.Option(False, "--no-periodic", help="Only the digests."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", min=0, max=65535,
        help="Serve the scheduler's GET /metrics on this port (default: "
             "AI_COST_SCHEDULER_METRICS_PORT; unset: none)."),
) -> None:
    """Run the schedule: each team's digest at its local time, roll-ups, budgets, retries."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = load_settings()
    organisation = load_org(settings)
    engine = open_database(settings)
    metrics_port = settings.scheduler_metrics_port if metrics_port is None else metrics_port
    clock_at: datetime | None = None
    if once_at:
        try:
            clock_at = datetime.fromisoformat(once_at)
        except ValueError as exc:
            raise fail(f"--once-at: {exc}") from exc
        if clock_at.tzinfo is None:
            clock_at = clock_at.replace(tzinfo=UTC)
    clock = (lambda: clock_at) if clock_at else settings.clock
    metrics = None
    if metrics_port is not None and clock_at is None:
        metrics = SchedulerMetrics(CollectorRegistry(), clock)
    try:
        schedule = build_scheduler(settings, organisation, engine, clock=clock,
                                   periodic={} if no_periodic else None,
                                   wall_clock=clock_at is None, metrics=metrics)
    except SlackNotConfigured as exc:
        raise fail(str(exc)) from exc
    if metrics is not None and metrics_port is not None:
        try:
            start_http_server(metrics_port, addr="0.0.0.0", registry=metrics.registry)  # noqa: S104
        except OSError as exc:
            raise fail(f"cannot serve metrics on port {metrics_port}: {exc}") from exc
        typer.echo(f"scheduler metrics on :{metrics_port}/metrics")
    if clock_at is None:
        typer.echo(f"scheduler: {len(organisation.teams)} teams; Ctrl-C or SIGTERM stops it")
        schedule.serve()
        return
    schedule.start(paused=True)
    try:
        ran = schedule.run_due(clock_at)
    finally:
        schedule.shutdown()
    typer.echo(f"ran {len(ran)} due job(s) at {clock_at.isoformat()}: {', '.join(ran) or '-'}")
