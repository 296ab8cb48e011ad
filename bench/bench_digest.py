"""Building every team's digest: 200 teams over a week of 1,000,000 job roll-ups (SQLite).

BENCH_DIGEST_URL=postgresql+psycopg://... runs it on that database instead: it must be empty,
and is migrated and filled.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench import Result
from bot.digests import build_digests
from bot.pipeline import refresh
from config.organisation import ClusterConfig, Organisation, TeamConfig
from config.settings import Settings
from storage.db import make_engine, migrate, session
from storage.ingest import sync_organisation
from storage.models import Cluster, Gpu, Job, Node, Usage

TEAMS = int(os.environ.get("BENCH_DIGEST_TEAMS", "200"))
URL = os.environ.get("BENCH_DIGEST_URL")
JOBS_PER_TEAM = 90
GPUS_PER_JOB = 8
MONDAY = date(2026, 11, 16)
WEEK = "2026-W47"
LIMIT_S = 10.0
DIALECTS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def organisation() -> Organisation:
    return Organisation(
        name="bench", clusters=[ClusterConfig(name="bench", region="DEU")],
        gpu_prices_usd_per_hour={"H100": 4.0},
        teams=[TeamConfig(name=f"team-{t:03d}", slack_channel=f"#team-{t:03d}",
                          members=[f"user-{t:03d}"]) for t in range(TEAMS)])


def seed(url: str, org: Organisation) -> int:
    """Bulk-insert GPUs, jobs and one roll-up per job, GPU and day; returns roll-ups."""
    engine = make_engine(url)
    rows = 0
    with session(engine) as s:
        sync_organisation(session=s, organisation=org)
        cluster_id = s.query(Cluster.id).filter(Cluster.name == "bench").scalar()  # type: ignore[attr-defined]
        s.execute(insert(Node), [{"cluster_id": cluster_id, "hostname": f"n{t}"}
                                 for t in range(TEAMS)])
        node_ids = [i for (i,) in s.query(Node.id).order_by(Node.id)]  # type: ignore[attr-defined]
        s.execute(insert(Gpu), [{"uuid": f"GPU-{t}-{g}", "node_id": node_ids[t],
                                 "gpu_type": "NVIDIA H100 80GB HBM3", "mem_total_mib": 81559}
                                for t in range(TEAMS) for g in range(GPUS_PER_JOB)])
        gpu_ids = [i for (i,) in s.query(Gpu.id).order_by(Gpu.id)]  # type: ignore[attr-defined]
        s.execute(insert(Job), [{"cluster_id": cluster_id, "external_id": f"{t}-{j}",
                                 "team": f"team-{t:03d}", "user": f"user-{t:03d}",
                                 "name": f"train-{t}-{j}", "command": "python train.py"}
                                for t in range(TEAMS) for j in range(JOBS_PER_TEAM)])
        job_ids = [i for (i,) in s.query(Job.id).order_by(Job.id)]  # type: ignore[attr-defined]
        batch = []
        for index, job_id in enumerate(job_ids):
            team = index // JOBS_PER_TEAM
            idle = index % 3 == 0
            for g in range(GPUS_PER_JOB):
                for d in range(7):
                    day = MONDAY + timedelta(days=d)
                    ts = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
                    batch.append({
                        "job_id": job_id, "gpu_id": gpu_ids[team * GPUS_PER_JOB + g],
                        "day": day, "samples": 1440, "gpu_s": 86400.0,
                        "energy_j": 3.0e6 if idle else 4.0e7, "energy_estimated": False,
                        "util_sum": 1440 * (1.0 if idle else 85.0),
                        "util_max": 3.0 if idle else 99.0, "mem_max_mib": 60000,
                        "first_ts": ts, "last_ts": ts + 86340})
            if len(batch) >= 100_000:
                s.execute(insert(Usage), batch)
                rows += len(batch)
                batch = []
        if batch:
            s.execute(insert(Usage), batch)
            rows += len(batch)
        s.commit()
    engine.dispose()
    return rows


def run() -> list[Result]:
    org = organisation()
    with tempfile.TemporaryDirectory() as tmp:
        url = URL or f"sqlite:///{Path(tmp) / 'digest.db'}"
        migrate(url)
        rows = seed(url, org)
        engine = make_engine(url)
        now = datetime(2026, 11, 23, 9, tzinfo=UTC)
        started = time.perf_counter()
        with session(engine) as s:
            refresh(session=s, settings=Settings(database_url=url, now=now), organisation=org,
                    now=now, weeks=[WEEK], judge="rules")
            s.commit()
        judged = time.perf_counter() - started
        started = time.perf_counter()
        with session(engine) as s:
            digests = build_digests(session=s, organisation=org, week=WEEK, now=now)
        elapsed = time.perf_counter() - started
        dialect = engine.dialect.name
        engine.dispose()
    assert len(digests) == TEAMS and all(d.rank for d in digests)
    suffix = "" if dialect == "sqlite" else f".{dialect}"
    what = (f"{TEAMS} teams, {rows:,} roll-ups, {TEAMS * JOBS_PER_TEAM:,} jobs (1/3 idle), "
            f"rules judge, {DIALECTS.get(dialect, dialect)}")
    return [Result("digest.seconds_200_teams" + suffix, elapsed, "s",
                   f"every team's digest read from the judged week; {what}; goal at most "
                   f"{LIMIT_S:.0f} s"),
            Result("refresh.seconds_200_teams" + suffix, judged, "s",
                   f"refresh: build the week's runs, judge, store the ledger; {what}")]
