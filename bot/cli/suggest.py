"""`ai-cost suggest` (what to do instead of a job) and `ai-cost rate` (models' stars)."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import typer

from analyzers.catalog import SCORE_TASKS
from analyzers.ratings import ModelRow, rate_models
from bot.cli.common import fail, load_org, load_settings, open_database, session_of
from domain.ledger import JobLine
from domain.weeks import last_complete_week, week_bounds, week_of
from reports import format as fmt
from reports.blocks import served_text
from storage.ledger_repo import judged_weeks, load_ledger, stale_weeks
from storage.served_repo import load_served

RATE_COLUMNS = ("model", "task", "energy_kwh_per_1000_queries")
PUBLISHED_COLUMNS = ("model", "total_gpu_energy", "energy_score")  # AI Energy Score tables
ENERGY_COLUMNS = ("energy_kwh_per_1000_queries", "total_gpu_energy")


def register(app: typer.Typer) -> None:
    app.command("suggest")(suggest_command)
    app.command("rate")(rate_command)


def suggest_command(
    job: str = typer.Option(..., "--job", help="The job's id as its scheduler shows it."),
    week: str | None = typer.Option(None, "--week", help="ISO week (2026-W47); default: "
                                    "the latest judged week the job ran."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of text."),
) -> None:
    """What to do instead of a job's runs, and what each saves in the week (reads only)."""
    settings = load_settings()
    load_org(settings)  # a broken organisation file says so before anything else
    if week is not None:
        try:
            week_bounds(week)
        except ValueError as exc:
            raise fail(str(exc)) from exc
    engine = open_database(settings, create=False)
    try:
        with session_of(engine) as session:
            weeks = [week.upper()] if week else list(reversed(judged_weeks(session=session)))
            lines: list[JobLine] = []
            candidate = None
            for candidate in weeks:
                ledger = load_ledger(session=session, week=candidate)
                lines = [ln for ln in ledger.lines() if ln.job.external_id == job] \
                    if ledger else []
                if lines:
                    break
    finally:
        engine.dispose()
    if not lines:
        where = f"in {week}" if week else "in any judged week"
        raise fail(f"no run of job {job!r} {where}; `ai-cost status` shows what is stored, "
                   "`ai-cost refresh` judges new data")
    runs = [{
        "run": ln.job.run_key, "team": ln.job.team, "task": ln.verdict.task,
        "gpus": ln.job.gpus, "gpu_type": ln.job.gpu_type, "hours": round(ln.job.duration_s
                                                                          / 3600, 2),
        "oversized": ln.verdict.oversized, "reasons": ln.verdict.reasons, "label": ln.label,
        "energy_kwh": round(ln.cost.energy_kwh, 6), "cost_usd": round(ln.cost.cost_usd, 4),
        "gpu_hours": round(ln.cost.gpu_hours, 4),
        "suggestions": [s.to_json() | {"id": s.id, "state": s.state} for s in ln.suggestions],
    } for ln in lines]
    if as_json:
        typer.echo(json.dumps({"job_id": job, "week": candidate, "runs": runs}))
        return
    for ln in lines:
        typer.echo(f"{job} ({ln.job.team}, {ln.verdict.task}), {candidate}, run from "
                   f"{fmt.moment(ln.job.first_ts)} on {ln.job.gpus}x {ln.job.gpu_type}: "
                   f"label {ln.label}, {fmt.usd(ln.cost.cost_usd)}, "
                   f"{ln.cost.energy_kwh:.2f} kWh, {ln.cost.gpu_hours:.1f} GPU-hours")
        if not ln.suggestions:
            typer.echo("  Nothing to change: no cheaper alternative for this run.")
        for i, s in enumerate(ln.suggestions, start=1):
            projected = (f" (projected to a full week: ${s.projected_cost_usd_week:,.2f})"
                         if s.projected_cost_usd_week is not None else "")
            typer.echo(f"  {i}. {s.title}\n     saves about {s.saved_energy_kwh_week:.2f} kWh, "
                       f"${s.saved_cost_usd_week:,.2f} and {s.saved_co2e_kg_week:.2f} kg CO2e "
                       f"in the week{projected} (confidence {s.confidence:.0%}, {s.state})"
                       f"\n     {s.note}")


def _csv_files(path: Path) -> list[Path]:
    """The file, or every CSV file in the folder (the published tables: one file a task)."""
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise fail(f"{path}: no .csv file in this folder")
        return files
    return [path]


def _task_of_file(path: Path, columns: list[str]) -> str | None:
    """None when the file has a task column; else its task, named by the file (asr.csv)."""
    if "task" in columns:
        return None
    if path.stem in SCORE_TASKS:
        return path.stem
    raise fail(f"{path}: no task column, and {path.stem!r} is not a task of the AI Energy Score "
               f"({', '.join(SCORE_TASKS)}): add a task column or name the file after its task")


