"""A simulated cluster: teams' jobs on GPUs of mixed types, sampled like a real agent would.

Deterministic for a seed. Job sizes and lifetimes are drawn from the Alibaba 2023 GPU pod
trace (collectors/data); utilization, memory and power follow each workload's profile.
"""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from collectors.simulation.workloads import TASK_WORDS, WORKLOADS, Workload, job_text
from config.organisation import Organisation
from domain.samples import GpuSample, JobInfo

# name, memory MiB, idle W, max W, energy counter (Volta and newer)
GPU_SPECS = {
    "NVIDIA H100 80GB HBM3": (81559, 70.0, 700.0, True),
    "NVIDIA A100-SXM4-80GB": (81920, 60.0, 400.0, True),
    "NVIDIA A100-SXM4-40GB": (40960, 55.0, 400.0, True),
    "NVIDIA L4": (23034, 16.0, 72.0, True),
    "Tesla T4": (15360, 10.0, 70.0, True),
    "Tesla P100-PCIE-16GB": (16384, 30.0, 250.0, False),
}
_SHORT_TYPE = {"NVIDIA H100 80GB HBM3": "h100", "NVIDIA A100-SXM4-80GB": "a100x",
               "NVIDIA A100-SXM4-40GB": "a100", "NVIDIA L4": "l4", "Tesla T4": "t4",
               "Tesla P100-PCIE-16GB": "p100"}
# Per cluster: (GPU type, nodes, GPUs per node), scaled to the requested GPU count.
LAYOUT = (
    ("NVIDIA H100 80GB HBM3", 8, 0.5),
    ("NVIDIA L4", 4, 0.125),
    ("Tesla T4", 4, 0.0625),
    ("NVIDIA A100-SXM4-80GB", 8, 0.1875),
    ("NVIDIA A100-SXM4-40GB", 8, 0.0833),
    ("Tesla P100-PCIE-16GB", 4, 0.0417),
)


@dataclass(slots=True)
class SimGpu:
    uuid: str
    node: str
    cluster: str
    gpu_type: str
    mem_total_mib: int
    idle_w: float
    max_w: float
    has_counter: bool
    energy_j: float = 0.0


@dataclass(slots=True)
class SimJob:
    info: JobInfo
    cluster: str
    workload: Workload
    gpus: list[SimGpu]
    start: float
    end: float
    seed: int


