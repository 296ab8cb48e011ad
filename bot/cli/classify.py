"""`ai-cost classify`: job records in (JSON Lines), verdicts out, per the contract."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from analyzers import rules
from analyzers.records import JobRecord, LineError, read_jsonl
from bot.cli.common import err, load_org, load_settings


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)


def classify(
    input: Path = typer.Option(Path("-"), "--input", "-i", help="JSON Lines file, - for stdin."),
    output: Path = typer.Option(Path("-"), "--output", "-o", help="Where verdicts go."),
) -> None:
    """Judge job records: task, oversized or not, score, reasons, suggestion (JSON Lines)."""
    settings = load_settings()
    policy = load_org(settings).policy
    source = sys.stdin if str(input) == "-" else input.open()
    records: list[JobRecord] = []
    errors = 0
    with source:
        for item in read_jsonl(source):
            if isinstance(item, LineError):
                errors += 1
                err.print(f"line {item.line}: {item.reason}", highlight=False, markup=False)
            else:
                records.append(item)
    verdicts = rules.judge(records, policy)
    sink = sys.stdout if str(output) == "-" else output.open("w")
    with sink:
        for verdict in verdicts:
            sink.write(json.dumps(verdict.to_json()) + "\n")
    if errors and not records:
        raise typer.Exit(1)
