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
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app
from bot.digests import build_digests
from bot.pipeline import refresh
from bot.server import create_server
from bot.services.team_view import TeamViews
from config.organisation import Organisation
from config.settings import Settings
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from storage.models import IngestRejection, LedgerRun, RollupDirty
from tests.clock import WEEK, WEEK_START

pytestmark = pytest.mark.dated

TOKEN = "demo-frankfurt-token"  # frankfurt-k8s: DEU grid, PUE 1.25, $0.21 per kWh
PUE, KWH_USD = 1.25, 0.21
PRICE = {"NVIDIA H100 80GB HBM3": 4.00, "NVIDIA A100-SXM4-80GB": 2.50, "NVIDIA L40S": 1.40}
STEP = 30


T0 = WEEK_START.timestamp()  # Monday 00:00 UTC of the suite's last complete week
NOW = WEEK_START + timedelta(days=8, hours=12)  # the Tuesday after, noon UTC


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


def _samples() -> list[dict[str, Any]]:
    out = []
    for st in STRETCHES:
        n = int(st.hours * 3600 / STEP)
        for gpu in st.gpus:
            counter = 1_000_000.0
            for i in range(n):
                ts = st.start + i * STEP
                counter += st.power_w * STEP
                jump = 3.6e9 if st.job == "train-llm" and ts >= CORRUPT_AT else 0.0
                out.append({"gpu_uuid": gpu, "node": "node-1", "ts": ts, "util_pct": st.util,
                            "mem_used_mib": 2048, "power_w": st.power_w,
                            "energy_j": counter + jump, "job": st.job,
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
                     "cost_usd": gpu_usd + kwh * PUE * KWH_USD}
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
    # the corrupt 3.6 GJ step is a reset, not 1,000 kWh of training
    assert teams["research"]["energy_kwh"] < 1.3
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
        assert answer["numbers"]["cost_usd"] == pytest.approx(teams[team]["cost_usd"], abs=0.01)


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
