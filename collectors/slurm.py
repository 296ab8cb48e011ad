"""Slurm accounting: GPU jobs from sacct, as job descriptions and job records.

sacct's output (collectors/sacct.py runs it) is split on the ASCII unit separator, so a `|` in
a comment or job name shifts no column, and a newline in one splits no job. GPU use comes from
gres/gpuutil and gres/gpumem (TRESUsageInAve/Max, where the site records them) or, better, from a
Princeton jobstats summary in AdminComment. Slurm records no NVIDIA energy: it is estimated
from the GPU type's idle and maximum power and the utilization, and marked as estimated.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collectors.jobstats import jobstats_gpus
from collectors.sacct import DELIMITER, FIELDS, LEGACY_FIELDS, WITHOUT_SUBMIT_LINE
from collectors.sinks import Batch
from collectors.slurm_usage import MIN_GRID_S, job_samples
from config.organisation import Organisation
from domain.samples import JobInfo

_MODEL = re.compile(r"(?:^|[\s,;|])model=([^\s,;|]+)")
# Idle and maximum board power (W) and memory (GiB) by the GPU type names Slurm sites use.
GPU_PROFILES = {
    "h200": (75.0, 700.0, 141.0), "h100": (70.0, 700.0, 80.0), "a100": (55.0, 400.0, 80.0),
    "a40": (30.0, 300.0, 48.0), "l40s": (35.0, 350.0, 48.0), "l40": (35.0, 300.0, 48.0),
    "a10": (20.0, 150.0, 24.0), "l4": (16.0, 72.0, 24.0), "v100": (40.0, 300.0, 32.0),
    "t4": (10.0, 70.0, 16.0), "p100": (30.0, 250.0, 16.0),
}
DEFAULT_PROFILE = (50.0, 300.0, 40.0)
_UNITS = {"": 1.0, "K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0 ** 2, "P": 1024.0 ** 3}
_INTERACTIVE = re.compile(r"^(bash|sh|zsh|interactive|jupyter.*|sys/dashboard.*|ood-.*)$")


class ClusterMismatch(ValueError):
    """sacct's ClusterName is not the one the organisation file expects for this cluster."""


def elapsed_s(text: str) -> float:
    """Slurm's [DD-][HH:]MM:SS[.sss] as seconds; ValueError when it is not one."""
    days, _, clock = text.rpartition("-")
    try:
        parts = [float(p) for p in clock.split(":")]
        whole_days = int(days) if days else 0
    except ValueError:
        parts, whole_days = [], 0
    if not 2 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise ValueError(f"Elapsed {text!r} is not [DD-]HH:MM:SS")
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return whole_days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def timestamp(text: str) -> float | None:
    """A sacct time (Unix seconds or ISO 8601 in the cluster's local time); None if unset."""
    if text in ("", "Unknown", "None"):
        return None
    if text.isdigit():
        return float(text)
    return datetime.fromisoformat(text).timestamp()


def tres(text: str) -> dict[str, str]:
    """A TRES string (cpu=16,gres/gpu:a100=2,mem=64G) as a dict."""
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep:
            out[key] = value
    return out


def mib(text: str) -> float:
    """A Slurm memory value (30720M, 30G, 512K) in MiB; a bare number is MiB."""
    match = re.fullmatch(r"([0-9.]+)([KMGTP]?)", text)
    if not match:
        raise ValueError(f"memory value {text!r} is not a number with K/M/G/T/P")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(slots=True)
class SlurmJob:
    """A job line of sacct with what its steps measured."""

    job_id: str
    name: str
    user: str
    account: str
    partition: str
    state: str
    nodes: str
    comment: str
    alloc: dict[str, str]
    elapsed_s: float
    start: float | None
    end: float | None
    admin_comment: str
    cluster: str = ""
    submit_line: str = ""  # the sbatch/srun/salloc command line (Slurm 20.11+)
    util_ave: list[float] = field(default_factory=list)
    util_max: list[float] = field(default_factory=list)
    mem_max_mib: list[float] = field(default_factory=list)

    @property
    def gpus(self) -> int:
        """Allocated GPUs: gres/gpu, else the sum of the typed ones (gres/gpu:a100=2)."""
        if "gres/gpu" in self.alloc:
            return int(self.alloc["gres/gpu"] or 0)
        return sum(int(v or 0) for k, v in self.alloc.items() if k.startswith("gres/gpu:"))

    @property
    def model(self) -> str | None:
        """A model named `model=...` in the comment, else in the job name."""
        for text in (self.comment, self.name):
            match = _MODEL.search(text)
            if match:
                return match.group(1)
        return None

    @property
    def gpu_type(self) -> str | None:
        for key in self.alloc:
            if key.startswith("gres/gpu:"):
                return key.split(":", 1)[1]
        return None


