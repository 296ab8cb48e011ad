"""`ai-cost suggest` (what to do instead of a job) and `ai-cost rate` (models' stars)."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import typer

from analyzers import rules
from analyzers.accounting import Rates, rates_for
from analyzers.jobs import to_record
from analyzers.ratings import ModelRow, job_label, rate_models, right_sized_energy_kwh
from analyzers.suggestions import default_rates, suggest, weekly_energy_kwh
from bot.cli.common import fail, load_org, load_settings, open_database, transaction
from config.organisation import Organisation, OrganisationError
from storage.queries import JobWeek, job_weeks, weeks_with_data

RATE_COLUMNS = ("model", "task", "energy_kwh_per_1000_queries")


def register(app: typer.Typer) -> None:
    app.command("suggest")(suggest_command)
    app.command("rate")(rate_command)


def _rates(organisation: Organisation, job: JobWeek) -> Rates:
    try:
        return rates_for(organisation, organisation.cluster(job.cluster), job.gpu_type)
    except OrganisationError:
        return default_rates(organisation, job.gpu_type)


def suggest_command(
    job: str = typer.Option(..., "--job", help="The job's id as its scheduler shows it."),
    week: str | None = typer.Option(None, "--week", help="ISO week (2026-W47); default: "
                                    "the latest week the job ran."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of text."),
) -> None:
    """What to do instead of a job, and what it saves per week (kWh, $, kg CO2e)."""
    settings = load_settings()
    organisation = load_org(settings)
    engine = open_database(settings)
    try:
        with transaction(engine) as session:
            weeks = [week] if week else list(reversed(weeks_with_data(session=session)))
            found: JobWeek | None = None
            for candidate in weeks:
                try:
                    jobs = job_weeks(session=session, week=candidate)
                except ValueError as exc:
                    raise fail(str(exc)) from exc
                found = next((j for j in jobs if j.external_id == job), None)
                if found is not None:
                    break
    finally:
        engine.dispose()
    if found is None:
        where = f"in {week}" if week else "in the store"
        raise fail(f"no job {job!r} {where}; `ai-cost status` shows what is stored")
    record = to_record(found)
    verdict = rules.judge([record], organisation.policy)[0]
    suggestions = suggest(record, verdict, rates=_rates(organisation, found),
                          policy=organisation.policy, recurrence=found.recurrence,
                          gpu_price_usd_per_hour=organisation.gpu_price_usd_per_hour)
    energy_kwh = record.energy_kwh_or_estimate()
    right_kwh = right_sized_energy_kwh(record, verdict, suggestions)
    label = job_label(energy_kwh, right_kwh)
    out: dict[str, Any] = {
        "job_id": job, "week": candidate, "team": found.team, "task": verdict.task,
        "oversized": verdict.oversized, "reasons": verdict.reasons,
        "energy_kwh": round(energy_kwh, 6), "right_sized_kwh": round(right_kwh, 6),
        "energy_kwh_week": round(weekly_energy_kwh(record, found.recurrence), 6),
        "label": label, "suggestions": [s.to_json() for s in suggestions],
    }
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{job} ({found.team}, {verdict.task}), {candidate}: label {label}, "
               f"{energy_kwh:.2f} kWh (right-sized about {right_kwh:.2f} kWh)")
    if not suggestions:
        typer.echo("Nothing to change: no cheaper alternative for this job.")
    for i, s in enumerate(suggestions, start=1):
        typer.echo(f"{i}. {s.title}\n   saves about {s.saved_energy_kwh_week:.2f} kWh, "
                   f"${s.saved_cost_usd_week:,.2f} and {s.saved_co2e_kg_week:.2f} kg CO2e "
                   f"a week (confidence {s.confidence:.0%})\n   {s.note}")


def _read_rows(path: Path) -> list[ModelRow]:
    """Rows of a models CSV; bad rows are reported on stderr with their line and skipped."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from exc
    rows = []
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in RATE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise fail(f"{path}: missing column{'s' * (len(missing) > 1)} "
                       f"{', '.join(missing)}; expected {', '.join(RATE_COLUMNS)}[, class]")
        for row in reader:
            line = reader.line_num
            model, task = (row.get("model") or "").strip(), (row.get("task") or "").strip()
            text = (row.get("energy_kwh_per_1000_queries") or "").strip()
            try:
                energy = float(text)
            except ValueError:
                energy = math.nan
            reason = ("model is empty" if not model else "task is empty" if not task
                      else f"energy_kwh_per_1000_queries {text!r} is not a number >= 0"
                      if not (math.isfinite(energy) and energy >= 0) else None)
            if reason:
                typer.echo(f"{path}: line {line}: {reason}", err=True)
                continue
            rows.append(ModelRow(model=model, task=task, energy_kwh_per_1000=energy,
                                 size_class=(row.get("class") or "").strip() or None))
    return rows


def rate_command(
    input: Path = typer.Option(..., "--input", "-i", help="CSV: model, task, "
                               "energy_kwh_per_1000_queries[, class]."),
    reference: Path | None = typer.Option(None, "--reference", help="Rate against this "
                                          "table (same columns) instead of the input's rows."),
) -> None:
    """Stars (1 to 5) per model by the AI Energy Score method, as JSON lines."""
    rows = _read_rows(input)
    pool = _read_rows(reference) if reference is not None else None
    if not rows:
        raise fail(f"{input}: no row could be rated")
    for rated in rate_models(rows, pool):
        sys.stdout.write(json.dumps(rated) + "\n")
