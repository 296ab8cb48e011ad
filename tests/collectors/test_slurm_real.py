"""`collect slurm` against a real Slurm 22.05 with accounting (tests/slurm_cluster.py).

One cluster per session (tests/collectors/conftest.py starts it at collection): GPU jobs of two
accounts (20 to 32 s of sleep; a `|` in a comment and a job name, a newline in a comment; a
jobstats AdminComment), one CPU-only job; sacct read while one still runs and once all ended.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.pipeline import refresh
from collectors.slurm import ClusterMismatch, collect
from config.organisation import Organisation, load_organisation
from config.settings import Settings
from domain.weeks import week_of
from storage.batches import DatabaseSink
from storage.db import session
from storage.ledger_repo import load_ledger
from storage.models import Job
from tests.slurm_cluster import CLUSTER, Scenario


@pytest.fixture(scope="module")
def slurm(slurm_scenario: Scenario) -> Scenario:
    return slurm_scenario


def _organisation(scenario: Scenario) -> Organisation:
    return load_organisation(scenario.org_file, warn=False)


def _expected_gpu_hours(collected: Scenario) -> dict[str, float]:
    """Per team: sacct's ElapsedRaw x allocated GPUs, asked of sacct on its own."""
    assert collected.slurm is not None
    out = collected.slurm.run("sacct", "-n", "-X", "-P", "--allusers", "--starttime=now-1hour",
                              "-o", "JobID,Account,ElapsedRaw,AllocTRES")
    hours: dict[str, float] = {}
    for line in out.splitlines():
        job_id, account, elapsed, alloc = line.split("|")
        gpus = dict(x.split("=") for x in alloc.split(",") if "=" in x).get("gres/gpu")
        if gpus:
            assert job_id in collected.gpu_jobs
            hours[account] = hours.get(account, 0.0) + int(elapsed) * int(gpus) / 3600
    return hours


def test_every_gpu_job_once_and_each_team_within_one_percent_of_sacct(
        slurm: Scenario, engine: Engine) -> None:
    organisation = _organisation(slurm)
    sink = DatabaseSink(engine=engine, organisation=organisation, cluster=CLUSTER,
                        source="slurm", retention_s=14 * 86400, max_skew_s=300)
    running = collect(slurm.running_text, organisation=organisation, cluster=CLUSTER,
                      now=slurm.running_now)
    assert {r["job_id"] for r in running.records} == set(slurm.gpu_jobs)  # not the CPU job
    assert next(r for r in running.records if r["name"] == "long")["state"] == "RUNNING"
    # What each job ran, as sacct's SubmitLine has it: the sbatch line with its job name.
    assert all(r["command"].startswith("sbatch ") and f"--job-name={r['name']}" in r["command"]
               for r in running.records if "\n" not in r["name"] and "|" not in r["name"])
    sink.send(running)
    sink.send(collect(slurm.final_text, organisation=organisation, cluster=CLUSTER,
                      now=slurm.final_now))
    again = sink.send(collect(slurm.final_text, organisation=organisation, cluster=CLUSTER,
                              now=slurm.final_now))
    assert again.startswith("stored 0 samples")  # a second collect adds nothing
    now = datetime.fromtimestamp(slurm.final_now, UTC)
    with session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Job)) == len(slurm.gpu_jobs)
        refresh(session=s, settings=Settings(), organisation=organisation, now=now,
                judge="rules")
        s.commit()
        ledger = load_ledger(session=s, week=week_of(now))
    assert ledger is not None
    measured = {team: t.cost.gpu_hours for team, t in ledger.teams.items()}
    expected = _expected_gpu_hours(slurm)
    assert set(measured) == set(expected) == {"nlp", "vision"}
    print(f"GPU-hours per team: stored {measured}, sacct {expected}")
    for team, hours in expected.items():
        assert measured[team] == pytest.approx(hours, rel=0.01), (team, measured, expected)


def test_columns_survive_a_pipe_or_newline_in_comment_and_name(slurm: Scenario) -> None:
    records = {r["name"]: r for r in collect(slurm.final_text, organisation=_organisation(slurm),
                                             cluster=CLUSTER).records}
    assert records["ft"]["comment"] == "ablation|lr=3e-4 model=meta-llama/Llama-3-8B"
    assert records["ft"]["model"] == "meta-llama/Llama-3-8B"
    assert (records["ft"]["gpu_type"], records["ft"]["team"]) == ("a100", "nlp")
    assert records["resnet|50"]["team"] == "vision"
    assert (records["detect"]["comment"], records["detect"]["model"]) == (
        "two\nlines model=yolov8", "yolov8")


def test_a_jobstats_summary_in_admincomment_gives_utilization_and_memory(
        slurm: Scenario) -> None:
    records = {r["name"]: r for r in collect(slurm.final_text, organisation=_organisation(slurm),
                                             cluster=CLUSTER).records}
    ft = records["ft"]
    assert ft["utilization_source"] == "jobstats"
    assert (ft["gpu_util_mean"], ft["gpu_util_max"]) == (87.0, 91.0)
    assert (ft["gpu_mem_used_gib_max"], ft["gpu_mem_total_gib"]) == (30.0, 80.0)
    assert records["pretrain"]["gpu_util_mean"] is None  # nothing recorded: not invented


def test_loop_mode_keeps_collecting_past_its_third_cycle(slurm: Scenario, database_url: str,
                                                         tmp_path: Path) -> None:
    assert slurm.slurm is not None
    env = dict(slurm.slurm.env, AI_COST_DATABASE_URL=database_url,
               AI_COST_ORG_FILE=str(slurm.org_file), AI_COST_CLUSTER=CLUSTER)
    ai_cost = str(Path(sys.executable).with_name("ai-cost"))
    proc = subprocess.Popen([ai_cost, "collect", "slurm",
                             "--interval", "1", "--since", "now-1hour",
                             "--spool", str(tmp_path / "spool.jsonl")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    cycles: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "stored " in line:
                cycles.append(line)
                if len(cycles) == 4:
                    break
            assert "Traceback" not in line and "error" not in line.lower(), line
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert len(cycles) == 4, cycles
    assert "stored 0 samples" in cycles[3]  # later cycles find nothing new


def test_another_clustername_is_refused_in_one_line(slurm: Scenario) -> None:
    organisation = _organisation(slurm)
    assert slurm.slurm is not None
    organisation.cluster(CLUSTER).slurm_cluster_name = None  # expects ClusterName slurm-test
    with pytest.raises(ClusterMismatch, match=f"sacct reports Slurm cluster '{slurm.slurm.name}'"):
        collect(slurm.final_text, organisation=organisation, cluster=CLUSTER)


def test_print_once_piped_to_classify(slurm: Scenario) -> None:
    assert slurm.slurm is not None
    env = dict(slurm.slurm.env, AI_COST_ORG_FILE=str(slurm.org_file))
    ai_cost = str(Path(sys.executable).with_name("ai-cost"))
    printed = subprocess.run([ai_cost, "collect", "slurm", "--print"], env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert printed.returncode == 0, printed.stderr  # returned by itself: --print is --once
    judged = subprocess.run([ai_cost, "classify", "--judge", "rules"], env=env,
                            input=printed.stdout, capture_output=True, text=True, timeout=120,
                            check=False)
    assert judged.returncode == 0 and "line " not in judged.stderr, judged.stderr
    assert len(judged.stdout.splitlines()) == len(printed.stdout.splitlines()) == 1  # jobstats'
