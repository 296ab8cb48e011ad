"""`ai-cost check FILE`: the submit-time warnings of an sbatch script, a manifest or a record.

The same service as Slurm's job_submit plugin and the Kubernetes admission webhook
(bot/services/submit_check.py). It only reads: nothing is recorded unless `--record` is given.
Exit codes: 0, or 1 when a rule named by `--fail-on` fired (CI gates on it); 2 when the file
cannot be read at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
import yaml

from analyzers.submit import (
    RULES,
    SubmitInputError,
    SubmitRequest,
    SubmitVerdict,
    parse_manifest,
    parse_record,
    parse_sbatch,
)
from bot.cli.common import err, fail, load_org, load_settings, open_database
from bot.services.submit_check import check, check_and_record
from config.organisation import Organisation

UNREADABLE = 2


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)


class Unreadable(Exception):
    """The file as a whole cannot be read: the one line to print."""


def _from_json(obj: Any, defaults: dict[str, Any]) -> list[SubmitRequest]:
    """A job record, or a Kubernetes object in JSON (kubectl get -o json)."""
    if isinstance(obj, dict) and "apiVersion" in obj and "kind" in obj:
        return parse_manifest(obj, **defaults)
    return [parse_record(obj, **defaults)]


def _read_json(text: str, defaults: dict[str, Any]) -> tuple[list[SubmitRequest], list[str]]:
    """Requests of JSON: job records or Kubernetes objects (one, an array, or JSON Lines).

    Bad lines or items are named and skipped.
    """
    requests, problems = [], []
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                requests += _from_json(json.loads(line), defaults)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON: {exc.msg} at column "
                                f"{exc.colno}")
            except SubmitInputError as exc:
                problems.append(f"line {number}: {exc}")
        return requests, problems
    items = whole if isinstance(whole, list) else [whole]
    for number, item in enumerate(items, start=1):
        try:
            requests += _from_json(item, defaults)
        except SubmitInputError as exc:
            problems.append(f"record {number}: {exc}" if len(items) > 1 else str(exc))
    return requests, problems


def _read_yaml(text: str, defaults: dict[str, Any]) -> tuple[list[SubmitRequest], list[str]]:
    """Requests of a (multi-document) Kubernetes manifest; documents of other kinds skipped."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise Unreadable(f"not an sbatch script, a Kubernetes manifest or a job record: "
                         f"unreadable YAML{where}") from exc
    if not any(isinstance(d, dict) and "kind" in d for d in docs):
        raise Unreadable("not an sbatch script (no #SBATCH line or #! first line), a "
                         "Kubernetes manifest (no kind) or a job record (not JSON)")
    requests, problems = [], []
    for number, doc in enumerate(docs, start=1):
        try:
            requests += parse_manifest(doc, **defaults)
        except SubmitInputError as exc:
            problems.append(f"document {number}: {exc}")
    return requests, problems


def read_requests(text: str, **defaults: Any) -> tuple[str, list[SubmitRequest], list[str]]:
    """What the file is (sbatch, manifest, record), its requests, and its unreadable parts."""
    stripped = text.lstrip()
    if "\x00" in text:
        raise Unreadable("not a text file")
    if not stripped:
        raise Unreadable("the file is empty")
    if stripped.startswith("#!") or "#SBATCH" in text:
        try:
            return "sbatch", [parse_sbatch(text, **{"source": "cli", **defaults})], []
        except SubmitInputError as exc:
            raise Unreadable(str(exc)) from exc
    if stripped[0] in "{[":
        requests, problems = _read_json(text, {"source": "cli", **defaults})
        return "record", requests, problems
    requests, problems = _read_yaml(text, {"source": "cli", **defaults})
    return "manifest", requests, problems


def _fail_on(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    kinds = {k.strip() for k in value.split(",") if k.strip()}
    if "any" in kinds:
        return frozenset(RULES)
    unknown = sorted(kinds - set(RULES))
    if unknown:
        raise fail(f"--fail-on: unknown rule {unknown[0]!r}; use any or "
                   f"{', '.join(RULES)}", UNREADABLE)
    return frozenset(kinds)


def _show(req: SubmitRequest, verdict: SubmitVerdict) -> None:
    if req.gpus <= 0:
        typer.echo(f"{req.job_name}: asks for no GPU; nothing to check")
    elif not verdict.warnings:
        typer.echo(f"{req.job_name}: no warning ({req.gpus} GPU{'s' * (req.gpus > 1)})")
    for line in verdict.warnings:
        typer.echo(line)
    if verdict.deny:
        typer.echo(f"{req.job_name}: the organisation refuses this submission "
                   f"({', '.join(verdict.kinds)})")


def check_command(
    file: Path = typer.Argument(..., help="An sbatch script, a Kubernetes manifest (YAML, "
                                "several documents) or job records (JSON or JSON Lines); "
                                "- for stdin."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per job."),
    fail_on: str = typer.Option(None, "--fail-on", metavar="KIND[,KIND]",
                                help=f"Exit 1 when one of these rules fired: any, or "
                                     f"{', '.join(RULES)}."),
    record: bool = typer.Option(False, "--record", help="Record the warnings in the "
                                "database, as a submission would (default: only read)."),
    cluster: str = typer.Option(None, "--cluster", help="The cluster it would run on "
                                "(its prices, energy and grid); default: the script's."),
    user: str = typer.Option(None, "--user", help="Who submits (recorded with --record)."),
) -> None:
    """Warn about a job before it is submitted: oversized model, notebook GPUs, fp32."""
    rules = _fail_on(fail_on)
    settings = load_settings()
    organisation: Organisation = load_org(settings, warn=False)
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not a text file"
        raise fail(f"cannot read {file}: {reason}", UNREADABLE) from exc
    try:
        what, requests, problems = read_requests(text, user=user, cluster=cluster)
    except Unreadable as exc:
        raise fail(f"{file}: {exc}", UNREADABLE) from exc
    for problem in problems:
        err.print(f"{file}: {problem}", highlight=False, markup=False, soft_wrap=True)
    if not requests:
        if problems:
            raise typer.Exit(UNREADABLE)
        typer.echo(f"{file}: no workload that asks for GPUs ({what})")
        raise typer.Exit(0)
    engine = open_database(settings) if record else None
    results = []
    for req in requests:
        if engine is not None:
            verdict = check_and_record(engine, organisation, req, now=settings.clock())
        else:
            verdict = check(organisation, req)
        results.append((req, verdict))
    if as_json:
        typer.echo(json.dumps([{"job_name": req.job_name, "kind": req.kind, "gpus": req.gpus,
                                **verdict.to_json(), "currency": organisation.currency}
                               for req, verdict in results], indent=2))
    else:
        for req, verdict in results:
            _show(req, verdict)
    fired = {k for _, verdict in results for k in verdict.kinds}
    if rules & fired:
        raise typer.Exit(1)
