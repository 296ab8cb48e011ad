"""Digests render within Slack's limits, from an empty week to 10,000 oversized jobs."""

from __future__ import annotations

import io
from datetime import timedelta

import matplotlib.image as mpimg

from analyzers.accounting import Rates, account
from analyzers.digest import BudgetProgress, Digest, Swaps, build_digest
from analyzers.jobs import to_record
from analyzers.records import Verdict
from analyzers.standings import build_org_digest, rank
from domain.ledger import JobLine, TeamWeek
from domain.types import RunWeek, UsagePart
from reports.blocks import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    digest_blocks,
    org_digest_blocks,
)
from reports.charts import energy_chart_png
from reports.terminal import render_markdown_full, render_org_markdown, render_text
from tests.clock import WEEK, WEEK_MONDAY, WEEK_START, weeks_before

RATES = Rates(gpu_usd_per_hour=4.0, energy_usd_per_kwh=0.2, pue=1.2, carbon_g_per_kwh=400.0)


def job(i: int, team: str = "nlp") -> RunWeek:
    gpu_type = "NVIDIA H100 80GB HBM3"
    return RunWeek(
        job_id=i, external_id=f"job-{i}", cluster="c", team=team, user=f"user{i % 7}",
        name=f"a-rather-long-job-name-that-goes-on-{i}" * 3, command="python x.py", image=None,
        model=None, task=None, kind=None, precision=None, batch_size=None, recurrence=None,
        gpu_type=gpu_type, gpus=8, mem_total_mib=81559, samples=100,
        gpu_s=8 * 3600.0, energy_j=1.0e7 + i, util_sum=100.0, util_max=2.0, mem_max_mib=100,
        first_ts=0, last_ts=3600,
        parts=(UsagePart(day=WEEK_MONDAY + timedelta(days=i % 7), gpu_type=gpu_type,
                         gpu_s=8 * 3600.0, energy_j=1.0e7 + i),))


def big_digest(n: int) -> Digest:
    lines = []
    for run in (job(i) for i in range(n)):
        verdict = Verdict(job_id=run.external_id, task="text_generation", oversized=True,
                          score=0.9, reasons=["idle", "overprovisioned"])
        lines.append(JobLine(job=run, record=to_record(run), verdict=verdict,
                             cost=account(gpu_s=run.gpu_s, energy_j=run.energy_j, rates=RATES)))
    team = TeamWeek(team="nlp", week=WEEK, jobs=lines)
    digest = build_digest("nlp", WEEK, team, None, slack_channel="#nlp")
    digest.label, digest.previous_label, digest.rank, digest.teams_ranked = "F", "G", 3, 12
    digest.budget = [BudgetProgress("kwh", 120.0, 100.0)]
    digest.swaps = Swaps(approved=2, applied=1, measured=1, saved_kwh_week=40.0,
                         saved_usd_week=300.0, saved_co2e_kg_week=12.0, estimated_usd_week=280.0)
    # the last 8 weeks, oldest first: G, then F for the 3 latest
    digest.label_history = [(weeks_before(WEEK, n), "G" if n > 2 else "F")
                            for n in range(7, -1, -1)]
    return digest


def assert_within_limits(blocks: list[dict]) -> None:  # type: ignore[type-arg]
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER_TEXT
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
        if block["type"] == "actions":
            assert all(len(e["text"]["text"]) <= MAX_BUTTON_TEXT for e in block["elements"])


def test_an_empty_week_renders_everywhere():
    digest = build_digest("quiet", WEEK, None, None, slack_channel="#quiet")
    last_seen = (WEEK_START - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M UTC")
    digest.silent = [("frankfurt-k8s", last_seen)]  # a collector outage, not a tidy week
    blocks = digest_blocks(digest, chart_file_id="F123")
    assert_within_limits(blocks)
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    said = f"No GPU usage from quiet was counted in {WEEK}: frankfurt-k8s has sent nothing " \
           f"since {last_seen}."
    assert said in texts
    for shown in (" ".join(texts), render_text(digest), render_markdown_full(digest)):
        assert said in shown and "Well sized" not in shown
    assert render_markdown_full(digest).startswith("## quiet")
    assert energy_chart_png(digest)[:8] == b"\x89PNG\r\n\x1a\n"


def test_ten_thousand_oversized_jobs_render_within_limits_with_and_n_more():
    digest = big_digest(10_000)
    assert digest.figures.jobs == 10_000 and len(digest.worst) == 5
    blocks = digest_blocks(digest, chart_file_id="F123")
    assert_within_limits(blocks)
    tail = blocks[-1]["elements"][0]["text"]
    assert tail.startswith("and 9,995 more") or tail.startswith("and 9995 more")
    text = " ".join(b.get("text", {}).get("text", "") for b in blocks if b["type"] == "section")
    assert "Label F" in text and "up 1 class" in text and "rank *3* of 12" in text
    assert "120 kWh of 100 kWh (120%)" in text.replace(".0 kWh", " kWh")
    assert "1 applied" in text and "$300" in text
    assert "and 9995 more oversized jobs" in render_text(digest)
    assert "Label F" in render_markdown_full(digest)


def test_the_chart_is_readable_at_slack_preview_size_with_the_label_history():
    png = energy_chart_png(big_digest(50))
    image = mpimg.imread(io.BytesIO(png))
    height, width = image.shape[:2]
    assert (width, height) == (900, 450)


def test_org_digest_of_many_teams_stays_within_limits():
    digests = []
    for t in range(200):
        d = build_digest(f"team-{t:03d}", WEEK, None, None)
        d.score, d.label = t / 40, "ABCDEFG"[min(6, t // 30)]
        digests.append(d)
    rank(digests)
    org = build_org_digest(WEEK, digests, slack_channel="#finops")
    assert org.teams[0].team == "team-000" and org.teams[0].rank == 1
    blocks = org_digest_blocks(org)
    assert_within_limits(blocks)
    assert "and 160 more teams" in blocks[-1]["elements"][0]["text"]
    assert render_org_markdown(org).count("\n| ") == 202
