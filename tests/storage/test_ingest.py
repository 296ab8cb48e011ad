"""Ingest: idempotent, order-independent, counter resets, bad samples rejected, rest kept."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from config.organisation import Organisation
from storage.db import session
from storage.ingest import ingest_samples, record_rejections, sync_organisation, upsert_jobs
from storage.models import Sample, Usage
from storage.queries import store_status
from storage.rollup import rollup
from storage.runs import run_weeks
from storage.samples import GpuSample, JobInfo, SampleError, sample_from_json
from tests.clock import WEEK, at

pytestmark = pytest.mark.dated
T0 = at(WEEK, 0, 10).timestamp()  # the Monday of WEEK, 10:00 UTC
NOW = T0 + 86400
CLUSTER = "frankfurt-k8s"


def sample(i: int, *, energy: float | None = None, util: float = 50.0, power: float = 200.0,
           job: str | None = "nlp/job-1", uuid: str = "GPU-a") -> GpuSample:
    return GpuSample(gpu_uuid=uuid, node="node-1", ts=T0 + 30 * i, util_pct=util,
                     mem_used_mib=1000, power_w=power, energy_j=energy, job=job,
                     gpu_type="NVIDIA H100 80GB HBM3", mem_total_mib=81559)


def ingest(engine, org: Organisation, samples):  # type: ignore[no-untyped-def]
    with session(engine) as s:
        sync_organisation(session=s, organisation=org)
        result = ingest_samples(session=s, cluster=CLUSTER, samples=samples, now=NOW,
                                retention_s=14 * 86400, max_skew_s=300)
        s.commit()
    return result


def rolled_usage(engine) -> list[Usage]:  # type: ignore[no-untyped-def]
    with session(engine) as s:
        rollup(session=s, max_gap_s=300)
        s.commit()
        return list(s.execute(select(Usage).order_by(Usage.job_id)).scalars())


def test_sample_sent_twice_is_counted_once(engine, organisation):
    batch = [sample(i, energy=1000.0 + 6000 * i) for i in range(10)]
    first = ingest(engine, organisation, batch)
    again = ingest(engine, organisation, batch[3:] + [sample(10, energy=61000.0)])
    assert (first.accepted, first.duplicates) == (10, 0)
    assert (again.accepted, again.duplicates) == (1, 7)
    with session(engine) as s:
        assert s.execute(select(func.count()).select_from(Sample)).scalar() == 11
    usage = rolled_usage(engine)
    assert sum(u.samples for u in usage) == 11
    # 10 counter differences of 6,000 J each, plus the first sample's power x interval
    assert sum(u.energy_j for u in usage) == pytest.approx(60000 + 200 * 30)


def test_out_of_order_batches_give_the_same_usage(engine, organisation):
    batch = [sample(i, energy=5000.0 * i, util=10 * (i % 10)) for i in range(40)]
    ingest(engine, organisation, batch[20:])
    ingest(engine, organisation, list(reversed(batch[:20])))
    usage = rolled_usage(engine)
    assert len(usage) == 1
    assert usage[0].samples == 40
    assert usage[0].energy_j == pytest.approx(39 * 5000 + 200 * 30)
    assert usage[0].util_sum == sum(10 * (i % 10) for i in range(40))


def test_counter_that_goes_backwards_is_a_reset_not_negative_energy(engine, organisation):
    counters = [0, 6000, 12000, 18000, 500, 6500, 12500]  # driver reload after the 4th
    ingest(engine, organisation, [sample(i, energy=float(e)) for i, e in enumerate(counters)])
    usage = rolled_usage(engine)
    # the reset interval falls back to power x time (200 W x 30 s); no negative energy
    assert usage[0].energy_j == pytest.approx(200 * 30 + 3 * 6000 + 200 * 30 + 2 * 6000)
    assert usage[0].energy_estimated


def test_gpu_without_counter_integrates_power(engine, organisation):
    ingest(engine, organisation, [sample(i, power=100.0 + 10 * i) for i in range(5)])
    usage = rolled_usage(engine)
    trapezoids = sum((100 + 10 * i + 100 + 10 * (i - 1)) / 2 * 30 for i in range(1, 5))
    assert usage[0].energy_j == pytest.approx(100 * 30 + trapezoids)


def test_bad_samples_are_rejected_with_reasons_and_the_rest_kept(engine, organisation):
    batch = [
        sample(0),
        sample(1, util=float("nan")),
        sample(2, util=140.0),
        sample(3),
        GpuSample("GPU-new", "node-9", T0 + 120, 10, 10, 50),  # unknown GPU, no type
        sample(5).__class__(**{**sample(5).to_json(), "ts": NOW + 3600}),  # clock skew
        sample(6).__class__(**{**sample(6).to_json(), "ts": NOW - 30 * 86400}),  # too old
        sample(7, power=-3.0),
    ]
    result = ingest(engine, organisation, batch)
    assert result.accepted == 2
    reasons = {r.index: r.reason for r in result.rejected}
    assert sorted(reasons) == [1, 2, 4, 5, 6, 7]
    assert "not a finite number" in reasons[1]
    assert "util_pct must be within 0..100" in reasons[2]
    assert "unknown GPU GPU-new" in reasons[4]
    assert "in the future" in reasons[5]
    assert "retention window" in reasons[6]
    assert "power_w" in reasons[7]
    with session(engine) as s:
        record_rejections(session=s, source="test", reasons=[r.reason for r in result.rejected])
        record_rejections(session=s, source="test", reasons=[reasons[2]])
        s.commit()
        status = store_status(session=s)
    counts = {reason: count for _, reason, count, _ in status.rejections}
    assert counts["util_pct must be within …..…, got …"] == 2


def test_wire_format_units_are_converted_and_unknown_units_rejected():
    s = sample_from_json({"gpu_uuid": "GPU-a", "node": "n",
                          "ts": datetime.fromtimestamp(T0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "util_pct": 50, "mem_used_mib": 2, "power_w": 250000,
                          "energy_j": 5000, "units": {"power": "mW", "mem": "GiB",
                                                      "energy": "mJ"}})
    assert (s.power_w, s.mem_used_mib, s.energy_j) == (250.0, 2048.0, 5.0)
    assert s.ts == T0
    with pytest.raises(SampleError, match="unknown unit 'furlongs'"):
        sample_from_json({"gpu_uuid": "GPU-a", "node": "n", "ts": T0, "util_pct": 5,
                          "mem_used_mib": 1, "power_w": 1, "units": {"power": "furlongs"}})
    with pytest.raises(SampleError, match="power_w must be within"):
        sample_from_json({"gpu_uuid": "GPU-a", "node": "n", "ts": T0, "util_pct": 5,
                          "mem_used_mib": 1, "power_w": 250000})  # mW sent as W


def test_jobs_are_attributed_to_teams_and_unknown_ones_to_unassigned(engine, organisation):
    with session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        upsert_jobs(session=s, cluster=CLUSTER, organisation=organisation, jobs=[
            JobInfo(external_id="nlp/job-1", name="job-1", user="zed", account="nlp"),
            JobInfo(external_id="x/job-2", name="job-2", user="erin"),
        ])
        s.commit()
    ingest(engine, organisation, [sample(i) for i in range(3)]
           + [sample(i, uuid="GPU-b", job="x/job-2") for i in range(3)]
           + [sample(i, uuid="GPU-c", job="mystery") for i in range(3)])
    rolled_usage(engine)
    with session(engine) as s:
        teams = {j.external_id: j.team for j in run_weeks(session=s, week=WEEK, gap_s=300)}
    assert teams == {"nlp/job-1": "nlp", "x/job-2": "vision", "mystery": "unassigned"}


def test_job_week_summarises_the_contract_fields(engine, organisation):
    batch = [sample(i, energy=1000.0 * i, util=80.0) for i in range(121)]  # one hour
    batch += [sample(i, energy=1000.0 * i, util=40.0, uuid="GPU-b") for i in range(121)]
    ingest(engine, organisation, batch)
    rolled_usage(engine)
    with session(engine) as s:
        (job,) = run_weeks(session=s, week=WEEK, gap_s=300)
    assert job.gpus == 2
    assert job.util_mean == pytest.approx(60.0)
    assert math.isclose(job.duration_s, 3630.0)


def test_a_later_job_description_fills_in_but_never_blanks_out(engine, organisation):
    with session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        upsert_jobs(session=s, cluster=CLUSTER, organisation=organisation, jobs=[
            JobInfo(external_id="4242", name="train_ner", user="alice", account="nlp",
                    command="srun python run_ner.py", kind="training")])
        upsert_jobs(session=s, cluster=CLUSTER, organisation=organisation, jobs=[
            JobInfo(external_id="4242", model="bert-base-cased")])  # what an agent knows
        s.commit()
    ingest(engine, organisation, [sample(i, job="4242") for i in range(3)])
    rolled_usage(engine)
    with session(engine) as s:
        (job,) = run_weeks(session=s, week=WEEK, gap_s=300)
    assert (job.team, job.user, job.name, job.kind) == ("nlp", "alice", "train_ner", "training")
    assert job.command == "srun python run_ner.py" and job.model == "bert-base-cased"
