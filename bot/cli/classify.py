"""`ai-cost classify`: job records in (JSON Lines), verdicts out, per the contract."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson
import typer

from analyzers.accounting import Rates
from analyzers.judges import JUDGES, default_judge_name, get_judge
from analyzers.records import JobRecord, LineError, RecordError, Verdict, parse_record
from analyzers.suggestions import attach_suggestions, default_rates
from bot.cli.basics import err, fail, load_org, load_settings
from config.organisation import Organisation, PolicyConfig


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
    try:
        source = sys.stdin.buffer if str(input) == "-" else input.open("rb")
    except OSError as exc:
        raise fail(f"cannot read {input}: {exc.strerror}") from exc
    with source:
        lines = source.read().splitlines()
    parts = _split(len(lines))
    global _WORK
    _WORK = _Work(lines, judge_fn, organisation)
    try:
        if len(parts) == 1:
            done = [_judge_part(parts[0])]
        else:  # the network and the Python around it on every core: one process a part
            with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
                done = pool.map(_judge_part, parts)
    finally:
        _WORK = None
    judged = 0
    for _, errors, count in done:
        judged += count
        for number, reason in errors:
            err.print(f"line {number}: {reason}", highlight=False, markup=False, soft_wrap=True)
    _write(b"".join(data for data, _, _ in done), output)
    if any(errors for _, errors, _ in done) and not judged:
        raise typer.Exit(1)


# Jobs a process judges at least: below twice this, one process (a fork and a second copy of
# the catalog's index cost more than they save). Measured on 2 vCPUs with the network on ONNX
# Runtime: 5,000 jobs 3.4 -> 2.6 s, 20,000 jobs 8.5 -> 6.0 s on two processes.
PART_MIN = 2_000


@dataclass(frozen=True, slots=True)
class _Work:
    lines: list[bytes]
    judge: Callable[[list[JobRecord], PolicyConfig], list[Verdict]]
    organisation: Organisation


_WORK: _Work | None = None  # what forked workers inherit, so no line is pickled


def _split(n: int) -> list[tuple[int, int]]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = max(1, min(cpus or 1, n // PART_MIN))
    if count == 1 or not hasattr(os, "fork"):
        return [(0, n)]
    step = -(-n // count)
    return [(start, min(n, start + step)) for start in range(0, n, step)]


def _judge_part(part: tuple[int, int]) -> tuple[bytes, list[tuple[int, str]], int]:
    """Lines [start, end) judged: verdicts as JSON Lines, the lines refused, records judged."""
    work = _WORK
    assert work is not None
    start, end = part
    records: list[JobRecord] = []
    errors: list[tuple[int, str]] = []
    for item in read_records(work.lines[start:end], first=start + 1):
        if isinstance(item, LineError):
            errors.append((item.line, item.reason))
        else:
            records.append(item)
    policy = work.organisation.policy
    verdicts = work.judge(records, policy)

    @cache
    def rates_of(gpu_type: str) -> Rates:
        return default_rates(work.organisation, gpu_type)

    # Only oversized jobs get a suggestion; the others keep `suggestion: null`.
    flagged = [(r, v) for r, v in zip(records, verdicts, strict=True) if v.oversized]
    attach_suggestions([r for r, _ in flagged], [v for _, v in flagged],
                       rates=lambda r: rates_of(r.gpu_type), policy=policy)
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    return b"".join(dumps(v.to_json(), option=newline) for v in verdicts), errors, len(records)


def read_records(lines: Iterable[bytes], first: int = 1) -> Iterator[JobRecord | LineError]:
    """Records of JSON Lines (bytes), parsed by orjson; like analyzers.records.read_jsonl."""
    loads = orjson.loads
    for number, line in enumerate(lines, start=first):
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
    _write(b"".join(dumps(v.to_json(), option=newline) for v in verdicts), output)


def _write(data: bytes, output: Path) -> None:
    if str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(data)
