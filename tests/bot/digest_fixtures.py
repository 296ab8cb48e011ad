"""Shared for the digest tests: a small judged week (WEEK, from the suite clock) in the store,
an injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from bot.pipeline import refresh
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session
from storage.ingest import sync_organisation
from storage.models import Cluster, Gpu, Job, Node, Usage
from tests.clock import WEEK, WEEK_MONDAY, at, week_of

__all__ = ["WEEK", "Clock", "seed_week"]


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def seed_week(engine: Engine, organisation: Organisation, *, monday: date = WEEK_MONDAY,
              jobs_per_team: int = 3, idle: bool = True, judge: bool = True) -> None:
    """Roll-ups for a few jobs of every configured team: one idle 2-GPU job per team.

    With `judge`, the week is judged as `ai-cost refresh` does when it has ended (the ledger
    that digests, reports and Slack read).
    """
    with session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        s.commit()
        cluster = s.exec(select(Cluster).where(Cluster.name == organisation.clusters[0].name)).one()
        node = s.exec(select(Node).where(Node.cluster_id == cluster.id)).first()
        if node is None:
            node = Node(cluster_id=cluster.id, hostname="n1")
            s.add(node)
            s.flush()
        gpu_ids = []
        for i in range(2):
            uuid = f"GPU-test-{i}"
            gpu = s.exec(select(Gpu).where(Gpu.uuid == uuid)).first()
            if gpu is None:
                gpu = Gpu(uuid=uuid, node_id=node.id, gpu_type="NVIDIA H100 80GB HBM3",
                          mem_total_mib=81559)
                s.add(gpu)
                s.flush()
            gpu_ids.append(gpu.id)
        for team in organisation.teams:
            for j in range(jobs_per_team):
                job = Job(cluster_id=cluster.id, external_id=f"{team.name}-{monday}-{j}",
                          team=team.name, user=team.members[0] if team.members else None,
                          name=f"train-{team.name}-{j}", command="python train.py")
                s.add(job)
                s.flush()
                busy = not (idle and j == 0)
                for d in range(7):
                    day = monday + timedelta(days=d)
                    ts = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
                    for g in gpu_ids if j == 0 else gpu_ids[:1]:
                        s.add(Usage(job_id=job.id, gpu_id=g, day=day, samples=720,
                                    gpu_s=3600.0 * 4, energy_j=(2.0e6 if busy else 2.5e5),
                                    util_sum=720 * (85.0 if busy else 1.0),
                                    util_max=95.0 if busy else 2.0, mem_max_mib=60000,
                                    first_ts=ts, last_ts=ts + 4 * 3600))
        s.commit()
        if judge:
            week = week_of(monday)
            refresh(session=s, settings=Settings(), organisation=organisation,
                    now=at(week, 7), weeks=[week])
            s.commit()
