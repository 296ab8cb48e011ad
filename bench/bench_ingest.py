"""Ingest throughput (SQLite, PostgreSQL) against naive inserts, bytes per sample, demo time."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import Result
from collectors.simulation.cluster import SimulatedCluster
from config.organisation import load_organisation
from domain.samples import GpuSample
from storage.db import make_engine, migrate, session
from storage.ingest import ingest_samples, sync_organisation, upsert_jobs
from storage.models import Sample

PG_ADMIN = os.environ.get("AI_COST_TEST_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
NAIVE_SAMPLES = 3000


Batches = list[tuple[str, list[GpuSample]]]


def _samples(days: float, gpus: int = 96) -> tuple[SimulatedCluster, Batches]:
    org = load_organisation(None)
    sim = SimulatedCluster(org, start=START, days=days, gpu_count=gpus)
    return sim, list(sim.batches())


def _prepare(url: str, sim: SimulatedCluster) -> None:
    migrate(url)
    engine = make_engine(url)
    org = sim.organisation
    with session(engine) as s:
        sync_organisation(session=s, organisation=org)
        for cluster, infos in sim.job_infos().items():
            upsert_jobs(session=s, cluster=cluster, jobs=infos, organisation=org)
        s.commit()
    engine.dispose()


def _batched(url: str, sim: SimulatedCluster, batches: Batches) -> float:
    engine = make_engine(url)
    count, started = 0, time.perf_counter()
    for cluster, batch in batches:
        with session(engine) as s:
            result = ingest_samples(session=s, cluster=cluster, samples=batch, now=sim.end + 60,
                                    retention_s=14 * 86400, max_skew_s=300)
            s.commit()
        count += result.accepted
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed


def _naive(url: str, sim: SimulatedCluster, batches: Batches) -> float:
    """One ORM object and one commit per sample: what a first version would do."""
    engine = make_engine(url)
    with session(engine) as s:
        gpu_ids = dict(s.execute(text("SELECT uuid, id FROM gpu")).all())
    samples = [x for _, batch in batches for x in batch if x.gpu_uuid in gpu_ids][:NAIVE_SAMPLES]
    started = time.perf_counter()
    with session(engine) as s:
        for x in samples:
            s.add(Sample(gpu_id=gpu_ids[x.gpu_uuid], ts=int(x.ts) + 7, util_pct=int(x.util_pct),
                         mem_used_mib=int(x.mem_used_mib), power_dw=int(x.power_w * 10),
                         energy_j=None if x.energy_j is None else int(x.energy_j)))
            s.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(samples) / elapsed


def _sqlite(days: float) -> list[Result]:
    sim, batches = _samples(days)
    n = sum(len(b) for _, b in batches)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        _prepare(url, sim)
        batched = _batched(url, sim, batches)
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        engine.dispose()
        size = path.stat().st_size
        naive = _naive(url, sim, batches)
    return [
        Result("ingest.sqlite.samples_per_s", batched, "samples/s",
               f"{n:,} samples, {len(batches)} batches, validated, one transaction each"),
        Result("ingest.sqlite.naive_samples_per_s", naive, "samples/s",
               f"{NAIVE_SAMPLES:,} samples, one ORM insert and commit each"),
        Result("ingest.sqlite.speedup_vs_naive", batched / naive, "x", "same run"),
        Result("storage.bytes_per_sample", size / n, "bytes",
               f"SQLite file after ingesting {n:,} samples (all tables, WAL checkpointed)"),
    ]


def _postgres(days: float) -> list[Result]:
    name = f"ai_cost_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - report and go on with the other figures
        print(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}", file=sys.stderr)
        return []
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        sim, batches = _samples(days)
        n = sum(len(b) for _, b in batches)
        _prepare(url, sim)
        batched = _batched(url, sim, batches)
        naive = _naive(url, sim, batches)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return [
        Result("ingest.postgres.samples_per_s", batched, "samples/s",
               f"{n:,} samples via COPY + INSERT ON CONFLICT DO NOTHING"),
        Result("ingest.postgres.naive_samples_per_s", naive, "samples/s",
               f"{NAIVE_SAMPLES:,} samples, one ORM insert and commit each"),
        Result("ingest.postgres.speedup_vs_naive", batched / naive, "x", "same run"),
    ]


def _demo() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, AI_COST_DATABASE_URL=f"sqlite:///{tmp}/demo.db",
                   AI_COST_OUT_DIR=f"{tmp}/out")
        command = [str(Path(sys.executable).with_name("ai-cost")), "demo", "--week", "2026-W47"]
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        elapsed = time.perf_counter() - started
    return [Result("demo.seconds", elapsed, "s",
                   "ai-cost demo end to end: 96 GPUs, a week every 30 s, fresh SQLite")]


def run() -> list[Result]:
    return [*_sqlite(days=3), *_postgres(days=3), *_demo()]
