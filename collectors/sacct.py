"""Running sacct: the fixed format, its delimiter, and the times it takes.

Columns are split on the ASCII unit separator (no comment, job name or TRES string holds one);
times come out as Unix seconds (SLURM_TIME_FORMAT=%s) and go in as local
YYYY-MM-DDTHH:MM:SS, which every Slurm release takes (22.05 refuses Unix seconds).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping
from datetime import datetime

# SubmitLine (the sbatch/srun command line, Slurm 20.11 and later) last: what the job ran,
# for the classifier; an older sacct that refuses it is asked again without it.
FIELDS = ("JobID", "JobName", "User", "Account", "Partition", "AllocTRES", "TRESUsageInAve",
          "TRESUsageInMax", "Elapsed", "Start", "End", "State", "NodeList", "Comment",
          "AdminComment", "ElapsedRaw", "Cluster", "SubmitLine")
WITHOUT_SUBMIT_LINE = len(FIELDS) - 1  # output of a sacct without SubmitLine (or saved so)
LEGACY_FIELDS = 15  # saved `--parsable2` output of the first 15 fields, '|' between them
DELIMITER = "\x1f"  # ASCII unit separator: no comment, job name or TRES string holds one
# sacct's --starttime: local time, the one format every Slurm release accepts
SACCT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class SlurmError(RuntimeError):
    """sacct could not be run; the message says why."""


class SacctMissing(SlurmError):
    """No sacct here: a configuration error, not worth retrying."""


def sacct_time(ts: float) -> str:
    """A Unix time as sacct's --starttime takes it (local time, seconds)."""
    return time.strftime(SACCT_TIME_FORMAT, time.localtime(ts))


def sacct_command(*, start: str, end: str = "now",
                  fields: tuple[str, ...] = FIELDS) -> list[str]:
    """The sacct call: every user's jobs with activity between start and end."""
    return ["sacct", "--allusers", "--parsable2", f"--delimiter={DELIMITER}", "--noheader",
            f"--format={','.join(fields)}", f"--starttime={start}", f"--endtime={end}"]


def run_sacct(args: list[str], *, env: Mapping[str, str] | None = None) -> str:
    """Run sacct, times as Unix seconds (SLURM_TIME_FORMAT=%s); SlurmError on failure.

    `env`: the environment to run it in (default: this process's).
    """
    env = dict(os.environ if env is None else env, SLURM_TIME_FORMAT="%s")
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300,
                              check=False)
    except FileNotFoundError as exc:
        raise SacctMissing("sacct is not installed here (run on a Slurm login or "
                         "controller node)") from exc
    except subprocess.TimeoutExpired as exc:
        raise SlurmError("sacct took more than 300 s") from exc
    if done.returncode != 0:
        said = "; ".join(x.strip() for x in done.stderr.splitlines() if x.strip())
        raise SlurmError(f"sacct failed ({done.returncode}): {said[:400]}")
    return done.stdout


_SINCE = re.compile(r"now-(\d+)(seconds?|minutes?|hours?|days?|weeks?)?")
_SINCE_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def since_ts(text: str, *, now: float) -> float | None:
    """Unix time of a --starttime (now-1hour, now-30minutes, local ISO); None: not one of those."""
    match = _SINCE.fullmatch(text.strip())
    if match:
        unit = (match.group(2) or "seconds").rstrip("s")
        return now - int(match.group(1)) * _SINCE_S[unit]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def read_sacct(run: Callable[[list[str]], str] = run_sacct, *, start: str) -> str:
    """Output of sacct for jobs active since `start` (any form sacct takes, e.g. now-1hour).

    A sacct older than 20.11 knows no SubmitLine: it is asked again for the other fields.
    """
    try:
        return run(sacct_command(start=start))
    except SlurmError as exc:  # sacct missing, or failing otherwise: raised as it is
        if "submitline" not in str(exc).lower():
            raise
        return run(sacct_command(start=start, fields=FIELDS[:WITHOUT_SUBMIT_LINE]))
