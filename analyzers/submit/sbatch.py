"""Reading an sbatch script: its #SBATCH options and its commands."""

from __future__ import annotations

import re
import shlex
from typing import Any

from analyzers.submit.request import (
    INTERACTIVE,
    SubmitInputError,
    SubmitRequest,
    from_fields,
    read_precision,
)

_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def slurm_time_s(value: str) -> float | None:
    """A Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) in seconds."""
    value = value.strip()
    if value.lower() in ("infinite", "unlimited", ""):
        return None
    match = _TIME.match(value)
    if not match:
        raise SubmitInputError(f"unreadable time limit {value!r}: use minutes, HH:MM:SS or "
                               "D-HH:MM:SS")
    days, a, b, c = match.groups()
    parts = [int(x) for x in (a, b, c) if x is not None]
    if days is not None:  # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = (parts + [0, 0])[:3]
        return float(int(days) * 86400 + hours * 3600 + minutes * 60 + seconds)
    if len(parts) == 1:
        return parts[0] * 60.0
    if len(parts) == 2:
        return parts[0] * 60.0 + parts[1]
    return parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]


def _gpu_count(spec: str, option: str) -> tuple[int, str | None]:
    """'[type:]N' of --gpus and its kin; N without a type, or type alone means one."""
    head, _, tail = spec.rpartition(":")
    if tail.isdigit():
        return int(tail), head or None
    if not head and tail:
        return 1, tail
    raise SubmitInputError(f"unreadable {option}={spec!r}: use [type:]count")


def _gres_gpus(value: str) -> tuple[int, str | None]:
    """GPUs in a --gres list: gpu, gpu:N, gpu:type:N (other resources ignored)."""
    total, gpu_type = 0, None
    for item in value.split(","):
        parts = item.strip().split(":")
        if parts[0] != "gpu":
            continue
        rest = [p.split("(")[0] for p in parts[1:]]
        if not rest:
            total += 1
        elif rest[-1].isdigit():
            total += int(rest[-1])
            gpu_type = gpu_type or (rest[0] if len(rest) > 1 else None)
        else:
            total += 1
            gpu_type = gpu_type or rest[0]
    return total, gpu_type


def _options(args: list[str]) -> dict[str, str]:
    """The sbatch options as {long name: value}; flags without a value map to ''."""
    short = {"-J": "job-name", "-A": "account", "-t": "time", "-N": "nodes", "-G": "gpus",
             "-M": "clusters", "-p": "partition", "-n": "ntasks", "-C": "constraint"}
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("-"):
                value, i = args[i + 1], i + 1
            out[name] = value
        elif arg[:2] in short:
            value = arg[2:].lstrip("=")
            if not value and i + 1 < len(args):
                value, i = args[i + 1], i + 1
            out[short[arg[:2]]] = value
        i += 1
    return out


def parse_sbatch(text: str, **defaults: Any) -> SubmitRequest:
    """An sbatch script's request: #SBATCH options (until the first command) and its commands.

    Reads -J/--job-name, -A/--account (the team), -M/--clusters, -t/--time,
    --gres=gpu[:type]:N, --gpus/-G, --gpus-per-node x --nodes, --gpus-per-task x --ntasks
    and the command lines. `defaults` fill what the script does not say (source, user,
    cluster, job_name...); options given on the sbatch command line can be passed as
    `args=[...]` and win over the script's, as in Slurm.
    """
    if "\x00" in text:
        raise SubmitInputError("not an sbatch script: it holds binary data")
    directives: list[str] = []
    commands: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not commands and stripped.startswith("#SBATCH"):
            try:
                directives += shlex.split(stripped[len("#SBATCH"):], comments=True)
            except ValueError as exc:
                raise SubmitInputError(f"line {number}: unreadable #SBATCH line: {exc}") from exc
        elif stripped and not stripped.startswith("#"):
            commands.append(stripped)
    extra = defaults.pop("args", None) or []
    opts = _options(directives)
    opts.update(_options(list(extra)))
    gpus, gpu_type = 0, None
    if "gres" in opts:
        gpus, gpu_type = _gres_gpus(opts["gres"])
    if "gpus" in opts:
        gpus, gpu_type = _gpu_count(opts["gpus"], "--gpus")
    per_node = opts.get("gpus-per-node")
    if per_node:
        count, gpu_type = _gpu_count(per_node, "--gpus-per-node")
        gpus = count * _int(opts.get("nodes", "1").split("-")[0], "--nodes")
    per_task = opts.get("gpus-per-task")
    if per_task:
        count, gpu_type = _gpu_count(per_task, "--gpus-per-task")
        gpus = count * _int(opts.get("ntasks", "1"), "--ntasks")
    if gpus and "gres" in opts and gpu_type is None:
        gpu_type = _gres_gpus(opts["gres"])[1]
    command = " ; ".join(commands)[:4000]
    time_limit = slurm_time_s(opts["time"]) if opts.get("time") else None
    fields: dict[str, Any] = {"source": "slurm", "kind": "sbatch"}
    fields.update({k: v for k, v in defaults.items() if v is not None})
    name = opts.get("job-name") or fields.pop("job_name", None) or "sbatch"
    fields.pop("job_name", None)
    found = {
        "job_name": name, "team": opts.get("account") or fields.get("team"),
        "cluster": opts.get("clusters") or fields.get("cluster"),
        "command": command or fields.get("command"), "gpus": gpus,
        "gpu_type": gpu_type or fields.get("gpu_type"),
        "precision": read_precision(command) or fields.get("precision"),
        "interactive": bool(INTERACTIVE.search(command)) or bool(fields.get("interactive")),
        "time_limit_s": time_limit if time_limit is not None else fields.get("time_limit_s"),
    }
    return from_fields({**fields, **found})


def _int(value: str, option: str) -> int:
    if not value.strip().isdigit():
        raise SubmitInputError(f"unreadable {option}={value!r}: use a whole number")
    return int(value)
