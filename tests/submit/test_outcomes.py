"""Recorded warnings meet the jobs that ran: `refresh` marks each as_submitted or resized, a
resized submission's estimate becomes a realized saving of its week (once), and the digest's
summary counts them. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from analyzers.ledger import realized_savings
from analyzers.submit import SubmitRequest
from bot.digests import build_digests
from bot.pipeline import refresh
from bot.services.submit_check import check_and_record, submit_summaries
from config.organisation import Organisation
from config.settings import Settings
from domain.samples import GpuSample, JobInfo
from domain.types import ZERO
from reports.blocks import standing_text
from reports.format import submit_time_text, usd
from reports.terminal import render_text
from storage.batches import store_batch
from storage.db import session as new_session
from storage.ingest import sync_organisation
from storage.ledger_repo import load_ledger
from storage.models import SubmitWarning
from tests.clock import WEEK, WEEK_START, weeks_before

pytestmark = pytest.mark.dated

CLUSTER = "iowa-hpc"
A100 = "NVIDIA A100-SXM4-80GB"
NOW = WEEK_START + timedelta(days=8)  # the Tuesday after the week, 00:00 UTC
STEP = 60


def at(days: float, hours: float = 0.0) -> datetime:
    return WEEK_START + timedelta(days=days, hours=hours)


OVERSIZED = SubmitRequest(
    job_name="llama3-70b-sentiment", source="slurm", user="alice", team="nlp", cluster=CLUSTER,
    gpus=8, gpu_type=A100, time_limit_s=86400,
    command="python classify.py --model meta-llama/Meta-Llama-3-70B --task sentiment")
NOTEBOOK = SubmitRequest(job_name="explore", source="slurm", user="bob", team="nlp",
                         cluster=CLUSTER, gpus=8, gpu_type=A100, interactive=True,
                         time_limit_s=8 * 3600)
FP32 = SubmitRequest(job_name="fp32-train", source="slurm", user="carol", team="nlp",
                     cluster=CLUSTER, gpus=1, gpu_type=A100, precision="fp32",
                     command="python train.py --precision fp32", time_limit_s=3600)


@dataclass(frozen=True)
class Ran:
    """A job as the collectors then saw it: its description and an hour of samples."""

    external_id: str
    name: str
    user: str
    gpus: int
    start: datetime
    model: str | None = None
    precision: str | None = None

    def job(self) -> JobInfo:
        return JobInfo(external_id=self.external_id, name=self.name, user=self.user,
                       account="nlp", gpus_requested=self.gpus, model=self.model,
                       precision=self.precision, command="python run.py")

    def samples(self) -> list[GpuSample]:
        out = []
        for g in range(self.gpus):
            for i in range(60):
                out.append(GpuSample(
                    gpu_uuid=f"GPU-{self.external_id}-{g}", node=f"node-{self.external_id}",
                    ts=self.start.timestamp() + i * STEP, util_pct=80.0, mem_used_mib=20000,
                    power_w=300.0, energy_j=1e6 + i * 300.0 * STEP, job=self.external_id,
                    gpu_type=A100, mem_total_mib=81920))
        return out


def warn(engine: Engine, organisation: Organisation, req: SubmitRequest,
         moment: datetime) -> None:
    assert check_and_record(engine, organisation, req, now=moment).warnings


def store(engine: Engine, organisation: Organisation, runs: list[Ran]) -> None:
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        store_batch(session=s, organisation=organisation, cluster=CLUSTER,
                    jobs=[r.job() for r in runs], samples=[x for r in runs for x in r.samples()],
                    now=NOW.timestamp(), retention_s=60 * 86400, max_skew_s=300)
        s.commit()


def judge(engine: Engine, organisation: Organisation) -> None:
    with new_session(engine) as s:
        refresh(session=s, settings=Settings(now=NOW), organisation=organisation, now=NOW,
                weeks=[WEEK])
        s.commit()


def warnings_of(engine: Engine) -> dict[str, list[SubmitWarning]]:
    out: dict[str, list[SubmitWarning]] = {}
    with new_session(engine) as s:
        for row in s.exec(select(SubmitWarning).order_by(col(SubmitWarning.id))).all():
            out.setdefault(row.job_name, []).append(row)
    return out


def test_refresh_marks_outcomes_and_counts_a_resized_submission_once(
        engine: Engine, organisation: Organisation) -> None:
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        s.commit()
    warn(engine, organisation, OVERSIZED, at(1, 9))
    warn(engine, organisation, OVERSIZED, at(2, 9))  # submitted again the next day
    warn(engine, organisation, NOTEBOOK, at(2, 10))
    warn(engine, organisation, FP32, at(3, 8))
    warn(engine, organisation, SubmitRequest(**{**OVERSIZED.to_json(), "user": "dave"}),
         at(3, 9))
    store(engine, organisation, [
        Ran("101", "llama3-70b-sentiment", "alice", 1, at(1, 9.1)),  # 1 GPU, not 8: resized
        Ran("102", "llama3-70b-sentiment", "alice", 2, at(2, 9.5)),  # 2 GPUs: resized too
        Ran("103", "explore", "bob", 8, at(2, 10.2)),                 # as submitted
        Ran("104", "fp32-train", "carol", 1, at(5, 8)),               # two days later: not it
    ])
    judge(engine, organisation)
    rows = warnings_of(engine)
    assert [w.outcome for w in rows["llama3-70b-sentiment"]] == ["resized", "resized", None]
    assert [w.user for w in rows["llama3-70b-sentiment"]] == ["alice", "alice", "dave"]
    assert rows["explore"][0].outcome == "as_submitted"
    assert rows["fp32-train"][0].outcome is None  # its job started outside the window
    matched = {w.job_id for ws in rows.values() for w in ws if w.job_id is not None}
    assert len(matched) == 3  # each job meets one warning

    with new_session(engine) as s:
        ledger = load_ledger(session=s, week=WEEK)
    assert ledger is not None
    resized = [r for rs in ledger.realized.values() for r in rs
               if r.source == "resized at submission"]
    assert len(resized) == 1  # two resized submissions of one workload count once
    (saving,) = resized
    estimates = [w.est_saved_usd_week for w in rows["llama3-70b-sentiment"][:2]]
    assert saving.workload == f"{CLUSTER}/nlp/llama3-70b-sentiment" and saving.team == "nlp"
    assert saving.saved_cost_usd_week == pytest.approx(max(estimates))
    assert saving.kinds == ["oversized_model"] and saving.seen
    assert "resized at submission" in saving.title
    assert saving.measured_cost_usd_week > 0  # what the resized job did cost

    # refresh again: the same outcomes, the same single saving
    judge(engine, organisation)
    assert [w.outcome for w in warnings_of(engine)["llama3-70b-sentiment"]] == [
        "resized", "resized", None]
    with new_session(engine) as s:
        again = load_ledger(session=s, week=WEEK)
    assert again is not None
    assert [r.saved_cost_usd_week for rs in again.realized.values() for r in rs] == [
        saving.saved_cost_usd_week]

    with new_session(engine) as s:
        assert submit_summaries(s, WEEK) == {"nlp": (5, 2)}
        assert submit_summaries(s, weeks_before(WEEK, 1)) == {}
        (digest,) = build_digests(session=s, organisation=organisation, week=WEEK, now=NOW,
                                  teams=["nlp"])
    # the digest's saving is the ledger's: two resized submissions of one workload count once
    assert digest.submit_time == (5, 2, pytest.approx(saving.saved_cost_usd_week))
    line = ("5 warnings at submit time this week, 2 jobs resized before they ran (about "
            f"{usd(saving.saved_cost_usd_week)} a week saved)")
    assert line in standing_text(digest)
    assert line[0].upper() + line[1:] in render_text(digest)
    assert digest.swaps is not None and digest.swaps.measured == 0  # not an applied swap


def test_the_model_or_precision_asked_for_is_a_resize(
        engine: Engine, organisation: Organisation) -> None:
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        s.commit()
    warn(engine, organisation, OVERSIZED, at(1, 9))
    warn(engine, organisation, FP32, at(1, 10))
    store(engine, organisation, [
        Ran("201", "llama3-70b-sentiment", "alice", 8, at(1, 9.5),
            model="distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
        Ran("202", "fp32-train", "carol", 1, at(1, 10.5), precision="bf16"),
    ])
    judge(engine, organisation)
    rows = warnings_of(engine)
    assert rows["llama3-70b-sentiment"][0].outcome == "resized"
    assert rows["fp32-train"][0].outcome == "resized"


def test_a_swap_applied_on_the_workload_is_not_counted_twice() -> None:
    workload = f"{CLUSTER}/nlp/llama3-70b-sentiment"
    applied = [(workload, 7, "model_swap", "Swap it", weeks_before(WEEK, 1), 300.0, 1e8)]
    resized = [(workload, ["oversized_model"], "resized at submission", 250.0, 9e7, 10.0),
               (f"{CLUSTER}/nlp/other", ["fp32"], "other resized", 20.0, 1e6, 0.1)]
    found = realized_savings(week=WEEK, applied=applied,
                             baseline={(workload, weeks_before(WEEK, 1)): ZERO},
                             now={workload: ZERO}, resized=resized)
    assert sorted((r.workload, r.source) for r in found) == [
        (f"{CLUSTER}/nlp/llama3-70b-sentiment", "applied swap"),
        (f"{CLUSTER}/nlp/other", "resized at submission")]
    other = next(r for r in found if r.source == "resized at submission")
    assert (other.saved_cost_usd_week, other.seen) == (20.0, False)


@pytest.mark.parametrize(("counts", "text"), [
    ((0, 0, 0.0), ""),
    ((1, 0, 0.0), "1 warning at submit time this week, 0 jobs resized before they ran"),
    ((12, 5, 340.4), "12 warnings at submit time this week, 5 jobs resized before they ran "
                     "(about $340 a week saved)"),
])
def test_the_digest_line(counts: tuple[int, int, float], text: str) -> None:
    assert submit_time_text(*counts) == text


def test_a_deployments_pods_and_many_open_warnings(
        engine: Engine, organisation: Organisation) -> None:
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        s.commit()
    deployment = SubmitRequest(
        job_name="qwen2-72b-ticket-classifier", source="kubernetes", user="dave",
        team="vision", cluster=CLUSTER, gpus=4, gpu_type=A100, replicas=2, kind="Deployment",
        command="--model Qwen/Qwen2-72B-Instruct --task classify support tickets")
    warn(engine, organisation, deployment, at(1, 9))
    for i in range(250):  # more open warnings than one query of names may hold on SQLite
        warn(engine, organisation, SubmitRequest(**{**OVERSIZED.to_json(),
                                                    "job_name": f"sentiment_{i}%"}), at(1, 8))
    pod = Ran("301", "qwen2-72b-ticket-classifier-7d9f8c6b5d-x2x9z", "", 2, at(1, 9.2))
    with new_session(engine) as s:
        store_batch(session=s, organisation=organisation, cluster=CLUSTER,
                    jobs=[JobInfo(external_id="301", name=pod.name, account="vision",
                                  gpus_requested=2)],
                    samples=pod.samples(), now=NOW.timestamp(), retention_s=60 * 86400,
                    max_skew_s=300)
        s.commit()
    judge(engine, organisation)
    rows = warnings_of(engine)
    assert rows["qwen2-72b-ticket-classifier"][0].outcome == "resized"  # 2 GPUs, not 4
    assert all(ws[0].outcome is None for name, ws in rows.items() if name.startswith("sent"))
