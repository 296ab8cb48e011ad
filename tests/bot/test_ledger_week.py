"""A hand-computed week sent through POST /ingest, checked on every surface.

The week: a notebook pod name reused for two sessions on two GPU types, a training job that
started the week before, an idle 4-GPU notebook, an energy counter that jumps by 3.6 GJ, and
a duplicate sample sent after the week was judged. Every figure below is worked out by hand
from the samples: 30 s apart, each standing for the 30 s before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.budgets import budget_in_force
from bot.cli import app
from bot.digests import DigestService, Outcome, build_digests
from bot.pipeline import refresh
from bot.server import create_server
from bot.services.team_view import TeamViews
from config.organisation import Organisation
from config.settings import Settings
from domain.samples import GpuSample, JobInfo
from domain.weeks import week_start
from storage.batches import store_batch
from storage.db import session as new_session
from storage.ingest import sync_organisation
from storage.ledger_repo import load_ledger
from storage.models import IngestRejection, LedgerRun, RollupDirty
from storage.slack_repo import Audit, set_team_setting, transition
from tests.clock import WEEK, WEEK_START, weeks_before

pytestmark = pytest.mark.dated

TOKEN = "demo-frankfurt-token"  # frankfurt-k8s: DEU grid, PUE 1.25, $0.21 per kWh
PUE, KWH_USD = 1.25, 0.21
DEU_G_PER_KWH = 380.95  # Germany, 2023 (config/data/carbon_intensity_by_country.json)
PRICE = {"NVIDIA H100 80GB HBM3": 4.00, "NVIDIA A100-SXM4-80GB": 2.50, "NVIDIA L40S": 1.40}
STEP = 30


T0 = WEEK_START.timestamp()  # Monday 00:00 UTC of the suite's last complete week
NOW = WEEK_START + timedelta(days=8, hours=12)  # the Tuesday after, noon UTC


def week_start_ts(week: str) -> float:
    return week_start(week).timestamp()


@dataclass(frozen=True)
class Stretch:
    job: str
    gpus: tuple[str, ...]
    gpu_type: str
    start: float  # Unix seconds of the first sample
    hours: float
    util: float
    power_w: float


STRETCHES = [
    # nlp/bob's notebook pod: Monday 10:00-12:00 on 2 H100, Wednesday 14:00-15:00 on 2 A100.
    Stretch("jupyter-bob", ("GPU-h1", "GPU-h2"), "NVIDIA H100 80GB HBM3", T0 + 10 * 3600, 2,
            1.0, 100.0),
    Stretch("jupyter-bob", ("GPU-a1", "GPU-a2"), "NVIDIA A100-SXM4-80GB", T0 + 2 * 86400
            + 14 * 3600, 1, 1.0, 60.0),
    # research/heidi's training: Sunday 22:00 of the week before to Monday 02:00, one H100.
    Stretch("train-llm", ("GPU-h3",), "NVIDIA H100 80GB HBM3", T0 - 2 * 3600, 4, 90.0, 600.0),
    # vision/dave's idle notebook: Tuesday 08:00-12:00 on 4 L40S.
    Stretch("idle-notebook", ("GPU-l1", "GPU-l2", "GPU-l3", "GPU-l4"), "NVIDIA L40S",
            T0 + 86400 + 8 * 3600, 4, 0.0, 30.0),
    # a GPU no job holds, reporting Thursday 00:00-03:00: idle capacity of the cluster
    Stretch("", ("GPU-free",), "NVIDIA L40S", T0 + 3 * 86400, 3, 0.0, 40.0),
]
JOBS = [
    {"external_id": "jupyter-bob", "name": "jupyter-bob", "user": "bob", "team": "nlp",
     "kind": "interactive", "image": "jupyter/pytorch-notebook"},
    {"external_id": "train-llm", "name": "train-llm", "user": "heidi", "team": "research",
     "kind": "training", "command": "torchrun train.py --model llama-7b", "precision": "bf16"},
    {"external_id": "idle-notebook", "name": "idle-notebook", "user": "dave", "team": "vision",
     "kind": "interactive"},
]
CORRUPT_AT = T0 + 3600  # train-llm's counter jumps by 3.6 GJ here and stays offset


def _samples(stretches: list[Stretch] | None = None) -> list[dict[str, Any]]:
    out = []
    for st in STRETCHES if stretches is None else stretches:
        n = int(st.hours * 3600 / STEP)
        for gpu in st.gpus:
            counter = 1_000_000.0
            for i in range(n):
                ts = st.start + i * STEP
                counter += st.power_w * STEP
                jump = 3.6e9 if st.job == "train-llm" and ts >= CORRUPT_AT else 0.0
                out.append({"gpu_uuid": gpu, "node": "node-1", "ts": ts, "util_pct": st.util,
                            "mem_used_mib": 2048, "power_w": st.power_w,
                            "energy_j": counter + jump, "job": st.job or None,
                            "gpu_type": st.gpu_type, "mem_total_mib": 81920})
    return out


def _expected() -> dict[str, dict[str, float]]:
    """Per team: GPU-hours, kWh, GPU $ and energy $ in the week, by hand."""
    teams = {"nlp": (("NVIDIA H100 80GB HBM3", 2, 2.0, 100.0),
                     ("NVIDIA A100-SXM4-80GB", 2, 1.0, 60.0)),
             # only the 2 h of the week: Monday 00:00 to 02:00
             "research": (("NVIDIA H100 80GB HBM3", 1, 2.0, 600.0),),
             "vision": (("NVIDIA L40S", 4, 4.0, 30.0),)}
    out = {}
    for team, parts in teams.items():
        gpu_h = sum(g * h for _, g, h, _ in parts)
        kwh = sum(g * h * w / 1000 for _, g, h, w in parts)
        gpu_usd = sum(g * h * PRICE[t] for t, g, h, _ in parts)
        out[team] = {"gpu_hours": gpu_h, "energy_kwh": kwh,
                     "cost_usd": gpu_usd + kwh * PUE * KWH_USD,
                     "co2e_kg": kwh * PUE * DEU_G_PER_KWH / 1000}
    return out


@pytest.fixture
def judged(engine: Engine, organisation: Organisation, database_url: str,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    settings = Settings(database_url=database_url, now=NOW)
    server = create_server(settings, organisation, engine, clock=lambda: T0 + 7 * 86400)
    with TestClient(server) as client:
        samples = _samples()
        for start in range(0, len(samples), 4000):
            body = {"jobs": JOBS, "samples": samples[start:start + 4000]}
            answer = client.post("/ingest", json=body,
                                 headers={"Authorization": f"Bearer {TOKEN}"})
            assert answer.status_code == 200, answer.text
            assert answer.json()["rejected"] == []
    with new_session(engine) as s:
        refresh(session=s, settings=settings, organisation=organisation, now=NOW,
                weeks=[WEEK])
        s.commit()
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    monkeypatch.setenv("AI_COST_NOW", NOW.isoformat())
    yield settings


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_surface_gives_the_hand_computed_figures(judged: Settings, engine: Engine,
                                                       organisation: Organisation) -> None:
    expected = _expected()
    report = json.loads(_cli("report", "--json"))
    assert report["week"] == WEEK and report["complete"]
    teams = {t["team"]: t for t in report["teams"]}
    for team, want in expected.items():
        got = teams[team]
        assert got["gpu_hours"] == pytest.approx(want["gpu_hours"], rel=0.005), team
        assert got["energy_kwh"] == pytest.approx(want["energy_kwh"], rel=0.005), team
        assert got["cost_usd"] == pytest.approx(want["cost_usd"], rel=0.005), team
        assert got["co2e_kg"] == pytest.approx(want["co2e_kg"], rel=0.005, abs=0.001), team
    # the corrupt 3.6 GJ step is a reset, not 1,000 kWh of training
    assert teams["research"]["energy_kwh"] < 1.3
    [cluster] = report["clusters"]
    assert cluster["cluster"] == "frankfurt-k8s"
    assert cluster["idle_gpu_hours"] == pytest.approx(3.0)
    assert cluster["idle_cost_usd"] == pytest.approx(3 * 1.40 + 0.12 * PUE * KWH_USD, rel=0.005)
    held = sum(w["gpu_hours"] for w in expected.values())
    assert cluster["gpu_hours"] == pytest.approx(held + 3.0)  # the week only
    with new_session(engine) as s:
        digests = {d.team: d for d in build_digests(session=s, organisation=organisation,
                                                    week=WEEK, now=NOW)}
        view = TeamViews(organisation=organisation, clock=NOW.timestamp).week(session=s)
        assert view is not None
        for team, want in expected.items():
            assert digests[team].figures.cost_usd == pytest.approx(teams[team]["cost_usd"],
                                                                   abs=0.01)
            assert view.teams[team].cost.cost_usd == pytest.approx(want["cost_usd"], rel=0.005)
            assert digests[team].rank == teams[team]["rank"] == view.ranks.get(team)
        status = s.execute(select(func.sum(IngestRejection.count)).where(
            IngestRejection.source == "rollup")).scalar()
        assert status == 1  # the one counter step, counted for `ai-cost status`
    for team in expected:
        answer = json.loads(_cli("ask", f"how much did team {team} spend in {WEEK}?", "--json"))
        for key in ("cost_usd", "energy_kwh", "gpu_hours", "co2e_kg"):
            assert answer["numbers"][key] == pytest.approx(teams[team][key], abs=0.01), key


def test_a_reused_pod_name_gives_two_runs_and_no_saving_exceeds_its_run(
        judged: Settings) -> None:
    out = json.loads(_cli("suggest", "--job", "jupyter-bob", "--json"))
    runs = sorted(out["runs"], key=lambda r: r["gpu_type"])
    assert [(r["gpus"], r["gpu_type"]) for r in runs] == [
        (2, "NVIDIA A100-SXM4-80GB"), (2, "NVIDIA H100 80GB HBM3")]
    assert [r["hours"] for r in runs] == [pytest.approx(1.0), pytest.approx(2.0)]
    h100 = runs[1]
    assert h100["cost_usd"] == pytest.approx(2 * 2 * 4.00 + 0.4 * PUE * KWH_USD, rel=0.005)
    for run in out["runs"]:
        for s in run["suggestions"]:
            assert s["saved_cost_usd_week"] <= run["cost_usd"] + 1e-6
    idle = json.loads(_cli("suggest", "--job", "idle-notebook", "--json"))["runs"]
    [run] = idle
    assert run["label"] == "G"  # idle GPUs draw little but cost a lot: the label counts both
    release = [s for s in run["suggestions"] if s["kind"] == "release"]
    assert release and release[0]["saved_cost_usd_week"] == pytest.approx(run["cost_usd"],
                                                                          rel=1e-3)


def test_refresh_is_idempotent_and_a_duplicate_rebuilds_nothing(
        judged: Settings, engine: Engine, organisation: Organisation) -> None:
    before = json.loads(_cli("report", "--json"))
    with new_session(engine) as s:
        rows = s.execute(select(func.count()).select_from(LedgerRun)).scalar()
    server = create_server(judged, organisation, engine, clock=lambda: NOW.timestamp())
    duplicate = _samples()[100]
    with TestClient(server) as client:
        answer = client.post("/ingest", json={"samples": [duplicate]},
                             headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
    with new_session(engine) as s:
        assert s.execute(select(func.count()).select_from(RollupDirty)).scalar() == 0
        ledger = load_ledger(session=s, week=WEEK)
        assert ledger is not None and not ledger.stale  # nothing new to count
        refresh(session=s, settings=judged, organisation=organisation, now=NOW, weeks=[WEEK])
        s.commit()
        assert s.execute(select(func.count()).select_from(LedgerRun)).scalar() == rows
    after = json.loads(_cli("report", "--json"))
    assert [t["cost_usd"] for t in after["teams"]] == [t["cost_usd"] for t in before["teams"]]


def test_reads_write_nothing_and_an_unjudged_week_says_what_to_run(
        judged: Settings, engine: Engine) -> None:
    with new_session(engine) as s:
        rows = s.execute(select(func.count()).select_from(LedgerRun)).scalar()
    _cli("report", "--json")
    _cli("ask", "how much did team nlp spend last week?")
    with new_session(engine) as s:
        assert s.execute(select(func.count()).select_from(LedgerRun)).scalar() == rows
    later = CliRunner().invoke(app, ["report", "--week", "current"], catch_exceptions=False)
    assert later.exit_code == 1 and "ai-cost refresh" in later.output


def _store(engine: Engine, organisation: Organisation, jobs: list[dict[str, Any]],
           stretches: list[Stretch]) -> None:
    with new_session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        store_batch(session=s, organisation=organisation, cluster="frankfurt-k8s",
                    jobs=[JobInfo(**j) for j in jobs],
                    samples=[GpuSample(**x) for x in _samples(stretches)],
                    now=NOW.timestamp(), retention_s=60 * 86400, max_skew_s=300)
        s.commit()


def _judge(engine: Engine, organisation: Organisation, *weeks: str) -> None:
    with new_session(engine) as s:
        refresh(session=s, settings=Settings(now=NOW), organisation=organisation, now=NOW,
                weeks=list(weeks))
        s.commit()


def _apply(engine: Engine, suggestion_id: int, at: datetime, outcome: str,
           path: tuple[str, ...] = ("open", "approved", "applied")) -> None:
    with new_session(engine) as s:
        for old, new in zip(path, path[1:], strict=False):
            assert transition(session=s, suggestion_id=suggestion_id, old=old, new=new,
                              audit=Audit(actor="alice", action=new, outcome=outcome), now=at)
        s.commit()


def _pod(name: str) -> dict[str, str]:
    return {"external_id": name, "name": name}


SERVE = {**_pod("serve-intent-5d8c7b9f6-x7k2p"),
         "user": "carol", "team": "nlp", "kind": "inference",
         "model": "meta-llama/Llama-3.1-70B-Instruct", "task": "text_classification"}


def test_realized_savings_count_once_per_workload_and_never_exceed_its_cost(
        engine: Engine, organisation: Organisation) -> None:
    before = weeks_before(WEEK, 1)
    t_before = week_start_ts(before)
    # the week before: an intent classifier served by a 70B model on 4 H100, Mon-Thu
    _store(engine, organisation, [SERVE], [
        Stretch(SERVE["external_id"], ("GPU-s1", "GPU-s2", "GPU-s3", "GPU-s4"),
                "NVIDIA H100 80GB HBM3", t_before, 96, 40.0, 300.0)])
    _judge(engine, organisation, before)
    with new_session(engine) as s:
        ledger = load_ledger(session=s, week=before)
        assert ledger is not None
        [line] = ledger.teams["nlp"].jobs
        baseline = line.cost.cost_usd
        swap = next(x for x in line.suggestions if x.kind == "model_swap")
        assert swap.id is not None
        assert all(x.saved_cost_usd_week <= baseline + 1e-6 for x in line.suggestions)
    _apply(engine, swap.id, datetime.fromtimestamp(t_before + 5 * 86400, UTC), "webhook")
    # this week: the same workload (a new pod of the same deployment) on one GPU, and an
    # unrelated job of vision that happens to have the same name, on 4 GPUs
    other = dict(SERVE, **_pod("serve-intent-7c9d8f6b5-m2n8t"), user="dave", team="vision")
    after = dict(SERVE, **_pod("serve-intent-6b4f9d8c7-z9q4r"), model="distilbert-base-uncased")
    _store(engine, organisation, [after, other], [
        Stretch(after["external_id"], ("GPU-s1",), "NVIDIA H100 80GB HBM3", T0, 96, 40.0, 300.0),
        Stretch(other["external_id"], ("GPU-v1", "GPU-v2", "GPU-v3", "GPU-v4"),
                "NVIDIA H100 80GB HBM3", T0, 96, 40.0, 300.0)])
    # judging the week before again re-offers its suggestions: they stay one row each
    _judge(engine, organisation, before, WEEK)
    _judge(engine, organisation, WEEK)
    with new_session(engine) as s:
        ledger = load_ledger(session=s, week=WEEK)
        assert ledger is not None
        [saving] = ledger.realized["nlp"]
        assert not ledger.realized.get("vision")
        measured = ledger.teams["nlp"].cost.cost_usd
        assert saving.baseline_cost_usd_week == pytest.approx(baseline)
        assert saving.saved_cost_usd_week == pytest.approx(baseline - measured)
        assert 0 < saving.saved_cost_usd_week <= saving.baseline_cost_usd_week
        assert saving.estimated_cost_usd_week == pytest.approx(swap.saved_cost_usd_week)
        assert saving.suggestion_ids == [swap.id]


def test_a_swap_only_recorded_saves_nothing_until_it_is_done_by_hand(engine: Engine,
                                                organisation: Organisation) -> None:
    before = weeks_before(WEEK, 1)
    t_before = week_start_ts(before)
    _store(engine, organisation, [SERVE], [
        Stretch(SERVE["external_id"], ("GPU-s1", "GPU-s2"), "NVIDIA H100 80GB HBM3", t_before,
                48, 40.0, 300.0)])
    _judge(engine, organisation, before)
    with new_session(engine) as s:
        ledger = load_ledger(session=s, week=before)
        assert ledger is not None
        swap = ledger.teams["nlp"].jobs[0].suggestions[0]
        assert swap.id is not None
    recorded = datetime.fromtimestamp(t_before + 5 * 86400, UTC)
    _apply(engine, swap.id, recorded, "none", ("open", "approved", "manual"))
    _store(engine, organisation, [SERVE], [
        Stretch(SERVE["external_id"], ("GPU-s1",), "NVIDIA H100 80GB HBM3", T0, 48, 40.0,
                300.0)])
    _judge(engine, organisation, WEEK)
    with new_session(engine) as s:
        ledger = load_ledger(session=s, week=WEEK)
        assert ledger is not None and ledger.realized == {}
    # the owner makes the change by hand and says so: from then on it is followed
    _apply(engine, swap.id, recorded + timedelta(hours=3), "by hand", ("manual", "done"))
    _judge(engine, organisation, WEEK)
    with new_session(engine) as s:
        ledger = load_ledger(session=s, week=WEEK)
        assert ledger is not None
        [saving] = ledger.realized["nlp"]
        assert saving.suggestion_ids == [swap.id] and saving.saved_cost_usd_week > 0


def test_a_reused_job_id_never_rewrites_the_owner_of_past_weeks(
        engine: Engine, organisation: Organisation) -> None:
    before = weeks_before(WEEK, 1)
    first = {"external_id": "4242", "name": "train", "user": "heidi", "account": "research"}
    second = {"external_id": "4242", "name": "train", "user": "dave", "account": "vision"}
    _store(engine, organisation, [first], [
        Stretch("4242", ("GPU-r1",), "NVIDIA H100 80GB HBM3", week_start_ts(before), 3, 90.0,
                600.0)])
    _store(engine, organisation, [second], [
        Stretch("4242", ("GPU-r1",), "NVIDIA H100 80GB HBM3", T0, 3, 90.0, 600.0)])
    _judge(engine, organisation, before, WEEK)
    with new_session(engine) as s:
        old, new = load_ledger(session=s, week=before), load_ledger(session=s, week=WEEK)
        assert old is not None and new is not None
        assert [(ln.job.team, ln.job.user) for ln in old.lines()] == [("research", "heidi")]
        assert [(ln.job.team, ln.job.user) for ln in new.lines()] == [("vision", "dave")]


def test_one_budget_rule_and_one_rank_on_every_surface(
        judged: Settings, engine: Engine, organisation: Organisation) -> None:
    with new_session(engine) as s:  # nlp's file says 1,500 kWh; its approver sets 100 kWh
        set_team_setting(session=s, team="nlp", actor="alice", now=NOW, weekly_budget_kwh=100.0)
        s.commit()
    report = {t["team"]: t for t in json.loads(_cli("report", "--json"))["teams"]}
    assert [b["budget"] for b in report["nlp"]["budget"]] == [100.0]
    answer = json.loads(_cli("ask", f"what is the budget of team nlp in {WEEK}?", "--json"))
    assert answer["numbers"]["budget_kwh"] == 100.0
    with new_session(engine) as s:
        views = TeamViews(organisation=organisation, clock=NOW.timestamp)
        view = views.week(session=s)
        assert views.budget(session=s, view=view, team="nlp").kwh == 100.0
        # unassigned usage is never ranked; the ranked teams agree everywhere
        assert view is not None and "unassigned" not in view.ranks
        assert {t: r["rank"] for t, r in report.items() if r["rank"]} == view.ranks
    with new_session(engine) as s:  # the file's budget changes later: it wins again
        changed = organisation.model_copy(deep=True)
        nlp = changed.team("nlp")
        assert nlp is not None and nlp.weekly_budget is not None
        nlp.weekly_budget.kwh = 1200.0
        sync_organisation(session=s, organisation=changed, now=NOW + timedelta(hours=1))
        s.commit()
        assert budget_in_force(session=s, organisation=changed, team="nlp").kwh == 1200.0


def test_figures_priced_with_a_default_say_so(engine: Engine, organisation: Organisation,
                                              database_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    job = {"external_id": "old-gpus", "name": "old-gpus", "user": "frank", "team": "speech"}
    _store(engine, organisation, [job], [
        Stretch("old-gpus", ("GPU-p1",), "Tesla P100-PCIE-16GB", T0, 2, 80.0, 200.0)])
    _judge(engine, organisation, WEEK)
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    monkeypatch.setenv("AI_COST_NOW", NOW.isoformat())
    teams = {t["team"]: t for t in json.loads(_cli("report", "--json"))["teams"]}
    assert any("P100" in d for d in teams["speech"]["defaults"])
    assert teams["nlp"]["defaults"] == []
    digest = _cli("digest", "--team", "speech", "--text")
    assert "priced with defaults" in digest and "P100" in digest


class _NoSlack:
    """A poster that must not be reached: the digest is refused before any Slack call."""

    def upload_png(self, *args: Any, **kwargs: Any) -> str:
        raise AssertionError("nothing may be uploaded")

    def post(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        raise AssertionError("nothing may be posted")


def test_a_digest_is_posted_only_for_an_ended_judged_up_to_date_week(
        engine: Engine, organisation: Organisation) -> None:
    job = {"external_id": "train-x", "name": "train-x", "user": "alice", "team": "nlp"}
    _store(engine, organisation, [job], [
        Stretch("train-x", ("GPU-x1",), "NVIDIA H100 80GB HBM3", T0, 2, 90.0, 600.0)])

    def post(at: datetime, week: str = WEEK) -> Outcome:
        service = DigestService(engine=engine, organisation=organisation,
                                poster=_NoSlack(), clock=lambda: at)  # type: ignore[arg-type]
        return service.post_team("nlp", week)

    refused = post(NOW)  # samples stored, the week never judged
    assert refused.status == "failed" and "has not been judged" in refused.detail
    _judge(engine, organisation, WEEK)
    during = post(WEEK_START + timedelta(days=6, hours=22), week=WEEK)  # Sunday 22:00 UTC
    assert during.status == "failed" and "not over yet" in during.detail
    _store(engine, organisation, [job], [  # a late sample after judging
        Stretch("train-x", ("GPU-x1",), "NVIDIA H100 80GB HBM3", T0 + 3 * 3600, 0.01, 90.0,
                600.0)])
    with new_session(engine) as s:
        refresh(session=s, settings=Settings(now=NOW), organisation=organisation, now=NOW,
                weeks=[weeks_before(WEEK, 3)])  # rolls up, judges another week only
        s.commit()
        ledger = load_ledger(session=s, week=WEEK)
        assert ledger is not None and ledger.stale
    stale = post(NOW + timedelta(minutes=30))
    assert stale.status == "failed" and "arrived after it was judged" in stale.detail
