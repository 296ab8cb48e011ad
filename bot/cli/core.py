"""Core commands: migrate, demo, report."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from analyzers.ratings import label_change
from bot.api_tables import team_rows, to_csv
from bot.cli.common import (
    check_schema,
    fail,
    load_org,
    load_settings,
    no_database,
    open_database,
    read_url,
    session_of,
    shown_url,
    sqlite_file_missing,
    transaction,
)
from bot.demo import last_full_week, run_demo
from bot.digests import build_digests
from bot.pipeline import refresh
from domain.weeks import last_complete_week, week_bounds, week_of
from reports import format as fmt
from reports.format import as_of_note
from storage.db import make_engine, migrate
from storage.ledger_repo import judged_weeks, load_ledger
from storage.suggestions_repo import suggestion_counts


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_command)
    app.command("demo")(demo)
    app.command("report")(report)
    app.command("refresh")(refresh_command)


def migrate_command(
    check: bool = typer.Option(False, "--check", help="Only check: exit 0 when the schema is "
                               "the latest, 1 otherwise; never migrates."),
    as_json: bool = typer.Option(False, "--json", help="With --check: one JSON object (current "
                                 "and needed revisions, at_head, message); the same exit code."),
) -> None:
    """Create or upgrade the database schema (Alembic) at AI_COST_DATABASE_URL."""
    settings = load_settings()
    if check:
        if sqlite_file_missing(settings.database_url):
            if as_json:
                typer.echo(json.dumps({"database": shown_url(settings.database_url),
                                       "exists": False, "at_head": False, "current": [],
                                       "heads": [], "message": "no ai-cost database there"}))
                raise typer.Exit(1)
            raise no_database(settings.database_url)  # a check creates nothing
        engine = make_engine(read_url(settings.database_url))
        try:
            state = check_schema(engine)
        finally:
            engine.dispose()
        if as_json:
            typer.echo(json.dumps({"database": shown_url(settings.database_url), "exists": True,
                                   "at_head": state.at_head, "ahead": state.ahead,
                                   "current": sorted(state.current),
                                   "heads": sorted(state.heads),
                                   "message": state.describe()}))
            raise typer.Exit(0 if state.at_head else 1)
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
    week = week or last_full_week(settings.clock())
    try:
        week_bounds(week)
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
        f"{settings.out_dir}/ ({result.seconds:.1f} s). "
        f"Database: {shown_url(settings.database_url)}"
    )


def refresh_command(
    week: list[str] = typer.Option(None, "--week", help="ISO week to judge (repeatable; "
                                   "default: the week under way, the last complete week if "
                                   "not judged yet, and recent weeks with new data)."),
) -> None:
    """Roll up new samples and judge weeks into the ledger every surface reads."""
    settings = load_settings()
    organisation = load_org(settings)
    for w in week or []:
        try:
            week_bounds(w)
        except ValueError as exc:
            raise fail(str(exc)) from exc
    engine = open_database(settings)
    with transaction(engine) as session:
        result = refresh(session=session, settings=settings, organisation=organisation,
                         now=settings.clock(), weeks=[w.upper() for w in week] if week else None)
    typer.echo(f"rolled up {result.gpu_days} GPU-days; judged {', '.join(result.weeks) or '-'}"
               + (f"; {result.bad_counter_steps} energy-counter jumps treated as resets"
                  if result.bad_counter_steps else ""))


def resolve_week(week: str | None, now: datetime) -> tuple[str, bool]:
    """The week asked for: default the last complete one; `current` the one under way.

    Returns the week and whether it is the week under way (shown as "so far").
    """
    if week is None:
        return last_complete_week(now), False
    if week.lower() in ("current", "this"):
        return week_of(now), True
    try:
        week_bounds(week)
    except ValueError as exc:
        raise fail(f"{exc}, or `current`") from exc
    week = week.upper()
    return week, week == week_of(now)


def report(
    team: str = typer.Option(None, help="Only this team."),
    week: str = typer.Option(None, help="ISO week, e.g. 2026-W47, or `current` for the week "
                                        "so far (default: the last complete week, UTC)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with a teams list."),
    as_csv: bool = typer.Option(False, "--csv", help="Chargeback CSV: one row per team, "
                                "amounts in the organisation's currency (as GET "
                                "/api/v1/teams?format=csv)."),
) -> None:
    """Energy, cost and CO2e per team for a week, as the digest shows them (reads only)."""
    settings = load_settings()
    organisation = load_org(settings)
    week, _ = resolve_week(week, settings.clock())
    engine = open_database(settings, create=False)
    with session_of(engine) as session:
        ledger = load_ledger(session=session, week=week)
        if ledger is None:
            judged = judged_weeks(session=session)
            raise fail(f"{week} has not been judged: run `ai-cost refresh --week {week}` "
                       + (f"(judged weeks: {', '.join(judged[-4:])})" if judged else
                          "(nothing judged yet: run `ai-cost demo` or start a collector)"))
        known = {t.name for t in organisation.teams} | set(ledger.teams)
        if team is not None and team not in known:
            raise fail(f"unknown team {team!r}; teams: {', '.join(sorted(known))}")
        if as_csv:
            chosen = [t for t in ledger.teams if team is None or t == team]
            typer.echo(to_csv("teams", team_rows(ledger, session=session,
                                                 organisation=organisation, teams=chosen),
                              organisation.currency), nl=False)
            return
        digests = build_digests(session=session, organisation=organisation, week=week,
                                now=settings.clock(), teams=[team] if team else None)
        counts = {d.team: suggestion_counts(session=session, team=d.team, week=week)
                  for d in digests}
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
        "budget": [{"metric": b.metric, "budget": b.budget, "spent": round(b.spent, 3),
                    "pct": round(b.pct, 1)} for b in d.budget],
        "defaults": d.defaults,
        "suggestions": counts[d.team],
        "realized_savings": [r.to_json() for r in ledger.realized.get(d.team, [])],
    } for d in digests]
    status = as_of_note(ledger)
    if as_json:
        typer.echo(json.dumps({
            "week": week, "hours": round(ledger.hours, 1), "complete": ledger.complete,
            "as_of": status.as_of, "newer_data_not_counted": ledger.stale, "teams": rows,
            "clusters": [{"cluster": c.cluster, "gpu_hours": round(c.gpu_hours, 2),
                          "idle_gpu_hours": round(c.idle_gpu_hours, 2),
                          "idle_share": round(c.idle_share, 4),
                          "idle_cost_usd": round(c.idle_cost_usd, 2)}
                         for c in ledger.clusters.values()]}))
        return
    title = f"AI cost by team, {week}"
    if not ledger.complete:
        title += f" (so far, {ledger.hours:.0f} of 168 hours)"
    table = Table(title=title, caption=status.text)
    for column in ("team", "label", "rank", "energy", "cost", "CO2e", "GPU-hours", "runs",
                   "oversized", "vs last week"):
        table.add_column(column, justify="left" if column == "team" else "right")
    for d in digests:
        f = d.figures
        table.add_row(d.team, d.label or "-", str(d.rank or "-"), fmt.kwh(f.energy_kwh),
                      fmt.usd(f.cost_usd), fmt.kg(f.co2e_kg), f"{f.gpu_hours:,.0f}",
                      str(f.jobs), str(f.oversized_jobs), fmt.change(d.change_pct("energy_kwh")))
    console = Console()
    console.print(table)
    idle = [c for c in ledger.clusters.values() if c.idle_gpu_hours > 0]
    for c in idle:
        console.print(f"{c.cluster}: {c.idle_gpu_hours:,.0f} GPU-hours held by no job "
                      f"({c.idle_share:.0%} of {c.gpu_hours:,.0f}), {fmt.usd(c.idle_cost_usd)}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
