from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from analyzers.records import parse_record
from collectors.sacct import FIELDS, SlurmError, read_sacct, run_sacct
from collectors.slurm import collect, elapsed_s
from config.organisation import Organisation
from storage.batches import DatabaseSink
from storage.db import session
from storage.models import Job
from storage.queries import store_status
from storage.rollup import rollup
from storage.runs import run_weeks
from tests.clock import WEEK, WEEK_MONDAY, at

DATA = Path(str(resources.files("collectors") / "data"))
SACCT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def redated(text: str, monday: date) -> str:
    """sacct output moved by whole weeks, so the week of its first time starts on `monday`.

    Times keep their weekday and time of day (sacct writes the cluster's local time).
    """
    first = min(datetime.fromisoformat(t) for t in SACCT_TIME.findall(text)).date()
    shift = monday - (first - timedelta(days=first.weekday()))
    return SACCT_TIME.sub(lambda m: (datetime.fromisoformat(m.group(0)) + shift).isoformat(),
                          text)


def records(organisation: Organisation, name: str = "sacct_gpu_jobs.txt") -> dict[str, dict]:  # type: ignore[type-arg]
    batch = collect((DATA / name).read_text(), organisation=organisation, cluster="iowa-hpc")
    return {r["job_id"]: r for r in batch.records}


def test_gpu_jobs_become_job_records_with_team_usage_and_estimated_energy(
        organisation: Organisation) -> None:
    jobs = records(organisation)
    assert sorted(jobs) == ["71234", "71240", "71251", "71270_3", "71288"]  # no CPU-only job
    train = jobs["71234"]
    assert (train["team"], train["user"], train["gpus"], train["gpu_type"]) == (
        "nlp", "alice", 2, "a100")
    assert train["duration_s"] == 6 * 3600 + 12 * 60 + 31
    assert train["gpu_util_mean"] == 88.0  # gres/gpuutil 176 over its 2 GPUs
    assert train["gpu_mem_used_gib_max"] == pytest.approx(69.0)
    assert train["energy_estimated"] is True and train["energy_kwh"] > 0
    assert train["comment"] == "model=meta-llama/Llama-2-7b-hf"


def test_jobstats_summaries_in_admincomment_are_read(organisation: Organisation) -> None:
    embed = records(organisation)["71251"]
    assert embed["utilization_source"] == "jobstats"
    assert embed["gpu_util_mean"] == pytest.approx((11.2 + 9.8 + 10.4 + 8.9) / 4, abs=0.01)
    assert embed["gpu_util_max"] == 11.2
    assert embed["gpu_mem_used_gib_max"] == pytest.approx(9.0)


def test_running_interactive_and_unmapped_jobs(organisation: Organisation) -> None:
    jobs = records(organisation)
    shell = jobs["71240"]
    assert (shell["state"], shell["end"], shell["kind"]) == ("RUNNING", None, "interactive")
    assert shell["gpu_util_mean"] is None  # not recorded: said so, not invented
    assert "utilization not recorded" in shell["energy_basis"]
    assert jobs["71288"]["team"] == "unassigned"  # account physics is no team's
    assert jobs["71270_3"]["team"] == "nlp"  # account nlp-prod belongs to nlp


def test_records_with_utilization_meet_the_job_record_contract(
        organisation: Organisation) -> None:
    for job_id in ("71234", "71251", "71270_3", "71288"):
        parse_record(records(organisation)[job_id])


def test_truncated_and_broken_lines_are_reported_and_the_rest_read(
        organisation: Organisation) -> None:
    batch = collect((DATA / "sacct_bad_lines.txt").read_text(), organisation=organisation,
                    cluster="iowa-hpc")
    assert [r["job_id"] for r in batch.records] == ["71234", "71270_3"]
    assert len(batch.problems) == 2
    assert "sacct line 5: 6 fields instead of 15" in batch.problems[0]
    assert "Elapsed 'not-a-time'" in batch.problems[1]


