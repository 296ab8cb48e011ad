"""The Slurm collector on sacct as Slurm 22.05 writes it: columns, times, clusters, exact usage."""

from __future__ import annotations

import time

import numpy as np
import pytest
from typer.testing import CliRunner

from analyzers.records import parse_record
from analyzers.rules import judge as rules_judge
from collectors.sacct import (
    DELIMITER,
    FIELDS,
    SlurmError,
    read_sacct,
    sacct_command,
    sacct_time,
    since_ts,
)
from collectors.slurm import ClusterMismatch, collect, parse_sacct
from collectors.slurm_usage import sample_times
from config.organisation import Organisation, PolicyConfig
from storage.rollup import usage_rows
from tests.clock import SUITE_NOW


def sacct_line(**values: str) -> str:
    """One sacct line of FIELDS, joined as `collect slurm` asks sacct to."""
    row = dict.fromkeys(FIELDS, "")
    row.update(values)
    return DELIMITER.join(row[f] for f in FIELDS)


def gpu_job(job_id: str, *, start: int, ran_s: int | None, gpus: int = 2,
            comment: str = "", name: str = "train", cluster: str = "iowa-hpc",
            submit_line: str = "") -> str:
    return sacct_line(
        JobID=job_id, JobName=name, User="alice", Account="nlp", Partition="gpu",
        AllocTRES=f"billing=8,cpu=8,gres/gpu:a100={gpus},gres/gpu={gpus},node=1",
        Elapsed="00:00:00", ElapsedRaw=str(ran_s if ran_s is not None else 0),
        Start=str(start), End="Unknown" if ran_s is None else str(start + ran_s),
        State="RUNNING" if ran_s is None else "COMPLETED", NodeList="gpu01",
        Comment=comment, Cluster=cluster, SubmitLine=submit_line)


def counted_s(stamps: list[int]) -> float:
    """GPU-seconds the roll-up counts for one stand-in GPU's samples."""
    array = np.array([(t, 50, 0, 1000, np.nan, 1) for t in stamps], dtype=float)
    return sum(r["gpu_s"] for r in usage_rows(array, start=0, max_gap_s=300))


@pytest.mark.parametrize("ran_s", [2, 3, 7, 59, 61, 100, 179, 180, 181, 239, 3601, 86399])
def test_stand_in_samples_add_up_to_the_seconds_run_exactly(ran_s: int) -> None:
    start = 1_000_000
    assert counted_s(sample_times(start=start, end=start + ran_s, now=start + ran_s)) == ran_s


def test_a_running_job_is_counted_to_now_then_completed_never_twice() -> None:
    start = 1_000_000
    running = sample_times(start=start, end=None, now=start + 425)
    assert counted_s(running) == 425  # up to now
    done = sample_times(start=start, end=start + 1000, now=start + 1300)
    assert set(running) - set(done) == {start + 425}  # the same grid, and now
    assert counted_s(sorted(set(running) | set(done))) == 1000  # never twice
    assert sample_times(start=start, end=None, now=start + 100) == []  # too young: next run


def test_a_loop_every_few_seconds_keeps_completed_jobs_exact() -> None:
    """Runs closer than 3 minutes send a running job's grid only, so the step stays the median."""
    start, end = 1_000_000, 1_000_000 + 600
    stamps: set[int] = set()
    for now in range(start + 180, end, 10):  # a loop every 10 s while the job ran
        stamps.update(sample_times(start=start, end=None, now=now, to_now=False))
    stamps.update(sample_times(start=start, end=end, now=end + 10))
    assert counted_s(sorted(stamps)) == 600


def test_a_pipe_in_a_comment_or_name_shifts_no_column(organisation: Organisation) -> None:
    text = gpu_job("9001", start=1_000_000, ran_s=600, comment="a|b|model=mistral-7b",
                   name="x|y") + "\n"
    jobs, problems = parse_sacct(text)
    assert problems == [] and jobs[0].comment == "a|b|model=mistral-7b"
    record = collect(text, organisation=organisation, cluster="iowa-hpc").records[0]
    assert (record["model"], record["gpus"], record["gpu_type"]) == ("mistral-7b", 2, "a100")
    assert record["duration_s"] == 600


def test_a_newline_in_a_comment_or_name_shifts_no_line(organisation: Organisation) -> None:
    """sacct writes them as they are (seen on Slurm 22.05)."""
    text = "\n".join([gpu_job("9010", start=1_000_000, ran_s=600, name="two\nlines",
                               comment="first\nsecond\nmodel=phi-3"),
                       gpu_job("9011", start=1_000_000, ran_s=60)]) + "\n"
    batch = collect(text, organisation=organisation, cluster="iowa-hpc")
    assert batch.problems == []
    first, second = batch.records
    assert (first["name"], first["comment"], first["model"]) == (
        "two\nlines", "first\nsecond\nmodel=phi-3", "phi-3")
    assert second["job_id"] == "9011"


def test_a_model_in_the_job_name_fills_the_record(organisation: Organisation) -> None:
    text = gpu_job("9002", start=1_000_000, ran_s=60, name="ft model=meta-llama/Llama-3-8B")
    assert collect(text, organisation=organisation,
                   cluster="iowa-hpc").records[0]["model"] == "meta-llama/Llama-3-8B"


