"""Every ai-cost process that deploy/ starts is a command the CLI has, with options it takes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from bot.cli import app
from tests.deploy.manifests import DEPLOY, ROOT, ai_cost_command_lines

COMMAND_LINES = ai_cost_command_lines()


def _console_script() -> str:
    script = Path(sys.executable).with_name("ai-cost")
    assert script.exists(), f"{script} is missing: `pip install -e .` installs the entry point"
    return str(script)


def test_the_entry_point_runs() -> None:
    result = subprocess.run([_console_script(), "--help"], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for command in ("serve", "scheduler", "agent", "migrate", "collect"):
        assert command in result.stdout


def test_deploy_starts_every_process_it_documents() -> None:
    started = {tuple(argv[:1]) for _, argv in COMMAND_LINES}
    for process in ("serve", "scheduler", "migrate"):
        assert (process,) in started, f"nothing in deploy/ runs `ai-cost {process}`"
    # the node agent and the collectors run as the slim `ai-cost-agent` (the DaemonSet's image,
    # the Slurm units): tests/deploy/test_slurm_units.py, tests/collectors/test_agent_dist.py
    assert not {("agent",), ("collect",)} & started, "GPU nodes run the slim ai-cost-agent"


@pytest.mark.parametrize(("where", "argv"), COMMAND_LINES,
                         ids=[f"{w} [{' '.join(a)}]" for w, a in COMMAND_LINES])
def test_command_line_parses(where: str, argv: list[str], monkeypatch: pytest.MonkeyPatch,
                             tmp_path: Path) -> None:
    """Resolve the subcommands and parse the options as `ai-cost` would, without running."""
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name in [k for k in os.environ if k.startswith("AI_COST_")]:
        monkeypatch.delenv(name)
    # Typer ships its own copy of click: duck typing, not click's classes.
    command: Any = typer.main.get_command(app)
    args, path = [*argv], ["ai-cost"]
    while hasattr(command, "list_commands"):
        assert args and not args[0].startswith("-"), f"{where}: `{' '.join(path)}` needs a command"
        sub = command.get_command(command.make_context(path[-1], [], resilient_parsing=True),
                                  args[0])
        assert sub is not None, f"{where}: `{' '.join(path)} {args[0]}` does not exist"
        path.append(args.pop(0))
        command = sub
    try:
        context = command.make_context(" ".join(path), args)
    except Exception as exc:  # noqa: BLE001 - click's UsageError, from typer's copy
        if not hasattr(exc, "format_message"):
            raise
        pytest.fail(f"{where}: `{' '.join(path)}` rejects {args}: {exc.format_message()}")
    assert not context.args, f"{where}: `{' '.join(path)}` takes no {context.args}"


def test_wait_for_schema_script_runs() -> None:
    result = subprocess.run([sys.executable, str(DEPLOY / "wait_for_schema.py"), "--help"],
                            capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "--timeout" in result.stdout