def test_elapsed_formats() -> None:
    assert elapsed_s("1-02:03:04") == 93784
    assert elapsed_s("05:06") == 306
    assert elapsed_s("00:00:01.500") == 1.5


def test_sacct_is_asked_for_the_fixed_format() -> None:
    seen: list[list[str]] = []

    def fake(args: list[str]) -> str:
        seen.append(args)
        return ""

    read_sacct(fake, start="now-1hour")
    assert "--parsable2" in seen[0]
    assert f"--format={','.join(FIELDS)}" in seen[0]


def test_no_sacct_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SlurmError, match="sacct is not installed"):
        run_sacct(["sacct"])


def test_stored_jobs_attribute_later_samples_and_problems_are_counted(
        engine: Engine, organisation: Organisation) -> None:
    sink = DatabaseSink(engine=engine, organisation=organisation, cluster="iowa-hpc",
                        source="slurm", retention_s=14 * 86400, max_skew_s=300)
    batch = collect((DATA / "sacct_bad_lines.txt").read_text(), organisation=organisation,
                    cluster="iowa-hpc")
    sink.send(batch)
    with session(engine) as s:
        teams = dict(s.execute(select(Job.external_id, Job.team)).all())  # type: ignore[arg-type]
        status = store_status(session=s)
    assert teams == {"71234": "nlp", "71270_3": "nlp"}
    assert sum(n for src, _, n, _ in status.rejections if src == "slurm:iowa-hpc") == 2


def test_collect_slurm_print_writes_job_records() -> None:
    from bot.cli import app as cli

    result = CliRunner().invoke(cli, ["collect", "slurm", "--sacct-file",
                                      str(DATA / "sacct_gpu_jobs.txt"), "--print",
                                      "--cluster", "iowa-hpc"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    # 71240 recorded no utilization: left out, said so, so classify takes the rest as they are
    assert [x["job_id"] for x in lines] == ["71234", "71251", "71270_3", "71288"]
    judged = CliRunner().invoke(cli, ["classify"], input=result.stdout)
    assert judged.exit_code == 0, judged.output
    assert "line " not in judged.stderr  # no record refused
    assert len([x for x in judged.stdout.splitlines() if x.startswith("{")]) == 4


@pytest.mark.dated
def test_a_cluster_without_agents_gets_its_usage_from_sacct(
        engine: Engine, organisation: Organisation) -> None:
    text = (DATA / "sacct_gpu_jobs.txt").read_text()
    assert collect(text, organisation=organisation, cluster="iowa-hpc").samples == []
    organisation.cluster("iowa-hpc").usage_from_sacct = True
    text = redated(text, WEEK_MONDAY)  # recorded in one week: moved to WEEK
    now = at(WEEK, 1, 12).timestamp()  # the Tuesday, noon: the interactive job still runs
    batch = collect(text, organisation=organisation, cluster="iowa-hpc", now=now)
    record = next(r for r in batch.records if r["job_id"] == "71234")
    sink = DatabaseSink(engine=engine, organisation=organisation, cluster="iowa-hpc",
                        source="slurm", retention_s=14 * 86400, max_skew_s=300,
                        clock=lambda: now)
    sink.send(batch)
    again = sink.send(collect(text, organisation=organisation, cluster="iowa-hpc", now=now))
    assert again.startswith("stored 0 samples")  # collecting again counts nothing twice
    with session(engine) as s:
        rollup(session=s, max_gap_s=300)
        s.commit()
        jobs = {j.external_id: j for j in run_weeks(session=s, week=WEEK, gap_s=300)}
    train = jobs["71234"]
    assert (train.team, train.gpus, train.energy_estimated) == ("nlp", 2, True)
    assert train.util_mean == pytest.approx(88.0, abs=0.1)
    assert train.energy_j / 3.6e6 == pytest.approx(record["energy_kwh"], rel=0.01)
