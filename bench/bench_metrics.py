"""GET /metrics of a server holding a year of judged weeks of a 1,000-GPU organisation (SQLite).

52 weeks of ledgers (2,000 runs a week on 1,000 GPUs, 20 teams, 4 clusters, 3 GPU types, a
third of the runs idle with an open suggestion) are stored as `refresh` stores them. The first
scrape builds the cost families from the two ledgers it shows; later scrapes reuse them until
a week is judged again. BENCH_METRICS_URL=postgresql+psycopg://... runs it on that (empty)
database instead.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlmodel import col
from starlette.testclient import TestClient

from bench import Result
from bot.server import create_server
from config.organisation import ClusterConfig, Organisation, ReadToken, TeamConfig
from config.settings import Settings
from domain.ledger import ClusterWeek, JobLine, Ledger, TeamWeek
from domain.types import Cost, JobRecord, RunWeek, Suggestion, UsagePart, Verdict
from domain.weeks import iso_week, week_bounds
from storage.db import make_engine, migrate, session
from storage.ingest import sync_organisation
from storage.ledger_repo import save_ledger
from storage.models import Cluster, Job, LedgerWeek

URL = os.environ.get("BENCH_METRICS_URL")
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday: this week half judged
WEEKS = 52
GPUS = 1000
RUNS_PER_WEEK = 2000
TEAMS = 20
CLUSTERS = 4
GPU_TYPES = ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA L40S")
SCRAPES = 20
LIMIT_S = 1.0
READ_TOKEN = "bench-read-token-0123456789"


def organisation() -> Organisation:
    return Organisation(
        name="bench", gpu_prices_usd_per_hour={"H100": 4.0, "A100": 2.0, "L40S": 1.4},
        clusters=[ClusterConfig(name=f"c{c}", region="DEU", ingest_token=f"t{c}")
                  for c in range(CLUSTERS)],
        teams=[TeamConfig(name=f"team-{t:02d}", slack_channel=f"#team-{t:02d}",
                          members=[f"user-{t:02d}"]) for t in range(TEAMS)],
        read_tokens=[ReadToken(name="bench", token=READ_TOKEN)])


def _ledger(week: str, job_ids: list[int], hours: float) -> Ledger:
    monday, _ = week_bounds(week)
    gpus_per_run = GPUS * 2 // RUNS_PER_WEEK  # each GPU runs two jobs a week
    teams: dict[str, TeamWeek] = {}
    for n in range(RUNS_PER_WEEK):
        team, cluster, gpu_type = f"team-{n % TEAMS:02d}", f"c{n % CLUSTERS}", GPU_TYPES[n % 3]
        idle = n % 3 == 0
        gpu_s = gpus_per_run * hours * 3600 / 2
        energy_j = gpu_s * (80.0 if idle else 450.0)
        parts = tuple(UsagePart(day=monday + timedelta(days=d), gpu_type=gpu_type,
                                gpu_s=gpu_s / 7, energy_j=energy_j / 7) for d in range(7))
        run = RunWeek(job_id=job_ids[n], external_id=str(n), cluster=cluster, team=team,
                      user=f"user-{n % TEAMS:02d}", name=f"train-{n}", command="python train.py",
                      image=None, model=None, task="training", kind=None, precision=None,
                      batch_size=None, recurrence=None, gpu_type=gpu_type, gpus=gpus_per_run,
                      mem_total_mib=81559, samples=int(gpu_s / 60), gpu_s=gpu_s,
                      energy_j=energy_j, parts=parts, run_key=f"{week}-{n}",
                      workload=f"w{n}")
        record = JobRecord(job_id=str(n), gpu_type=gpu_type, gpus=gpus_per_run,
                           duration_s=gpu_s / gpus_per_run, gpu_util_mean=2 if idle else 85,
                           gpu_util_max=3 if idle else 99, gpu_mem_used_gib_max=40,
                           gpu_mem_total_gib=80, team=team)
        gpu_hours = gpu_s / 3600
        cost = Cost(gpu_hours=gpu_hours, energy_j=energy_j, gpu_cost_usd=gpu_hours * 3.0,
                    energy_cost_usd=energy_j / 3.6e6 * 0.15, co2e_kg=energy_j / 3.6e6 * 0.35)
        verdict = Verdict(job_id=str(n), task="training", oversized=idle, score=0.9,
                          reasons=["idle"] if idle else [])
        suggestions = [Suggestion(kind="release", title="Release the idle GPUs",
                                  change={"gpus": 0}, saved_energy_j_week=energy_j,
                                  saved_cost_usd_week=cost.cost_usd,
                                  saved_co2e_kg_week=cost.co2e_kg, confidence=0.9)
                       ] if idle else []
        line = JobLine(job=run, record=record, cost=cost, verdict=verdict,
                       suggestions=suggestions, label="G" if idle else "B")
        teams.setdefault(team, TeamWeek(team=team, week=week)).jobs.append(line)
    for rank, team_week in enumerate(teams.values(), start=1):
        team_week.label, team_week.rank, team_week.teams_ranked = "C", rank, TEAMS
    clusters = {f"c{c}": ClusterWeek(cluster=f"c{c}", gpu_hours=GPUS / CLUSTERS * hours,
                                     idle_gpu_hours=GPUS / CLUSTERS * hours * 0.1,
                                     idle_energy_j=1e9, idle_cost_usd=100.0,
                                     last_sample_ts=int(NOW.timestamp()))
                for c in range(CLUSTERS)}
    return Ledger(week=week, judge="rules", teams=teams, clusters=clusters, hours=hours)


def seed(url: str, org: Organisation) -> list[str]:
    """A year of judged weeks up to this week (half judged); the weeks, oldest first."""
    engine = make_engine(url)
    this_monday = NOW.date() - timedelta(days=NOW.weekday())
    weeks = [iso_week(this_monday - timedelta(weeks=w)) for w in reversed(range(WEEKS))]
    with session(engine) as s:
        sync_organisation(session=s, organisation=org)
        clusters = {name: i for i, name in s.execute(select(col(Cluster.id),
                                                            col(Cluster.name)))}
        for week in weeks:
            s.execute(insert(Job), [{"cluster_id": clusters[f"c{n % CLUSTERS}"],
                                     "external_id": f"{week}-{n}", "team": f"team-{n % TEAMS:02d}",
                                     "user": f"user-{n % TEAMS:02d}", "name": f"train-{n}",
                                     "command": "python train.py"}
                                    for n in range(RUNS_PER_WEEK)])
            ids = [i for (i,) in s.execute(select(col(Job.id)).where(
                col(Job.external_id).like(f"{week}-%")).order_by(col(Job.id)))]
            hours = 84.0 if week == weeks[-1] else 168.0
            save_ledger(session=s, ledger=_ledger(week, ids, hours), now=NOW)
        s.commit()
    engine.dispose()
    return weeks


def run() -> list[Result]:
    org = organisation()
    with tempfile.TemporaryDirectory() as tmp:
        url = URL or f"sqlite:///{Path(tmp) / 'metrics.db'}"
        migrate(url)
        weeks = seed(url, org)
        engine = make_engine(url)
        app = create_server(Settings(database_url=url), org, engine, clock=NOW.timestamp,
                            slack_events=False)
        client = TestClient(app)
        started = time.perf_counter()
        page = client.get("/metrics")
        cold = time.perf_counter() - started
        times = []
        for _ in range(SCRAPES):
            started = time.perf_counter()
            again = client.get("/metrics")
            times.append(time.perf_counter() - started)
        auth = {"Authorization": f"Bearer {READ_TOKEN}"}
        started = time.perf_counter()
        chargeback = client.get("/api/v1/teams", params={"format": "csv"}, headers=auth)
        api_teams = time.perf_counter() - started
        started = time.perf_counter()
        runs = client.get("/api/v1/runs", headers=auth)
        api_runs = time.perf_counter() - started
        with session(engine) as s:  # a refresh elsewhere (the scheduler): judged again
            head = s.get(LedgerWeek, weeks[-2])
            assert head is not None
            head.refreshed_at += 60
            s.commit()
        started = time.perf_counter()
        after = client.get("/metrics")
        after_refresh = time.perf_counter() - started
        app.state.costs.settle()
        dialect = engine.dialect.name
        engine.dispose()
    assert after.status_code == 200 and app.state.costs.builds == 2
    assert chargeback.status_code == runs.status_code == 200
    assert len(runs.json()["items"]) == RUNS_PER_WEEK
    assert page.status_code == again.status_code == 200 and "ai_cost_spend{" in page.text
    warm = statistics.median(times)
    suffix = "" if dialect == "sqlite" else f".{dialect}"
    what = (f"{len(weeks)} judged weeks of {GPUS:,} GPUs, {RUNS_PER_WEEK:,} runs a week, "
            f"{TEAMS} teams, {CLUSTERS} clusters, {dialect}; page {len(page.text):,} bytes")
    return [Result("metrics.scrape_seconds" + suffix, warm, "s",
                   f"GET /metrics, median of {SCRAPES} scrapes between refreshes; {what}; goal "
                   f"under {LIMIT_S:.0f} s"),
            Result("metrics.first_scrape_seconds" + suffix, cold, "s",
                   f"GET /metrics of a server that built no figures yet: the two weeks' "
                   f"ledgers read and the families built (a served app does it at start-up, "
                   f"before any scrape); {what}"),
            Result("metrics.scrape_after_refresh_seconds" + suffix, after_refresh, "s",
                   f"GET /metrics right after another process judged a week again: the "
                   f"previous figures at once, the new ones built in the background; {what}"),
            Result("api.teams_csv_seconds" + suffix, api_teams, "s",
                   f"GET /api/v1/teams?format=csv (chargeback) of the last week; {what}"),
            Result("api.runs_json_seconds" + suffix, api_runs, "s",
                   f"GET /api/v1/runs: the last week's {RUNS_PER_WEEK:,} runs as JSON; {what}")]


if __name__ == "__main__":
    for result in run():
        print(result)
