"""`ai-cost classify`: job records in (JSON Lines), verdicts out, per the contract."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import orjson
import typer

from analyzers.accounting import Rates
from analyzers.judges import JUDGES, default_judge_name, get_judge
from analyzers.records import JobRecord, LineError, RecordError, Verdict, parse_record
from analyzers.suggestions import attach_suggestions, default_rates
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
    organisation = load_org(settings)
    policy = organisation.policy
    try:
        source = sys.stdin.buffer if str(input) == "-" else input.open("rb")
    except OSError as exc:
        raise fail(f"cannot read {input}: {exc.strerror}") from exc
    records: list[JobRecord] = []
    errors = 0
    with source:
        for item in read_records(source):
            if isinstance(item, LineError):
                errors += 1
                err.print(f"line {item.line}: {item.reason}", highlight=False, markup=False)
            else:
                records.append(item)
    verdicts = judge_fn(records, policy)

    @cache
    def rates_of(gpu_type: str) -> Rates:
        return default_rates(organisation, gpu_type)

    # Only oversized jobs get a suggestion; the others keep `suggestion: null`.
    flagged = [(r, v) for r, v in zip(records, verdicts, strict=True) if v.oversized]
    attach_suggestions([r for r, _ in flagged], [v for _, v in flagged],
                       rates=lambda r: rates_of(r.gpu_type), policy=policy)
    write_verdicts(verdicts, output)
    if errors and not records:
        raise typer.Exit(1)


def read_records(lines: Iterable[bytes]) -> Iterator[JobRecord | LineError]:
    """Records of JSON Lines (bytes), parsed by orjson; like analyzers.records.read_jsonl."""
    loads = orjson.loads
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield parse_record(loads(line))
        except orjson.JSONDecodeError as exc:
            yield LineError(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
        except RecordError as exc:
            yield LineError(number, str(exc))


def write_verdicts(verdicts: list[Verdict], output: Path) -> None:
    """One JSON object per verdict, in input order, to `output` (- for stdout)."""
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    data = b"".join(dumps(v.to_json(), option=newline) for v in verdicts)
    if str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(data)
