"""`ai-cost status`: what is stored, the input that was rejected, the defaults in use."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import load_org, load_settings, open_database, session_of


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


def status_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object: counts, the newest "
                                 "sample, the organisation file's gaps, rejected input."),
) -> None:
    """What the store holds, the input it rejected, and the figures that take a default."""
    from storage.ask_queries import known_names
    from storage.queries import store_status

    settings = load_settings()
    organisation = load_org(settings, warn=False)  # listed below, not logged as well
    engine = open_database(settings, create=False)
    try:
        with session_of(engine) as s:
            st = store_status(session=s)
            gpu_types = known_names(session=s).gpu_types
    finally:
        engine.dispose()
    problems = organisation.problems(gpu_types_seen=gpu_types)
    where = settings.org_file or "the built-in example"
    if as_json:
        typer.echo(json.dumps({
            "clusters": st.clusters, "nodes": st.nodes, "gpus": st.gpus, "jobs": st.jobs,
            "raw_samples": st.raw_samples, "rollups": st.rollups,
            "newest_sample": st.newest_sample.isoformat() if st.newest_sample else None,
            "organisation_file": str(settings.org_file) if settings.org_file else None,
            "problems": problems,
            "rejections": [{"source": source, "reason": reason, "count": count,
                            "example": example}
                           for source, reason, count, example in st.rejections]}))
        return
    out = Console()
    out.print(f"clusters {st.clusters}, nodes {st.nodes}, GPUs {st.gpus}, jobs {st.jobs}, "
              f"raw samples {st.raw_samples}, roll-ups {st.rollups}")
    out.print(f"newest sample: {st.newest_sample.isoformat() if st.newest_sample else 'none'}")
    out.print(f"organisation file ({where}): "
              + ("defaults in use and gaps:" if problems else "no defaults in use, no gaps"),
              highlight=False, markup=False, soft_wrap=True)
    for problem in problems:
        out.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
    if not st.rejections:
        out.print("rejected input: none")
        return
    table = Table(title="rejected input")
    for column in ("source", "reason", "count", "example"):
        table.add_column(column, overflow="fold")
    for source, reason, count, example in st.rejections:
        table.add_row(source, reason, str(count), example or "")
    out.print(table)
