"""The `ai-cost` command run as a user runs it: its own process, its own environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AI_COST = str(Path(sys.executable).with_name("ai-cost"))

Command = tuple[dict[str, str], list[str]]  # its environment, its arguments


def run_side_by_side(commands: dict[str, Command], *, cwd: Path, prefix: tuple[str, ...] = (),
                     ) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run each named command as its own process, all started at once.

    Returns what each printed and its exit status; `prefix` goes before `ai-cost`.
    """
    started = {}
    for name, (env, args) in commands.items():
        started[name] = subprocess.Popen([*prefix, AI_COST, *args], env=env, cwd=cwd, text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = {}
    for name, process in started.items():
        out, err = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done