def parse_sacct(text: str) -> tuple[list[SlurmJob], list[tuple[str, str]]]:
    """Jobs of sacct output with their steps folded in, and (bad line, reason) of the rest.

    Columns are split on DELIMITER, or on '|' in saved output that has none.
    """
    delimiter = DELIMITER if DELIMITER in text else "|"
    jobs: dict[str, SlurmJob] = {}
    problems: list[tuple[str, str]] = []
    for number, line in _records(text, delimiter):
        if not line.strip() or line.startswith("JobID" + delimiter):
            continue
        values = line.split(delimiter)
        if len(values) == LEGACY_FIELDS and delimiter == "|":
            values += [""] * (len(FIELDS) - LEGACY_FIELDS)
        if len(values) == WITHOUT_SUBMIT_LINE and delimiter == DELIMITER:
            values.append("")  # a sacct before 20.11, or output saved before SubmitLine
        if len(values) != len(FIELDS):
            wanted = LEGACY_FIELDS if delimiter == "|" else len(FIELDS)
            problems.append((line, f"sacct line {number}: {len(values)} fields instead of "
                                   f"{wanted} (a truncated line)"))
            continue
        row = dict(zip(FIELDS, values, strict=True))
        job_id, _, step = row["JobID"].partition(".")
        try:
            if not step:
                elapsed = (float(row["ElapsedRaw"]) if row["ElapsedRaw"].isdigit()
                           else elapsed_s(row["Elapsed"]))
                jobs[job_id] = SlurmJob(
                    job_id=job_id, name=row["JobName"], user=row["User"],
                    account=row["Account"], partition=row["Partition"],
                    state=row["State"].split(" ")[0], nodes=row["NodeList"],
                    comment=row["Comment"], alloc=tres(row["AllocTRES"]),
                    elapsed_s=elapsed, start=timestamp(row["Start"]),
                    end=timestamp(row["End"]), admin_comment=row["AdminComment"],
                    cluster=row["Cluster"], submit_line=row["SubmitLine"])
                continue
            job = jobs.get(job_id)
            if job is None:
                problems.append((line, f"sacct line {number}: step {row['JobID']} before "
                                       "its job"))
                continue
            ave, peak = tres(row["TRESUsageInAve"]), tres(row["TRESUsageInMax"])
            step_gpus = int(tres(row["AllocTRES"]).get("gres/gpu", "0") or 0) or job.gpus or 1
            if "gres/gpuutil" in ave:
                job.util_ave.append(_per_gpu(float(ave["gres/gpuutil"]), step_gpus))
            if "gres/gpuutil" in peak:
                job.util_max.append(_per_gpu(float(peak["gres/gpuutil"]), step_gpus))
            if "gres/gpumem" in peak:
                job.mem_max_mib.append(mib(peak["gres/gpumem"]) / step_gpus)
        except ValueError as exc:
            problems.append((line, f"sacct line {number} ({row['JobID']}): {exc}"))
    return list(jobs.values()), problems


def _records(text: str, delimiter: str) -> list[tuple[int, str]]:
    """(first line number, record) of sacct output, newlines inside a field put back.

    sacct writes a newline in a job name or comment as it is: a line continues the one
    before while together they hold no more than a record's delimiters.
    """
    records: list[tuple[int, str]] = []
    lines = text.split("\n")
    # A record's delimiters: with SubmitLine, or without it (a sacct before 20.11).
    full = len(FIELDS) - 1
    if delimiter == DELIMITER and max((x.count(delimiter) for x in lines), default=0) < full:
        full = WITHOUT_SUBMIT_LINE - 1
    for number, line in enumerate(lines, start=1):
        if records and delimiter == DELIMITER:
            held = records[-1][1].count(delimiter)
            if held < full and held + line.count(delimiter) <= full:
                records[-1] = (records[-1][0], records[-1][1] + "\n" + line)
                continue
        records.append((number, line))
    return records


def _per_gpu(value: float, gpus: int) -> float:
    # The NVML gpu plugin sums utilization over a task's GPUs; above 100 it must be a sum.
    return min(100.0, value / gpus if value > 100 else value)