def _read_rows(path: Path) -> list[tuple[str, ModelRow]]:
    """Rows of a models CSV (or a folder of them), each with its file and line.

    Two layouts: model, task, energy_kwh_per_1000_queries[, class], and the AI Energy Score
    tables as published (model, total_gpu_energy, energy_score[, class]; one file a task,
    named after it). Bad rows are reported on stderr with their line and skipped.
    """
    rows = []
    for file in _csv_files(path):
        try:
            handle = file.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise fail(f"cannot read {file}: {exc.strerror}") from exc
        with handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            reader.fieldnames = columns
            energy_column = next((c for c in ENERGY_COLUMNS if c in columns), None)
            if "model" not in columns or energy_column is None:
                raise fail(f"{file}: expected the columns {', '.join(RATE_COLUMNS)}[, class], or "
                           f"the published {', '.join(PUBLISHED_COLUMNS)}[, class] in a file "
                           "named after its task; it has " + (", ".join(columns) or "none"))
            file_task = _task_of_file(file, columns)
            for row in reader:
                where = f"{file}: line {reader.line_num}"
                model = (row.get("model") or "").strip()
                task = file_task or (row.get("task") or "").strip()
                text = (row.get(energy_column) or "").strip()
                try:
                    energy = float(text)
                except ValueError:
                    energy = math.nan
                reason = ("model is empty" if not model else "task is empty" if not task
                          else f"{energy_column} {text!r} is not a number >= 0"
                          if not (math.isfinite(energy) and energy >= 0) else None)
                if reason:
                    typer.echo(f"{where}: {reason}", err=True)
                    continue
                size_class = (row.get("class") or "").strip().upper() or None
                rows.append((where, ModelRow(model=model, task=task, energy_kwh_per_1000=energy,
                                             size_class=size_class)))
    return rows


def rate_command(
    input: Path | None = typer.Option(None, "--input", "-i", help="CSV: model, task, "
                                      "energy_kwh_per_1000_queries[, class]; or a published AI "
                                      "Energy Score table (model, total_gpu_energy, ...) or a "
                                      "folder of them."),
    reference: Path | None = typer.Option(None, "--reference", help="Rate against this "
                                          "table or folder (either layout) instead of the "
                                          "input's rows."),
    served: bool = typer.Option(False, "--served", help="The models your teams serve, "
                                "measured in production: Wh per 1,000 requests, idle share, "
                                "stars, trend (docs/served.md)."),
    team: str | None = typer.Option(None, "--team", help="With --served: one team."),
    week: str | None = typer.Option(None, "--week", help="With --served: ISO week (2026-W47); "
                                    "default: the last complete week."),
    as_json: bool = typer.Option(False, "--json", help="With --served: one JSON object."),
) -> None:
    """Stars (1 to 5) per model by the AI Energy Score method, as JSON lines.

    A row the reference cannot rate (its task or class is not there) is reported on stderr
    with the reason; the other rows are rated. With --served, the served endpoints' week.
    """
    if served:
        return served_table(team=team, week=week, as_json=as_json)
    if input is None:
        raise fail("say what to rate: --input models.csv, or --served for the models your "
                   "teams serve")
    found = _read_rows(input)
    pool = [row for _, row in _read_rows(reference)] if reference is not None else None
    if reference is not None and not pool:
        raise fail(f"{reference}: no row to rate against")
    rated = 0
    for (where, _), result in zip(found, rate_models([r for _, r in found], pool), strict=True):
        if result["stars"] is None:
            typer.echo(f"{where}: {result['model']} not rated: {result['refused']}", err=True)
            continue
        sys.stdout.write(json.dumps(result) + "\n")
        rated += 1
    if not rated:
        raise fail(f"{input}: no row could be rated")


def served_table(*, team: str | None, week: str | None, as_json: bool) -> None:
    """`rate --served`: the ledger's served endpoints of a week, as a table or JSON."""
    settings = load_settings()
    organisation = load_org(settings)
    if team is not None and team not in {t.name for t in organisation.teams}:
        raise fail(f"unknown team {team!r}; teams: "
                   f"{', '.join(t.name for t in organisation.teams)}")
    chosen = last_complete_week(settings.clock()) if week is None else week.upper()
    if week is not None and week.lower() == "current":
        chosen = week_of(settings.clock())
    try:
        week_bounds(chosen)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    engine = open_database(settings, create=False)
    try:
        with session_of(engine) as session:
            if chosen not in judged_weeks(session=session):
                raise fail(f"{chosen} is not judged yet: `ai-cost refresh --week {chosen}` "
                           "judges it")
            rows = load_served(session=session, weeks=[chosen], team=team)
            stale = chosen in stale_weeks(session=session)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"week": chosen, "team": team, "newer_data_not_counted": stale,
                               "served": rows}))
        return
    if not rows:
        typer.echo(f"No served endpoint with request counters in {chosen}"
                   f"{' for ' + team if team else ''}: collectors/README.md says how to read "
                   "vLLM, TGI and Triton counters.")
        return
    typer.echo(f"Served models, {chosen}: energy per 1,000 requests measured in production")
    for row in rows:
        typer.echo(f"- [{row['team']}] " + served_text(row, escape=str))
    typer.echo("Stars on the AI Energy Score scale of each task; that benchmark runs on one "
               "reference GPU, production GPUs differ.")
    if stale:
        typer.echo("Newer data not yet counted (`ai-cost refresh` counts it).")
