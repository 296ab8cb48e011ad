"""The Slurm recipe's systemd units: systemd accepts them, and the timer starts the collector."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.manifests import DEPLOY

SLURM = DEPLOY / "slurm"
UNITS = sorted(p for p in SLURM.iterdir() if p.suffix in {".service", ".timer"})


def unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_the_recipe_has_its_three_units() -> None:
    assert [p.name for p in UNITS] == ["ai-cost-agent.service", "ai-cost-collect-slurm.service",
                                       "ai-cost-collect-slurm.timer"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_is_silent(tmp_path: Path) -> None:
    """systemd's own check; the binary and the env file are swapped for ones that exist here."""
    for path in UNITS:
        text = path.read_text().replace("/opt/ai-cost/bin/ai-cost", "/bin/true")
        text = text.replace("EnvironmentFile=/", "EnvironmentFile=-/")
        text = text.replace("User=ai-cost", "User=root").replace("Group=ai-cost", "Group=root")
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *[str(tmp_path / p.name) for p in UNITS]],
                            capture_output=True, text=True, timeout=60, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0 and not problems, "\n".join(problems)


def test_agent_runs_always_and_collector_once_per_timer_tick() -> None:
    agent = unit(SLURM / "ai-cost-agent.service")
    assert agent["Service"]["ExecStart"].split()[1] == "agent"
    assert agent["Service"]["Restart"] == "always"
    assert agent["Install"]["WantedBy"] == "multi-user.target"
    collect = unit(SLURM / "ai-cost-collect-slurm.service")
    assert collect["Service"]["Type"] == "oneshot"
    assert collect["Service"]["ExecStart"].split()[1:4] == ["collect", "slurm", "--once"]
    timer = unit(SLURM / "ai-cost-collect-slurm.timer")
    assert timer["Timer"]["Unit"] == "ai-cost-collect-slurm.service"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_tokens_come_from_the_env_file_not_the_command_line() -> None:
    for path in UNITS:
        if path.suffix == ".service":
            service = unit(path)["Service"]
            assert service["EnvironmentFile"] == "/etc/ai-cost/ai-cost.env"
            assert "--token" not in service["ExecStart"]
    example = (SLURM / "ai-cost.env.example").read_text()
    for name in ("AI_COST_SERVER_URL", "AI_COST_INGEST_TOKEN"):
        assert f"\n{name}=" in example