def job_record(job: SlurmJob, *, organisation: Organisation, cluster: str) -> dict[str, Any]:
    """The job record (shared/contracts/job-records.md) of a GPU job, energy estimated."""
    gpu_type = job.gpu_type or "unknown"
    idle_w, max_w, mem_gib = next(
        (p for k, p in sorted(GPU_PROFILES.items(), key=lambda kv: -len(kv[0]))
         if k in gpu_type.lower()), DEFAULT_PROFILE)
    # The batch step (the script that launches srun) idles the GPUs; the busiest step is the
    # job's GPU work.
    util_mean = max(job.util_ave) if job.util_ave else None
    util_max = max(job.util_max) if job.util_max else util_mean
    mem_used = max(job.mem_max_mib) / 1024.0 if job.mem_max_mib else None
    source = "sacct gres/gpuutil" if job.util_ave else None
    try:
        stats = jobstats_gpus(job.admin_comment)
    except ValueError:
        stats = None
    if stats is not None:
        if stats.util_pct:
            util_mean, util_max = sum(stats.util_pct) / len(stats.util_pct), max(stats.util_pct)
            source = "jobstats"
        if stats.used_gib:
            mem_used = max(stats.used_gib)
        if stats.total_gib:
            mem_gib = max(stats.total_gib)
    power_w = idle_w + (max_w - idle_w) * (util_mean if util_mean is not None else 50.0) / 100
    at = "50 % (utilization not recorded)" if util_mean is None else "its utilization"
    return {
        "job_id": job.job_id, "team": organisation.team_of(user=job.user, account=job.account),
        "user": job.user or None, "name": job.name, "command": job.submit_line, "image": None,
        "model": job.model,
        "task": None, "kind": "interactive" if _INTERACTIVE.match(job.name) else None,
        "gpu_type": gpu_type, "gpus": job.gpus, "duration_s": job.elapsed_s,
        "gpu_util_mean": None if util_mean is None else round(util_mean, 2),
        "gpu_util_max": None if util_max is None else round(util_max, 2),
        "gpu_mem_used_gib_max": None if mem_used is None else round(mem_used, 3),
        "gpu_mem_total_gib": round(mem_gib, 2), "power_w_mean": round(power_w, 1),
        "energy_kwh": round(power_w * job.gpus * job.elapsed_s / 3.6e6, 4),
        "precision": None, "batch_size": None,
        "energy_estimated": True,
        "energy_basis": f"{gpu_type} idle {idle_w:g} W to max {max_w:g} W at {at}",
        "utilization_source": source, "cluster": cluster, "account": job.account or None,
        "partition": job.partition, "state": job.state, "nodes": job.nodes,
        "comment": job.comment, "start": _iso(job.start), "end": _iso(job.end),
    }


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def check_cluster(jobs: list[SlurmJob], *, expected: str, cluster: str) -> None:
    """ClusterMismatch when sacct reports jobs of a Slurm cluster other than `expected`."""
    seen = sorted({j.cluster for j in jobs if j.cluster and j.cluster != expected})
    if seen:
        raise ClusterMismatch(
            f"sacct reports Slurm cluster {', '.join(map(repr, seen))} but the organisation's "
            f"cluster {cluster!r} expects Slurm ClusterName {expected!r}: run on the right "
            f"cluster, or set slurm_cluster_name on {cluster!r} in the organisation file")


def problem_key(line: str) -> str:
    """A short digest of a rejected sacct line, to report it once."""
    return hashlib.sha256(line.encode()).hexdigest()[:20]


def collect(text: str, *, organisation: Organisation, cluster: str, now: float | None = None,
            seen_problems: set[str] | None = None, since: float | None = None,
            running_to_now: bool = True) -> Batch:
    """A Batch of job descriptions and job records of the GPU jobs in sacct output.

    On a cluster with `usage_from_sacct`, the batch also carries stand-in samples that add up
    to each job's allocated GPUs x seconds run (collectors/slurm_usage.py). Bad lines whose
    `problem_key` is in `seen_problems` (kept across runs) are not reported again; the new
    ones' keys are added. ClusterMismatch when sacct's ClusterName is not the cluster's
    `slurm_cluster_name` (default: its name).
    `since`: the window's start (Unix s); samples before it are left out, so a job that began
    long ago is counted from the window on (earlier runs sent its earlier samples).
    `running_to_now`: running jobs counted up to `now`, not the last whole minute; only for
    collections at least 3 minutes apart (collectors/slurm_usage.py says why).
    """
    config = organisation.cluster(cluster)
    jobs, problems = parse_sacct(text)
    check_cluster(jobs, expected=config.slurm_cluster_name or config.name, cluster=cluster)
    seen = seen_problems if seen_problems is not None else set()
    batch = Batch(problems=[reason for line, reason in problems
                            if problem_key(line) not in seen])
    seen.update(problem_key(line) for line, _ in problems)
    stamp = int(now if now is not None else time.time())
    for job in jobs:
        if job.gpus < 1:
            continue  # CPU-only work costs no GPU energy
        record = job_record(job, organisation=organisation, cluster=cluster)
        batch.records.append(record)
        if config.usage_from_sacct and job.start is not None:
            start = int(job.start)
            end = None if job.end is None else start + int(job.elapsed_s)
            # A job begun in the window (or too young for the previous run to send any) is
            # sent whole; an older one from the window on.
            cut = since if since is not None and start < since - MIN_GRID_S else None
            batch.samples.extend(
                x for x in job_samples(cluster=cluster, job_id=job.job_id, node=job.nodes,
                                       gpus=job.gpus, start=start, end=end, now=stamp,
                                       record=record, to_now=running_to_now)
                if cut is None or x.ts > cut)
        batch.jobs.append(JobInfo(
            external_id=job.job_id, name=job.name, user=job.user or None,
            team=record["team"], account=job.account or None, kind=record["kind"],
            gpus_requested=job.gpus))
        key = problem_key(job.admin_comment)
        if job.admin_comment.startswith("JS1:") and key not in seen:
            try:
                jobstats_gpus(job.admin_comment)
            except ValueError as exc:
                seen.add(key)
                batch.problems.append(f"job {job.job_id}: {exc}")
    return batch
