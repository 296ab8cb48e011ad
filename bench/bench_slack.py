"""`/ai-cost` over HTTP: acknowledgement and full-answer times on a year of a 1,000-GPU cluster.

The database (SQLite file) holds a year of daily roll-ups of 1,000 GPUs (365,000 rows, one job
per GPU and week), seeded with bulk inserts. The server is the real ASGI app under uvicorn;
Slack's Web API and response_url are the local fake (tests/fakes/slack_api.py); requests are
signed as Slack signs them. Half of the acks are sent while another connection holds the
database's write lock, as a long roll-up would.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from slack_sdk import WebClient
from sqlalchemy import insert, select
from sqlmodel import col

from bench import Result
from bot.app import create_app
from bot.pipeline import refresh
from bot.server import create_server
from bot.slack_http import events_endpoint
from config.organisation import load_organisation
from config.settings import Settings
from domain.weeks import previous_week
from storage.db import make_engine, migrate, session
from storage.ingest import sync_organisation
from storage.models import Cluster, Gpu, Job, Node, Usage
from tests.bot.conftest import _free_server
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack_api import FakeSlackApi

GPUS, DAYS = 1000, 365
# The year ends with the last complete ISO week: the week /ai-cost shows.
LAST_DAY = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday() + 1)
ACKS, ANSWERS = 200, 40
TOKEN, SECRET = "xoxb-bench", "bench-secret"


def seed(url: str) -> None:
    """A year of daily roll-ups for GPUS GPUs, one job per GPU and ISO week."""
    migrate(url)
    org = load_organisation(None)
    engine = make_engine(url)
    people = [(t.name, m) for t in org.teams for m in t.members]
    with session(engine) as s:
        sync_organisation(session=s, organisation=org)
        cluster_id = s.execute(select(col(Cluster.id))
                               .where(col(Cluster.name) == "frankfurt-k8s")).scalar()
        s.execute(insert(Node), [{"cluster_id": cluster_id, "hostname": f"node{n:03d}"}
                                 for n in range(GPUS // 8)])
        nodes = [n for (n,) in s.execute(select(col(Node.id)).order_by(col(Node.id)))]
        s.execute(insert(Gpu), [{"uuid": f"GPU-{g:05d}", "node_id": nodes[g // 8],
                                 "gpu_type": "NVIDIA H100 80GB HBM3", "mem_total_mib": 81559}
                                for g in range(GPUS)])
        first = LAST_DAY - timedelta(days=DAYS - 1)
        weeks = sorted({(first + timedelta(days=d)).isocalendar()[:2] for d in range(DAYS)})
        jobs = []
        for year, week in weeks:
            for g in range(GPUS):
                team, user = people[(g // 8) % len(people)]
                oversized = g % 10 == 0
                name = ("chat-classify" if oversized else "train") + f"-{g}"
                jobs.append({
                    "cluster_id": cluster_id, "external_id": f"{year}w{week:02d}-{g}",
                    "team": team, "user": user, "name": name,
                    "command": "python serve.py" if oversized else "python train.py",
                    "model": "meta-llama/Llama-3.1-8B-Instruct" if oversized else None,
                    "task": "text-classification" if oversized else None,
                    "kind": "inference" if oversized else "training",
                    "precision": "fp32" if oversized else "bf16",
                    "batch_size": 1 if oversized else 64, "gpus_requested": 1,
                    "recurrence": "continuous" if oversized else None})
        for start in range(0, len(jobs), 20_000):
            s.execute(insert(Job), jobs[start:start + 20_000])
        job_ids = {external: job_id for external, job_id in
                   s.execute(select(col(Job.external_id), col(Job.id)))}
        gpu_ids = [g for (g,) in s.execute(select(col(Gpu.id)).order_by(col(Gpu.id)))]
        rows = []
        for d in range(DAYS):
            day = first + timedelta(days=d)
            year, week, _ = day.isocalendar()
            ts0 = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
            for g, gpu_id in enumerate(gpu_ids):
                busy = g % 10 != 0
                util = 85.0 if busy else 3.0
                rows.append({"job_id": job_ids[f"{year}w{week:02d}-{g}"], "gpu_id": gpu_id,
                             "day": day, "samples": 2880, "gpu_s": 86400.0,
                             "energy_j": (550.0 if busy else 90.0) * 86400,
                             "energy_estimated": False, "util_sum": util * 2880,
                             "util_max": util + 10, "mem_max_mib": 60000 if busy else 9000,
                             "first_ts": ts0, "last_ts": ts0 + 86370})
            if len(rows) >= 50_000:
                s.execute(insert(Usage), rows)
                rows = []
        if rows:
            s.execute(insert(Usage), rows)
        s.commit()
    last = LAST_DAY.isocalendar()
    week = f"{last[0]}-W{last[1]:02d}"
    with session(engine) as s:  # the writer judges the last two weeks, as the scheduler does
        now = datetime.now(UTC)
        refresh(session=s, settings=Settings(database_url=url, now=now), organisation=org,
                now=now, weeks=[previous_week(week), week])
        s.commit()
    engine.dispose()


def _p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "year.db"
        url = f"sqlite:///{db}"
        started = time.perf_counter()
        seed(url)
        seed_s = time.perf_counter() - started
        org = load_organisation(None)
        engine = make_engine(url)
        with FakeSlackApi(token=TOKEN) as slack:
            for team in org.teams:
                for member in team.members:
                    slack.add_user(user_id=f"U{member.upper()}", email=f"{member}@example.org")
            settings = Settings(database_url=url, slack_bot_token=TOKEN,
                                slack_signing_secret=SECRET, slack_api_url=slack.api_url)
            app = create_app(settings, org, engine,
                             client=WebClient(token=TOKEN, base_url=slack.api_url))
            server, thread, base = _free_server(create_server(settings, org, engine,
                                                              routes=[events_endpoint(app)]))
            members = [m for t in org.teams for m in t.members]
            http = httpx.Client(timeout=30)

            def send(i: int) -> tuple[float, str]:
                token = f"b{i}"
                body = slash_command_body(text="", user_id=f"U{members[i % len(members)].upper()}",
                                          response_url=slack.response_url(token))
                sent = time.time()
                t0 = time.perf_counter()
                response = http.post(f"{base}/slack/events", content=body,
                                     headers=signed_headers(body, secret=SECRET))
                assert response.status_code == 200, response.text
                return (time.perf_counter() - t0) * 1000, token if sent else token

            # Full answers: the first is cold (reads the week's ledger), then the 60 s cache.
            answers, sent_at = [], {}
            for i in range(ANSWERS):
                sent_at[f"b{i}"] = time.time()
                send(i)
                [call] = slack.wait_for(f"/response/b{i}", timeout=120)
                answers.append((call.at - sent_at[f"b{i}"]) * 1000)
            # Acks, half of them while a roll-up holds the database's write lock.
            lock = sqlite3.connect(db, timeout=30)
            acks = []
            for i in range(ANSWERS, ANSWERS + ACKS):
                if i == ANSWERS + ACKS // 2:
                    lock.execute("BEGIN IMMEDIATE")
                acks.append(send(i)[0])
            lock.rollback()
            lock.close()
            slack.wait_for("/response/" + f"b{ANSWERS + ACKS - 1}", timeout=300)
            http.close()
            server.should_exit = True
            thread.join(timeout=10)
        engine.dispose()
    note = (f"SQLite, {GPUS} GPUs x {DAYS} days of roll-ups (seeded in {seed_s:.0f} s); "
            f"uvicorn + fake Slack on localhost")
    return [
        Result("slack.ack_ms_p99", _p99(acks), "ms",
               f"{ACKS} signed /ai-cost, half while the DB write lock is held; {note}"),
        Result("slack.answer_ms_p99", _p99(answers[1:]), "ms",
               f"{ANSWERS - 1} answers via response_url after the first, within the 60 s "
               f"week cache; {note}"),
        Result("slack.answer_cold_ms", answers[0], "ms",
               f"first answer: reads the judged week's {GPUS} runs and the week before; "
               f"{note}"),
    ]
