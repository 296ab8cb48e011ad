"""`ai-cost classify`: job records in (JSON Lines), verdicts out, per the contract."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from analyzers.judges import JUDGES, default_judge_name, get_judge
from analyzers.records import JobRecord, LineError, Verdict, read_jsonl
from bot.cli.common import err, fail, load_org, load_settings


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)


def classify(
    input: Path = typer.Option(Path("-"), "--input", "-i", help="JSON Lines file, - for stdin."),
    output: Path = typer.Option(Path("-"), "--output", "-o", help="Where verdicts go."),
    judge: str | None = typer.Option(
        None, "--judge", help=f"Who judges: {' or '.join(JUDGES)} (default: the classifier)."),
) -> None:
    """Judge job records: task, oversized or not, score, reasons, suggestion (JSON Lines)."""
    try:
        judge_fn = get_judge(judge or default_judge_name())
    except ValueError as exc:
        raise fail(str(exc)) from exc
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
    verdicts = judge_fn(records, policy)
    # Suggestions (analyzers.suggestions) are attached to the verdicts here, before writing.
    write_verdicts(verdicts, output)
    if errors and not records:
        raise typer.Exit(1)


def write_verdicts(verdicts: list[Verdict], output: Path) -> None:
    """One JSON object per verdict, in input order, to `output` (- for stdout)."""
    dumps = json.dumps
    lines = (dumps(v.to_json()) + "\n" for v in verdicts)
    if str(output) == "-":
        sys.stdout.writelines(lines)
        return
    with output.open("w") as sink:
        sink.writelines(lines)
