"""Submit-time check latency for one job (goal: p99 <= 50 ms on this machine).

submit.check_ms_p99: one request through check_request (the shipped classifier, the example
organisation's policy and rates), after the model is loaded; requests cycle through an
oversized sbatch job, a right-sized one, a notebook on 8 GPUs, fp32 on an H100 and a
Deployment of a 72B classifier, each with its own name so no answer is cached.
submit.check_http_ms_p99: the same requests as POST /api/v1/check over real HTTP (uvicorn on
loopback, a fresh keep-alive client), warned ones recorded in a SQLite file.
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from analyzers.submit import SubmitRequest, check_request
from bench import Result
from bot.pipeline import rates_lookup
from bot.server import create_server
from bot.services.submit_check import weekly_judge
from config.organisation import load_organisation
from config.settings import Settings
from storage.db import make_engine, migrate
from tests.live_server import running

RUNS = 400
WARMUP = 20
TOKEN = "demo-iowa-token"
SHAPES = (
    SubmitRequest(job_name="llama3-70b-sentiment", source="slurm", user="alice", team="nlp",
                  gpus=8, gpu_type="a100", time_limit_s=86400,
                  command="python classify.py --model meta-llama/Meta-Llama-3-70B --task "
                          "sentiment"),
    SubmitRequest(job_name="resnet50-train", source="slurm", user="dave", gpus=1,
                  gpu_type="a100", command="python train.py --model resnet50 --precision bf16"),
    SubmitRequest(job_name="explore", source="slurm", user="bob", gpus=8, gpu_type="a100",
                  interactive=True, command="jupyter lab --no-browser"),
    SubmitRequest(job_name="finetune", source="slurm", user="carol", gpus=1,
                  gpu_type="NVIDIA H100 80GB HBM3", precision="fp32",
                  command="python finetune.py --precision fp32"),
    SubmitRequest(job_name="qwen2-72b-ticket-classifier", source="api", user="dave",
                  team="vision", gpus=4, gpu_type="NVIDIA-A100-SXM4-80GB", replicas=3,
                  kind="Deployment", image="vllm/vllm-openai:v0.6.0",
                  command="--model Qwen/Qwen2-72B-Instruct --task classify support tickets"),
)


def _requests(n: int) -> list[SubmitRequest]:
    return [dataclasses.replace(SHAPES[i % len(SHAPES)],
                                job_name=f"{SHAPES[i % len(SHAPES)].job_name}-{i}")
            for i in range(n)]


def _p99(ms: list[float]) -> float:
    return statistics.quantiles(ms, n=100)[98]


def run() -> list[Result]:
    """p99 of one check, in process and over HTTP."""
    organisation = load_organisation(None, warn=False)
    judge = weekly_judge()
    rates_of = rates_lookup(organisation)
    times = []
    for i, req in enumerate(_requests(WARMUP + RUNS)):
        started = time.perf_counter()
        check_request(req, policy=organisation.policy,
                      rates=rates_of(req.cluster or "", req.gpu_type or ""), judge=judge)
        if i >= WARMUP:
            times.append((time.perf_counter() - started) * 1000)
    direct = _p99(times)
    root = Path(tempfile.mkdtemp(prefix="ai-cost-bench-check-"))
    url = f"sqlite:///{root / 'ai-cost.db'}"
    migrate(url)
    engine = make_engine(url)
    app = create_server(Settings(database_url=url), organisation, engine, slack_events=False)
    http_times = []
    with running(app) as base, httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        for i, req in enumerate(_requests(WARMUP + RUNS)):
            body = {k: v for k, v in req.to_json().items() if v is not None}
            started = time.perf_counter()
            response = client.post("/api/v1/check", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if i >= WARMUP:
                http_times.append(elapsed)
    engine.dispose()
    note = (f"{RUNS} single-job checks after {WARMUP} warm-up, 5 shapes (oversized, "
            f"right-sized, notebook, fp32, Deployment); median ")
    return [
        Result("submit.check_ms_p99", direct, "ms",
               note + f"{statistics.median(times):.1f} ms; check_request in process"),
        Result("submit.check_http_ms_p99", _p99(http_times), "ms",
               note + f"{statistics.median(http_times):.1f} ms; POST /api/v1/check over "
                      "loopback HTTP, warned ones recorded (SQLite)"),
    ]
