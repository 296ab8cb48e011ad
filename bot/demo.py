"""`ai-cost demo`: a simulated cluster's week through the real ingest path, to digests."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from analyzers.digest import Digest
from bot.digests import build_digests
from bot.pipeline import refresh
from collectors.simulation.cluster import SimulatedCluster
from collectors.simulation.serving import served_samples
from config.organisation import Organisation
from config.settings import Settings
from domain.weeks import last_complete_week, week_bounds
from reports.blocks import digest_blocks
from reports.charts import energy_chart_png
from reports.terminal import render_rich
from storage.db import session
from storage.ingest import (
    IngestResult,
    ingest_samples,
    ingest_served,
    sync_organisation,
    upsert_jobs,
)


@dataclass(slots=True)
class DemoResult:
    week: str
    jobs: int
    samples: IngestResult
    digests: list[Digest]
    seconds: float


def last_full_week(now: datetime) -> str:
    """The ISO week before the one `now` is in (UTC)."""
    return last_complete_week(now)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def run_demo(*, settings: Settings, organisation: Organisation, engine: Engine, week: str,
             gpus: int, seed: int, console: Console, days: float = 7.0) -> DemoResult:
    """Simulate `week` on `gpus` GPUs, ingest, roll up, judge, and write digests to out/."""
    started = time.perf_counter()
    monday, _ = week_bounds(week)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    sim = SimulatedCluster(organisation, start=start.timestamp(), gpu_count=gpus, seed=seed,
                           days=days)
    # The simulated collectors send as the week ends: the clock of ingest is the week's end.
    clock = sim.end + 60
    with session(engine) as s:
        sync_organisation(session=s, organisation=organisation,
                          now=datetime.fromtimestamp(clock, UTC))
        jobs = 0
        for cluster, infos in sim.job_infos().items():
            jobs += len(upsert_jobs(session=s, cluster=cluster, jobs=infos,
                                    organisation=organisation))
        s.commit()
    total = IngestResult()
    expected = len(sim.gpus) * int(sim.days * 86400 / sim.interval_s)
    with _progress(console) as bar:
        task = bar.add_task(f"ingest {len(sim.gpus)} GPUs, {week}", total=expected)
        for cluster, batch in sim.batches():
            with session(engine) as s:
                result = ingest_samples(session=s, cluster=cluster, samples=batch, now=clock,
                                        retention_s=settings.raw_retention_days * 86400,
                                        max_skew_s=settings.max_clock_skew_s)
                s.commit()
            total.merge(result)
            bar.advance(task, len(batch))
        with session(engine) as s:  # the inference services' request counters
            for cluster, served in served_samples(sim):
                ingest_served(session=s, cluster=cluster, samples=served, now=clock,
                              retention_s=settings.raw_retention_days * 86400,
                              max_skew_s=settings.max_clock_skew_s)
            s.commit()
        roll = bar.add_task("roll up GPU-days", total=None)
        with session(engine) as s:
            refresh(session=s, settings=settings, organisation=organisation,
                    now=settings.clock(), weeks=[week],
                    retention_now=datetime.fromtimestamp(clock, UTC),
                    progress=lambda done, n: bar.update(roll, completed=done, total=n))
            s.commit()
    with session(engine) as s:
        digests = build_digests(session=s, organisation=organisation, week=week,
                                now=settings.clock())
    write_digests(digests, settings.out_dir)
    for digest in digests:
        console.print(render_rich(digest))
    return DemoResult(week=week, jobs=jobs, samples=total, digests=digests,
                      seconds=time.perf_counter() - started)


def write_digests(digests: list[Digest], out_dir: Path) -> list[Path]:
    """Write each digest as Block Kit JSON, a PNG chart and the plain data."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for digest in digests:
        stem = out_dir / f"digest-{digest.team}-{digest.week}"
        blocks = stem.with_suffix(".blocks.json")
        blocks.write_text(json.dumps({"channel": digest.slack_channel,
                                      "text": f"AI energy digest for {digest.team}",
                                      "blocks": digest_blocks(digest)}, indent=2))
        chart = stem.with_suffix(".png")
        chart.write_bytes(energy_chart_png(digest))
        data = stem.with_suffix(".json")
        data.write_text(json.dumps(digest.to_json(), indent=2, default=str))
        written += [blocks, chart, data]
    return written
