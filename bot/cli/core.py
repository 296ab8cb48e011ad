"""Core commands: migrate, demo, report."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from analyzers.ratings import label_change
from bot.cli.common import (
    check_schema,
    fail,
    load_org,
    load_settings,
    open_database,
    shown_url,
    transaction,
)
from bot.demo import last_full_week, run_demo
from bot.digests import build_digests
from bot.pipeline import refresh
from reports import format as fmt
from storage import queries
from storage.db import make_engine, migrate
from storage.suggestions_repo import realized_savings, suggestion_counts


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_command)
    app.command("demo")(demo)
    app.command("report")(report)


def migrate_command(
    check: bool = typer.Option(False, "--check", help="Only check: exit 0 when the schema is "
                               "the latest, 1 otherwise; never migrates."),
) -> None:
    """Create or upgrade the database schema (Alembic) at AI_COST_DATABASE_URL."""
    settings = load_settings()
    if check:
        engine = make_engine(settings.database_url)
        try:
            state = check_schema(engine)
        finally:
            engine.dispose()
        if not state.at_head:
            raise fail(state.describe())
        typer.echo(state.describe())
        return
    migrate(settings.database_url)
    typer.echo(f"database at {shown_url(settings.database_url)} is at the latest schema")


def demo(
    week: str = typer.Option(None, help="ISO week to simulate, e.g. 2026-W47 (default: last "
                                        "full week)."),
    gpus: int = typer.Option(96, min=8, max=400, help="GPUs in the simulated clusters."),
    seed: int = typer.Option(7, help="Seed: the same seed gives the same week."),
    days: float = typer.Option(7.0, min=0.25, max=7.0, help="Days of the week to simulate."),
) -> None:
    """Simulate a week of several teams' GPU jobs, ingest, judge, and show the digests."""
    settings = load_settings()
    organisation = load_org(settings)
    week = week or last_full_week(datetime.now(UTC))
    try:
        queries.week_bounds(week)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    console = Console()
    engine = open_database(settings)
    result = run_demo(settings=settings, organisation=organisation, engine=engine, week=week,
                      gpus=gpus, seed=seed, days=days, console=console)
    s = result.samples
    console.print(
        f"{result.jobs} jobs; {s.accepted:,} new samples, {s.duplicates:,} already stored, "
        f"{len(s.rejected)} rejected. Digests for {len(result.digests)} teams in "
        f"{settings.out_dir}/ ({result.seconds:.1f} s). Database: {settings.database_url}"
    )


def report(
    team: str = typer.Option(None, help="Only this team."),
    week: str = typer.Option(None, help="ISO week, e.g. 2026-W47 (default: latest with data)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with a teams list."),
) -> None:
    """Energy, cost and CO2e per team for a week, as the digest shows them."""
    settings = load_settings()
    organisation = load_org(settings)
    engine = open_database(settings)
    with transaction(engine) as session:
        refresh(session=session, settings=settings)
        weeks = queries.weeks_with_data(session=session)
        if week is None:
            if not weeks:
                raise fail("no usage stored yet: run `ai-cost demo` or start a collector")
            week = weeks[-1]
        try:
            queries.week_bounds(week)
        except ValueError as exc:
            raise fail(str(exc)) from exc
        known = {t.name for t in organisation.teams}
        if team is not None and team not in known:
            seen = {j.team for j in queries.job_weeks(session=session, week=week)}
            if team not in seen:
                raise fail(f"unknown team {team!r}; teams: {', '.join(sorted(known | seen))}")
        digests = build_digests(session=session, organisation=organisation, week=week,
                                now=datetime.now(UTC), teams=[team] if team else None)
        extras = {d.team: {
            "suggestions": suggestion_counts(session=session, team=d.team, week=week),
            "realized_savings": [r.to_json() for r in realized_savings(
                session=session, team=d.team, week=week, organisation=organisation)],
        } for d in digests}
    rows = [{
        "team": d.team, "week": d.week,
        "energy_kwh": round(d.figures.energy_kwh, 3), "cost_usd": round(d.figures.cost_usd, 2),
        "gpu_cost_usd": round(d.figures.gpu_cost_usd, 2),
        "energy_cost_usd": round(d.figures.energy_cost_usd, 2),
        "co2e_kg": round(d.figures.co2e_kg, 3), "gpu_hours": round(d.figures.gpu_hours, 2),
        "jobs": d.figures.jobs, "oversized_jobs": d.figures.oversized_jobs,
        "energy_change_pct": _round(d.change_pct("energy_kwh")),
        "label": d.label, "previous_label": d.previous_label,
        "label_change": label_change(d.previous_label, d.label),
        "rank": d.rank, "teams_ranked": d.teams_ranked,
        "jobs_by_label": d.jobs_by_label,
        **extras[d.team],
    } for d in digests]
    if as_json:
        typer.echo(json.dumps({"week": week, "teams": rows}))
        return
    table = Table(title=f"AI cost by team, {week}")
    for column in ("team", "label", "energy", "cost", "CO2e", "GPU-hours", "jobs", "oversized",
                   "vs last week"):
        table.add_column(column, justify="left" if column == "team" else "right")
    for d in digests:
        f = d.figures
        table.add_row(d.team, d.label or "-", fmt.kwh(f.energy_kwh), fmt.usd(f.cost_usd),
                      fmt.kg(f.co2e_kg),
                      f"{f.gpu_hours:,.0f}", str(f.jobs), str(f.oversized_jobs),
                      fmt.change(d.change_pct("energy_kwh")))
    Console().print(table)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
