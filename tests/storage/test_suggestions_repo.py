"""Stored suggestions: upsert, dismissal memory, counts.

Realized savings after a swap are the ledger's (analyzers/ledger.py): tests/bot/test_ledger_week.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from analyzers.suggestions import Suggestion as Proposed
from config.organisation import Organisation
from domain.workloads import workload_name
from storage.db import session as open_session
from storage.models import Cluster, Gpu, Job, Node, Usage
from storage.suggestions_repo import (
    save_suggestions,
    save_suggestions_bulk,
    suggestion_counts,
    suggestions_for,
)
from tests.clock import WEEK, at, weeks_after

NOW = at(WEEK, 7, 9)  # the Monday after WEEK, 09:00 UTC
NEXT_WEEK = weeks_after(WEEK)
KWH = 3.6e6
ORG = Organisation(gpu_prices_usd_per_hour={"H100": 4.0})


def swap(saved_kwh: float = 100.0, to: str = "distilbert-sst2") -> Proposed:
    return Proposed(kind="model_swap", title=f"Serve it with {to}",
                    change={"model": {"from": "llama-70b", "to": to}, "energy_ratio": 0.01},
                    saved_energy_j_week=saved_kwh * KWH, saved_cost_usd_week=50.0,
                    saved_co2e_kg_week=40.0, confidence=0.6)


def add_job(s, name: str, team: str = "nlp", task: str | None = "text_classification") -> int:  # type: ignore[no-untyped-def]
    job = Job(cluster_id=1, external_id=name, team=team, name=name, task=task)
    s.add(job)
    s.flush()
    assert job.id is not None
    return job.id


def add_usage(s, job_id: int, monday: date, kwh_per_day: float, days: int = 7) -> None:  # type: ignore[no-untyped-def]
    for d in range(days):
        day = monday + timedelta(days=d)
        ts = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        s.add(Usage(job_id=job_id, gpu_id=1, day=day, samples=1440, gpu_s=86400.0,
                    energy_j=kwh_per_day * KWH, util_sum=1440 * 40.0, util_max=80.0,
                    mem_max_mib=20000, first_ts=ts, last_ts=ts + 86340))


@pytest.fixture
def s(engine: Engine):  # type: ignore[no-untyped-def]
    with open_session(engine) as session:
        session.add(Cluster(id=1, name="frankfurt", region="DEU", pue=1.0,
                            energy_price_usd_per_kwh=0.2))
        session.flush()
        session.add(Node(id=1, cluster_id=1, hostname="n1"))
        session.flush()
        session.add(Gpu(id=1, uuid="GPU-1", node_id=1, gpu_type="NVIDIA H100 80GB HBM3",
                        mem_total_mib=81559))
        session.flush()
        yield session
        session.rollback()


def test_workload_names_drop_random_suffixes():
    assert workload_name("reviews-polarity-7d9f8b6c5d-x2k4p") == "reviews-polarity"
    assert workload_name("nightly-ner_20261123") == "nightly-ner"
    assert workload_name("train-bert-12345") == "train-bert"
    assert workload_name("whisper-small") == "whisper-small"


def test_saving_twice_updates_one_row_and_gives_ids(s):  # type: ignore[no-untyped-def]
    job_id = add_job(s, "reviews-polarity-x2k4p")
    first = save_suggestions(session=s, job_id=job_id, week=WEEK, suggestions=[swap()],
                             now=NOW)
    again = save_suggestions(session=s, job_id=job_id, week=WEEK,
                             suggestions=[swap(saved_kwh=120.0)], now=NOW)
    rows = suggestions_for(session=s, job_ids=[job_id])
    assert len(rows) == 1 and rows[0].state == "open"
    assert rows[0].saved_energy_j_week == pytest.approx(120 * KWH)
    assert first[0].id == again[0].id == rows[0].id


def test_a_dismissed_swap_is_not_reopened_for_the_next_run_of_the_same_workload(s):  # type: ignore[no-untyped-def]
    old = add_job(s, "reviews-polarity-x2k4p")
    save_suggestions(session=s, job_id=old, week=WEEK, suggestions=[swap()], now=NOW)
    row = suggestions_for(session=s, job_ids=[old])[0]
    row.state = "dismissed"
    s.add(row)
    new = add_job(s, "reviews-polarity-b9zt5")
    shown = save_suggestions(session=s, job_id=new, week=NEXT_WEEK, suggestions=[swap()],
                             now=NOW)
    assert shown == []
    assert [r.state for r in suggestions_for(session=s, job_ids=[new])] == ["dismissed"]
    # A different change on the same workload is still offered.
    other = save_suggestions(session=s, job_id=new, week=NEXT_WEEK,
                             suggestions=[swap(to="deberta-v3-small")], now=NOW)
    assert len(other) == 1
    counts = suggestion_counts(session=s, team="nlp", week=NEXT_WEEK)
    assert counts == {"open": 1, "approved": 0, "applied": 0, "dismissed": 0}


def _rows(s) -> dict[tuple[int, str], tuple]:  # type: ignore[no-untyped-def]
    s.expire_all()
    return {(r.job_id, r.kind): (r.id, r.week, r.state, r.fingerprint, r.title, r.change,
                                 r.saved_energy_j_week, r.confidence)
            for r in suggestions_for(session=s)}


def test_saving_many_jobs_at_once_stores_what_saving_them_one_by_one_does(s):  # type: ignore[no-untyped-def]
    def fewer(saved_kwh: float = 10.0) -> Proposed:
        return Proposed(kind="fewer_gpus", title="Use 1 GPU", change={"gpus": {"from": 8, "to": 1}},
                        saved_energy_j_week=saved_kwh * KWH, saved_cost_usd_week=5.0,
                        saved_co2e_kg_week=4.0, confidence=0.5)

    old, reopened, approved = (add_job(s, n) for n in ("reviews-polarity-x2k4p",
                                                       "reviews-polarity-q7wz2",
                                                       "reviews-polarity-m3n8v"))
    save_suggestions(session=s, job_id=old, week=WEEK, suggestions=[swap()], now=NOW)
    save_suggestions(session=s, job_id=reopened, week=NEXT_WEEK,
                     suggestions=[swap(to="tinybert")], now=NOW)
    save_suggestions(session=s, job_id=approved, week=NEXT_WEEK, suggestions=[fewer()], now=NOW)
    for row in suggestions_for(session=s):
        row.state = {old: "dismissed", reopened: "dismissed", approved: "approved"}[row.job_id]
        s.add(row)
    s.flush()
    runs = [add_job(s, f"reviews-polarity-{n}") for n in ("b9zt5", "c4kx7", "d8pw2")]
    untasked = add_job(s, "nightly-ner_20261123", task=None)
    items: list[tuple[int, list[Proposed], str | None]] = [
        (runs[0], [swap(), fewer()], "text_classification"),   # dismissed before: again
        (reopened, [swap(to="deberta-v3-small")], None),       # another change: reopened
        (runs[1], [swap(to="tinybert")], None),                # nobody dismisses it now
        (approved, [fewer(20.0)], None),                       # stays approved, updated
        (runs[2], [swap(to="x"), swap(to="distilbert-sst2")], None),  # one row per kind
        (untasked, [fewer()], None),
        (runs[1], [], None),
    ]

    def copy(found: list[Proposed]) -> list[Proposed]:
        return [replace(p, change=dict(p.change)) for p in found]

    with s.begin_nested() as one_by_one:
        singles = [save_suggestions(session=s, job_id=j, week=NEXT_WEEK,
                                    suggestions=copy(found), now=NOW, task=t)
                   for j, found, t in items]
        expected = _rows(s)
        expected_shown = [[(p.kind, p.id, p.title) for p in shown] for shown in singles]
        one_by_one.rollback()
    bulk = save_suggestions_bulk(session=s, week=NEXT_WEEK, now=NOW,
                                 items=[(j, "", copy(found), t) for j, found, t in items])
    found_rows = _rows(s)
    # Ids differ where the database does not reuse them after a rollback (PostgreSQL).
    ids = {row[0]: found_rows[key][0] for key, row in expected.items()}
    assert {k: (ids[v[0]], *v[1:]) for k, v in expected.items()} == found_rows
    assert [[(k, ids.get(i), t) for k, i, t in shown] for shown in expected_shown] == [
        [(p.kind, p.id, p.title) for p in shown] for shown in bulk]
    states = {k: v[2] for k, v in found_rows.items() if v[1] == NEXT_WEEK}
    assert states[(runs[0], "model_swap")] == "dismissed"
    assert states[(reopened, "model_swap")] == states[(runs[1], "model_swap")] == "open"
    assert states[(approved, "fewer_gpus")] == "approved"
    # The row moved on to a change dismissed before; the first one was shown when saved.
    assert states[(runs[2], "model_swap")] == "dismissed"
    assert [p.title for p in bulk[4]] == ["Serve it with x"]
