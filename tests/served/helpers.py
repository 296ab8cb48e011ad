"""A hand-made served week sent through POST /ingest: fixed power, fixed request counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from bot.pipeline import refresh
from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session

FRANKFURT = {"Authorization": "Bearer demo-frankfurt-token"}
STEP_S = 60
POWER_W = 300.0
MODEL = "meta-llama/Llama-3.1-8B-Instruct"


@dataclass(frozen=True)
class Endpoint:
    """One inference Deployment on GPUs of its own, and its traffic per step."""

    name: str
    gpus: int = 1
    per_step: tuple[int, ...] = (10,)  # requests completed each step, cycled
    tokens_per_request: int = 200
    model: str = MODEL
    image: str = "vllm/vllm-openai:v0.9.1"
    restart_at: int | None = None  # the step at which the server restarts (counters from 0)
    power_w: float = POWER_W
    task: str = "text_generation"

    @property
    def job(self) -> str:
        return f"nlp-prod/Deployment/{self.name}"


def settings(url: str) -> Settings:
    return Settings(database_url=url, raw_retention_days=60)


def client(url: str, engine: Engine, organisation: Organisation, now: datetime) -> TestClient:
    return TestClient(create_server(settings(url), organisation, engine,
                                    clock=lambda: now.timestamp()))


def batch(endpoint: Endpoint, start: datetime, steps: int, served_from: int = 0,
          ) -> dict[str, Any]:
    """GPU samples (energy counters at POWER_W) and served counters of `steps` steps.

    The counters are scraped from step `served_from` on (the GPUs from step 0).
    """
    t0 = start.timestamp()
    samples, served = [], []
    requests = tokens = 0.0
    for i in range(steps + 1):
        ts = t0 + i * STEP_S
        for g in range(endpoint.gpus):
            samples.append({"gpu_uuid": f"GPU-{endpoint.name}-{g}", "node": "node-serve",
                            "ts": ts, "util_pct": 40.0, "mem_used_mib": 30000.0,
                            "power_w": endpoint.power_w,
                            "energy_j": 5e6 + i * STEP_S * endpoint.power_w,
                            "job": endpoint.job, "gpu_type": "NVIDIA A100-SXM4-80GB",
                            "mem_total_mib": 81920})
        if i:
            n = endpoint.per_step[(i - 1) % len(endpoint.per_step)]
            if endpoint.restart_at == i:
                requests = tokens = 0.0
            requests += n
            tokens += n * endpoint.tokens_per_request
        if i < served_from:
            continue
        served.append({"service": endpoint.name, "server": "vllm", "ts": ts,
                       "requests": requests, "generated_tokens": tokens, "model": endpoint.model,
                       "job": endpoint.job, "namespace": "nlp-prod",
                       "pod": f"{endpoint.name}-5d8c7b9f6-x7k2p", "task": endpoint.task})
    jobs = [{"external_id": endpoint.job, "name": endpoint.name, "team": "nlp",
             "account": "nlp-prod", "kind": "inference", "model": endpoint.model,
             "image": endpoint.image, "task": endpoint.task}]
    return {"jobs": jobs, "samples": samples, "served": served}


def expected_requests(endpoint: Endpoint, steps: int, served_from: int = 0) -> float:
    return float(sum(endpoint.per_step[(i - 1) % len(endpoint.per_step)]
                     for i in range(served_from + 1, steps + 1)))


def send(http: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/ingest", json=body, headers=FRANKFURT)
    assert response.status_code == 200, response.text
    return dict(response.json())


def judge(url: str, engine: Engine, organisation: Organisation, now: datetime,
          weeks: list[str]) -> None:
    with session(engine) as s:
        refresh(session=s, settings=settings(url), organisation=organisation, now=now,
                weeks=weeks)
        s.commit()
