"""The Slurm recipe's systemd units: systemd accepts them, and the timer starts the collector."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.server import create_server
from collectors.agent_main import parser as agent_parser
from collectors.collect_main import parser as collect_parser
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.models import Job
from tests.deploy.manifests import DEPLOY
from tests.live_server import running

SLURM = DEPLOY / "slurm"
ORG_EXAMPLE = DEPLOY.parent / "config" / "example_organisation.yaml"
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
        text = path.read_text().replace("/opt/ai-cost-agent/bin/ai-cost-agent", "/bin/true")
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
    assert agent["Service"]["ExecStart"] == "/opt/ai-cost-agent/bin/ai-cost-agent"  # the slim one
    assert agent["Service"]["Restart"] == "always"
    assert agent["Install"]["WantedBy"] == "multi-user.target"
    collect = unit(SLURM / "ai-cost-collect-slurm.service")
    assert collect["Service"]["Type"] == "oneshot"
    assert collect["Service"]["ExecStart"].split() == [
        "/opt/ai-cost-agent/bin/ai-cost-agent", "collect", "slurm", "--once", "--since",
        "now-1hour"]
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


def env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


FAKE_SACCT = """#!/bin/sh
# sacct as Slurm 22.05 answers the collector: refuses Unix seconds as --starttime
for arg in "$@"; do
  case "$arg" in --starttime=[0-9]*[0-9]) case "$arg" in *T*|*-*) ;; *)
    echo "sacct: error: Invalid time specification" >&2; exit 1;; esac;; esac
done
printf '7001\\037ft\\037alice\\037nlp\\037gpu\\037cpu=8,gres/gpu:a100=2,gres/gpu=2\\037\\037\\037'
printf '00:10:00\\0371700000000\\0371700000600\\037COMPLETED\\037gpu01\\037a|b\\037\\037600'
printf '\\037iowa-hpc\\n'
"""


def test_the_collector_unit_runs_as_shipped_with_its_env_file(
        tmp_path: Path, database_url: str, engine: Engine, organisation: Organisation) -> None:
    """The unit's ExecStart with the env example's variables, its values for this machine."""
    service = unit(SLURM / "ai-cost-collect-slurm.service")["Service"]
    env = env_file(SLURM / "ai-cost.env.example")
    here = {"AI_COST_INGEST_TOKEN": organisation.cluster("iowa-hpc").ingest_token or "",
            "AI_COST_CLUSTER": "iowa-hpc", "AI_COST_ORG_FILE": str(ORG_EXAMPLE)}
    assert set(here) | {"AI_COST_SERVER_URL"} <= set(env)  # the example names them all
    key, _, value = service["Environment"].partition("=")
    env[key] = value.replace("/var/lib/ai-cost-slurm", str(tmp_path))  # StateDirectory
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sacct").write_text(FAKE_SACCT)
    (bin_dir / "sacct").chmod(0o755)
    args = shlex.split(service["ExecStart"])
    args[0] = str(Path(sys.executable).with_name("ai-cost-agent"))
    app = create_server(Settings(database_url=database_url), organisation, engine)
    with running(app) as url:
        env.update(here, AI_COST_SERVER_URL=url)
        done = subprocess.run(args, env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env},
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    with session(engine) as s:
        stored = s.execute(select(Job.external_id, Job.team)).all()
    assert [tuple(r) for r in stored] == [("7001", "nlp")]


def test_a_missing_cluster_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    service = unit(SLURM / "ai-cost-collect-slurm.service")["Service"]
    args = shlex.split(service["ExecStart"])
    args[0] = str(Path(sys.executable).with_name("ai-cost-agent"))
    done = subprocess.run(args, env={"PATH": "/usr/bin:/bin", "AI_COST_SERVER_URL":
                                     "http://127.0.0.1:9", "AI_COST_INGEST_TOKEN": "t"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "--cluster" in done.stderr


@pytest.mark.parametrize("service", ["ai-cost-agent.service", "ai-cost-collect-slurm.service"])
def test_the_units_run_the_slim_agent(service: str) -> None:
    """Slurm nodes run the slim `ai-cost-agent` (no torch, no database driver), as shipped."""
    argv = shlex.split(unit(SLURM / service)["Service"]["ExecStart"])
    assert argv[0] == "/opt/ai-cost-agent/bin/ai-cost-agent"
    if argv[1:2] != ["collect"]:
        args = agent_parser().parse_args(argv[1:])
        assert not args.print_
    else:
        args = collect_parser().parse_args(argv[2:])
        assert (args.collector, args.once, args.since) == ("slurm", True, "now-1hour")
