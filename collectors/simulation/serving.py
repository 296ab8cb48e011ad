"""Request counters of the simulated cluster's inference services, as their servers count.

Each Kubernetes inference job of the simulation serves traffic that follows the working day;
text generation runs on vLLM (requests and generated tokens), the rest on Triton (requests).
Some services get little traffic for their replicas, so the demo shows an idle one too.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from collectors.simulation.cluster import SimJob, SimulatedCluster
from domain.samples import ServedSample
from domain.workloads import named_model

STEP_S = 300.0  # Prometheus scrapes them every 5 minutes in the demo
# Requests a GPU completes in a step at the day's peak, per task.
PEAK_PER_GPU = {"text_generation": 900.0, "text_classification": 30000.0,
                "sentence_similarity": 40000.0}
TOKENS_PER_REQUEST = 240.0


def _traffic(hour: float) -> float:
    """Share of the peak at this hour of the day (UTC): a working day, quiet nights."""
    return max(0.0, math.sin(math.pi * (hour - 6.0) / 14.0)) if 6.0 <= hour <= 20.0 else 0.0


def served_samples(sim: SimulatedCluster) -> Iterator[tuple[str, list[ServedSample]]]:
    """Per cluster, the served counters of each inference service over the simulated week."""
    first = sim.gpus[0].cluster if sim.gpus else None
    for job in sim.jobs:
        if job.workload.kind != "inference" or job.cluster != first:
            continue
        yield job.cluster, _service(job)


def _service(job: SimJob) -> list[ServedSample]:
    rng = random.Random(job.seed)
    info = job.info
    task = job.workload.task
    generative = task == "text_generation"
    # One service in three is given far more replicas than its traffic needs.
    load = rng.uniform(0.03, 0.08) if rng.random() < 0.34 else rng.uniform(0.5, 0.9)
    peak = PEAK_PER_GPU.get(task, 5000.0) * len(job.gpus) * load
    namespace, _, name = info.external_id.partition("/")
    pod = f"{name}-{rng.getrandbits(36):09x}-{rng.getrandbits(20):05x}"
    model = named_model(info.model, info.command, info.image)
    requests = tokens = 0.0
    out = []
    ts = job.start
    while ts < job.end:
        hour = (ts % 86400.0) / 3600.0
        done = float(int(peak * _traffic(hour) * rng.uniform(0.85, 1.15)))
        requests += done
        tokens += done * TOKENS_PER_REQUEST * rng.uniform(0.9, 1.1)
        out.append(ServedSample(
            service=info.name, server="vllm" if generative else "triton", ts=ts,
            requests=requests, generated_tokens=round(tokens) if generative else None,
            model=model, job=info.external_id, namespace=namespace, pod=pod, task=task))
        ts += STEP_S
    return out