@dataclass(slots=True)
class SimulatedCluster:
    """Several teams' jobs over `days` days from `start` (Unix s), sampled every interval_s."""

    organisation: Organisation
    start: float
    days: float = 7.0
    gpu_count: int = 96
    interval_s: float = 30.0
    seed: int = 7
    gpus: list[SimGpu] = field(default_factory=list)
    jobs: list[SimJob] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self._build_gpus()
        lifetimes, sizes = _alibaba_shape()
        self._schedule(rng, lifetimes, sizes)

    @property
    def end(self) -> float:
        return self.start + self.days * 86400.0

    def _build_gpus(self) -> None:
        clusters = [c.name for c in self.organisation.clusters] or ["sim"]
        for index, (gpu_type, per_node, share) in enumerate(LAYOUT):
            cluster = clusters[0] if index < 3 or len(clusters) == 1 else clusters[1]
            nodes = max(1, round(self.gpu_count * share / per_node))
            mem, idle_w, max_w, counter = GPU_SPECS[gpu_type]
            prefix = "gpu" if cluster == clusters[0] else "hpc"
            for n in range(nodes):
                node = f"{prefix}-{_SHORT_TYPE[gpu_type]}-{n:02d}"
                for g in range(per_node):
                    uuid = (f"GPU-{self.seed:02x}{index:02x}{n:04x}-{g:04x}-4000-8000-"
                            f"{len(self.gpus):012x}")
                    self.gpus.append(SimGpu(uuid, node, cluster, gpu_type, mem, idle_w, max_w,
                                            counter))

    def _schedule(self, rng: random.Random, lifetimes: list[float], sizes: list[int]) -> None:
        teams = self.organisation.teams
        users = [(t.name, m, (t.accounts or [t.name])[0]) for t in teams for m in t.members]
        users.append(("unassigned", "mallory", "sandbox"))  # usage nobody mapped
        by_node: dict[str, list[SimGpu]] = {}
        for gpu in self.gpus:
            by_node.setdefault(gpu.node, []).append(gpu)
        counter = 0
        for gpus in by_node.values():
            big = gpus[0].mem_total_mib >= 40 * 1024
            blocks = _blocks(rng, len(gpus))
            first = 0
            for size in blocks:
                block = gpus[first:first + size]
                first += size
                t = self.start + rng.uniform(0, 3600)
                while t < self.end:
                    fitting = [w for w in WORKLOADS if size in w.gpus
                               and ("big" if big else "small") in w.gpu_classes]
                    if not fitting:
                        break
                    w = rng.choices(fitting, weights=[x.weight for x in fitting])[0]
                    life = rng.choice(lifetimes) * 10 if rng.random() > 0.1 else rng.choice(sizes)
                    duration = min(max(life, w.min_duration_s), w.max_duration_s)
                    if w.continuous:
                        duration = self.end - t
                    team, user, account = rng.choice(users)
                    counter += 1
                    style = "k8s" if block[0].cluster == self.gpus[0].cluster else "slurm"
                    self.jobs.append(self._job(rng, w, block, t, t + duration, team, user,
                                               account, style, counter))
                    t += duration + rng.expovariate(1 / 1800.0)

    def _job(self, rng: random.Random, w: Workload, block: list[SimGpu], start: float,
             end: float, team: str, user: str, account: str, style: str, n: int) -> SimJob:
        model = rng.choice(w.models)
        name, command, image = job_text(rng, w, model, user, style)
        external = f"{name}" if style == "k8s" else f"{4_100_000 + n}"
        if style == "k8s":
            external = f"{account}/{name}"
        declared = rng.choice(TASK_WORDS[w.task]) if rng.random() < w.declare_task else None
        info = JobInfo(
            external_id=external, name=name, user=user, account=account,
            command=command, image=image,
            model=model if (style == "k8s" and rng.random() < 0.4) else None,
            task=declared or None, kind=w.kind, precision=rng.choice(w.precision),
            batch_size=rng.choice(w.batch_size), gpus_requested=len(block),
            recurrence="continuous" if w.continuous else None,
        )
        return SimJob(info, block[0].cluster, w, block, start, end, rng.getrandbits(32))

    def job_infos(self) -> dict[str, list[JobInfo]]:
        """Job descriptions per cluster, as a scheduler would report them."""
        out: dict[str, list[JobInfo]] = {}
        for job in self.jobs:
            out.setdefault(job.cluster, []).append(job.info)
        return out

    def batches(self, window_s: float = 3600.0) -> Iterator[tuple[str, list[GpuSample]]]:
        """Samples of all GPUs, one window of time at a time, per cluster."""
        per_gpu: dict[str, list[SimJob]] = {}
        for job in self.jobs:
            for gpu in job.gpus:
                per_gpu.setdefault(gpu.uuid, []).append(job)
        t = self.start
        while t < self.end:
            ts = np.arange(t, min(t + window_s, self.end), self.interval_s)
            out: dict[str, list[GpuSample]] = {}
            for gpu in self.gpus:
                out.setdefault(gpu.cluster, []).extend(
                    self._samples(gpu, per_gpu.get(gpu.uuid, []), ts))
            yield from out.items()
            t += window_s

    def _samples(self, gpu: SimGpu, jobs: list[SimJob], ts: np.ndarray) -> list[GpuSample]:
        n = len(ts)
        rng = np.random.default_rng([self.seed, int(ts[0]), zlib.crc32(gpu.uuid.encode())])
        util = np.clip(rng.normal(0.3, 0.3, n), 0, 100)
        mem = np.full(n, 512.0)
        job_of = np.full(n, None, dtype=object)
        for job in jobs:
            if job.end <= ts[0] or job.start > ts[-1]:
                continue
            on = (ts >= job.start) & (ts < job.end)
            count = int(on.sum())
            mean, sd = job.workload.util
            util[on] = np.clip(rng.normal(mean, sd, count), 0, 100)
            lo, hi = job.workload.mem_frac
            peak = gpu.mem_total_mib * random.Random(job.seed).uniform(lo, hi)
            mem[on] = peak * rng.uniform(0.9, 1.0, count)
            job_of[on] = job.info.external_id
        power = gpu.idle_w + (gpu.max_w - gpu.idle_w) * (util / 100.0) ** 1.2
        power = np.clip(power * rng.normal(1.0, 0.03, n), gpu.idle_w * 0.8, gpu.max_w)
        energy = gpu.energy_j + np.cumsum(power * self.interval_s)
        gpu.energy_j = float(energy[-1])
        reload_at = self.start + 3 * 86400
        if gpu.node.endswith("-01") and gpu.has_counter and ts[0] <= reload_at <= ts[-1]:
            gpu.energy_j = 0.0  # a driver reload resets the counter mid-week
        counters = energy.tolist() if gpu.has_counter else [None] * n
        return list(map(
            GpuSample, [gpu.uuid] * n, [gpu.node] * n, ts.tolist(), np.round(util).tolist(),
            np.round(mem).tolist(), np.round(power, 1).tolist(), counters, job_of.tolist(),
            [gpu.gpu_type] * n, [float(gpu.mem_total_mib)] * n,
        ))


def _blocks(rng: random.Random, gpus: int) -> list[int]:
    """How a node's GPUs are split between concurrent jobs for the week."""
    options = {8: [[8], [4, 4], [4, 2, 1, 1], [2, 2, 2, 2], [4, 1, 1, 1, 1]],
               4: [[4], [2, 2], [2, 1, 1], [1, 1, 1, 1]]}
    return rng.choice(options.get(gpus, [[1] * gpus]))


def _alibaba_shape() -> tuple[list[float], list[int]]:
    """Pod lifetimes (s) of the Alibaba 2023 trace, and long lifetimes for the rest."""
    path = resources.files("collectors").joinpath("data/alibaba_2023_gpu_pod_requests.csv")
    lifetimes = []
    with path.open() as handle:
        for row in csv.DictReader(handle):
            if row["num_gpu"] != "0":
                lifetimes.append(float(int(row["deletion_time"]) - int(row["creation_time"])))
    long = [life for life in lifetimes if life > 3600]
    return lifetimes, [int(x) for x in long]