def test_sacct_is_asked_for_the_delimiter_and_a_time_it_accepts() -> None:
    args = sacct_command(start=sacct_time(SUITE_NOW.timestamp()))
    assert f"--delimiter={DELIMITER}" in args
    start = next(a for a in args if a.startswith("--starttime="))
    # local YYYY-MM-DDTHH:MM:SS: what sacct 22.05 takes (it refuses Unix seconds)
    assert time.strptime(start.split("=", 1)[1], "%Y-%m-%dT%H:%M:%S")


def test_another_slurm_cluster_is_one_clear_error(organisation: Organisation) -> None:
    text = gpu_job("9003", start=1_000_000, ran_s=60, cluster="other")
    with pytest.raises(ClusterMismatch, match="expects Slurm ClusterName 'iowa-hpc'"):
        collect(text, organisation=organisation, cluster="iowa-hpc")
    organisation.cluster("iowa-hpc").slurm_cluster_name = "other"
    assert collect(text, organisation=organisation, cluster="iowa-hpc").records


def test_stand_in_gpus_are_per_cluster(organisation: Organisation) -> None:
    organisation.cluster("iowa-hpc").usage_from_sacct = True
    text = gpu_job("9004", start=1_000_000, ran_s=600)
    batch = collect(text, organisation=organisation, cluster="iowa-hpc", now=1_002_000)
    assert {s.gpu_uuid for s in batch.samples} == {"SLURM-iowa-hpc-9004-0",
                                                   "SLURM-iowa-hpc-9004-1"}


def test_a_long_running_job_is_counted_from_the_window_on(organisation: Organisation) -> None:
    """A job of three days met by a first run of --since now-1hour: its last hour, not more."""
    organisation.cluster("iowa-hpc").usage_from_sacct = True
    now = 1_300_000
    text = gpu_job("9007", start=now - 3 * 86400, ran_s=None, gpus=1)
    since = since_ts("now-1hour", now=now)
    assert since == now - 3600
    batch = collect(text, organisation=organisation, cluster="iowa-hpc", now=now, since=since)
    stamps = [int(s.ts) for s in batch.samples]
    assert min(stamps) > since and counted_s(stamps) == 3600
    local = sacct_time(now - 600)
    assert since_ts(local, now=now) == now - 600  # what the loop passes on: read back


def test_a_job_too_young_for_the_previous_run_is_sent_whole(
        organisation: Organisation) -> None:
    """Begun 170 s before the previous run (no samples then), ended since: all its seconds."""
    organisation.cluster("iowa-hpc").usage_from_sacct = True
    previous = 1_300_000
    text = gpu_job("9008", start=previous - 170, ran_s=179, gpus=1)
    batch = collect(text, organisation=organisation, cluster="iowa-hpc", now=previous + 300,
                    since=previous - 60)  # the loop's window: a minute before the last run
    assert counted_s([int(s.ts) for s in batch.samples]) == 179


def test_the_same_bad_lines_are_reported_once_per_loop(organisation: Organisation) -> None:
    text = "9005\x1ftruncated\n" + gpu_job("9006", start=1_000_000, ran_s=60)
    seen: set[str] = set()
    first = collect(text, organisation=organisation, cluster="iowa-hpc", seen_problems=seen)
    again = collect("other\n" + text, organisation=organisation, cluster="iowa-hpc",
                    seen_problems=seen)
    assert len(first.problems) == 1 and len(again.problems) == 1  # only the new line "other"


def test_configuration_errors_are_one_line(tmp_path: object) -> None:
    from bot.cli import app as cli

    result = CliRunner().invoke(cli, ["collect", "slurm", "--print", "--cluster", "nowhere"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "nowhere" in result.stderr


def test_the_submit_line_is_what_the_job_ran(organisation: Organisation) -> None:
    """sacct's SubmitLine (Slurm 20.11+) is the record's command: the script and its arguments
    say what a job named `train` does, so its model and task can be read."""
    line = "sbatch --gres=gpu:2 ft.sh --model meta-llama/Llama-3.1-70B-Instruct --task sentiment"
    record = collect(gpu_job("9010", start=1_000_000, ran_s=3600, submit_line=line),
                     organisation=organisation, cluster="iowa-hpc").records[0]
    assert record["command"] == line
    measured = {**record, "gpu_util_mean": 80.0, "gpu_util_max": 95.0,
                "gpu_mem_used_gib_max": 70.0}  # as the job's NVML steps would record
    verdict = rules_judge([parse_record(measured)], PolicyConfig())[0]
    assert verdict.task == "text_classification"
    assert "oversized_model" in verdict.reasons


def test_a_sacct_before_submit_line_is_asked_again_without_it(
        organisation: Organisation) -> None:
    asked: list[list[str]] = []
    older = DELIMITER.join(gpu_job("9011", start=1_000_000, ran_s=60).split(DELIMITER)[:-1])

    def sacct_2008(args: list[str]) -> str:  # a Slurm before 20.11
        asked.append(args)
        if "SubmitLine" in next(a for a in args if a.startswith("--format=")):
            raise SlurmError('sacct failed (1): sacct: error: Invalid field requested: '
                             '"SubmitLine"')
        return older + "\n"

    text = read_sacct(sacct_2008, start="now-1hour")
    assert len(asked) == 2
    records = collect(text, organisation=organisation, cluster="iowa-hpc").records
    assert [(r["job_id"], r["command"]) for r in records] == [("9011", "")]
