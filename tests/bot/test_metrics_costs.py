"""The ledger's figures on /metrics: per team, cluster and GPU type, as the ledger has them."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from starlette.testclient import TestClient

from bot.budgets import budget_in_force
from bot.metrics import rejection_labels
from bot.server import create_server
from config.organisation import UNASSIGNED, Organisation
from config.settings import Settings
from domain.types import J_PER_KWH
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from tests.bot.metrics_page import sample
from tests.bot.test_server import NOW as SERVER_NOW
from tests.bot.test_server import TOKEN
from tests.bot.test_server import sample as gpu_sample
from tests.clock import SUITE_NOW, WEEK, at

pytestmark = pytest.mark.dated

NOW = at(WEEK, 9, 12)  # the week after WEEK: WEEK is the last complete one


def _client(engine: Engine, organisation: Organisation, now: datetime = NOW) -> TestClient:
    url = engine.url.render_as_string(hide_password=False)
    return TestClient(create_server(Settings(database_url=url), organisation, engine,
                                    clock=now.timestamp, slack_events=False))


def _total(page: str, name: str, **labels: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(page) for s in f.samples
               if s.name == name and labels.items() <= s.labels.items())


def test_the_last_complete_week_is_on_metrics_as_the_ledger_has_it(
        demo_engine: Engine, organisation: Organisation) -> None:
    client = _client(demo_engine, organisation)
    page = client.get("/metrics").text
    with new_session(demo_engine) as s:
        ledger = load_ledger(session=s, week=WEEK)
        budgets = {t.name: budget_in_force(session=s, organisation=organisation, team=t.name)
                   for t in organisation.teams}
    assert ledger is not None and ledger.teams
    last = {"period": "last_week"}
    for name, team in ledger.teams.items():
        cost = team.cost
        assert _total(page, "ai_cost_spend", **last, team=name) == pytest.approx(cost.cost_usd)
        assert _total(page, "ai_cost_gpu_seconds", **last, team=name) == pytest.approx(
            cost.gpu_hours * 3600)
        assert _total(page, "ai_cost_energy_joules", **last, team=name) == pytest.approx(
            cost.energy_j)
        assert _total(page, "ai_cost_co2e_grams", **last, team=name) == pytest.approx(
            cost.co2e_kg * 1000)
        assert _total(page, "ai_cost_oversized_runs", **last, team=name) == len(team.oversized)
        if team.label:
            assert sample(page, "ai_cost_team_label", **last, team=name) == "ABCDEFG".index(
                team.label) + 1
    lines = ledger.lines()
    assert _total(page, "ai_cost_runs", **last) == len(lines)
    opened = [max(s.saved_cost_usd_week for s in line.suggestions if s.state == "open")
              for line in lines if any(s.state == "open" for s in line.suggestions)]
    assert opened, "the demo week has open suggestions"
    assert _total(page, "ai_cost_open_suggestion_savings", **last) == pytest.approx(sum(opened))
    held_idle = sum(line.cost.gpu_hours for line in lines if line.waste_kind == "idle") * 3600
    assert _total(page, "ai_cost_held_idle_gpu_seconds", **last) == pytest.approx(held_idle)
    for name, cluster in ledger.clusters.items():
        assert sample(page, "ai_cost_unheld_idle_gpu_seconds", **last,
                      cluster=name) == pytest.approx(cluster.idle_gpu_hours * 3600)
    # Money carries the organisation's currency; budgets are the ones in force.
    assert {s.labels["currency"] for f in text_string_to_metric_families(page)
            for s in f.samples if s.name == "ai_cost_spend"} == {organisation.currency}
    for name, budget in budgets.items():
        assert sample(page, "ai_cost_team_weekly_budget", team=name) == budget.usd
        kwh = sample(page, "ai_cost_team_weekly_budget_joules", team=name)
        assert kwh == (None if budget.kwh is None else pytest.approx(budget.kwh * J_PER_KWH))
    # Only names of the organisation file are label values.
    teams = {t.name for t in organisation.teams} | {UNASSIGNED}
    clusters = {c.name for c in organisation.clusters}
    gpu_types = set(organisation.gpu_prices_usd_per_hour) | {"other"}
    for family in text_string_to_metric_families(page):
        for point in family.samples:
            assert point.labels.get("team", UNASSIGNED) in teams
            assert point.labels.get("cluster", "other") in clusters | {"other"}
            assert point.labels.get("gpu_type", "other") in gpu_types


def test_the_figures_are_built_once_per_refresh_not_per_scrape(
        demo_engine: Engine, organisation: Organisation) -> None:
    client = _client(demo_engine, organisation)
    first = client.get("/metrics").text
    for _ in range(3):
        assert client.get("/metrics").text.count("ai_cost_spend{") == first.count(
            "ai_cost_spend{")
    costs = client.app.state.costs  # type: ignore[attr-defined]
    assert costs.builds == 1
    with new_session(demo_engine) as s:  # a refresh of the week: judged again, a new time
        from storage.models import LedgerWeek

        head = s.get(LedgerWeek, WEEK)
        assert head is not None
        head.refreshed_at = (head.refreshed_at or 0) + 60
        s.commit()
    client.get("/metrics")  # the last refresh's figures at once, the new ones built behind
    costs.settle()
    assert costs.builds == 2
    client.get("/metrics")
    assert costs.builds == 2


def test_a_week_not_judged_yet_is_absent_not_zero(
        demo_engine: Engine, organisation: Organisation) -> None:
    page = _client(demo_engine, organisation, now=SUITE_NOW).get("/metrics").text
    assert sample(page, "ai_cost_spend", period="this_week") is None


def test_what_a_client_sends_never_becomes_a_label_value(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    client = TestClient(create_server(Settings(database_url=database_url), organisation,
                                      engine, clock=lambda: SERVER_NOW, slack_events=False))
    told = [f"made up reason {n} {'x' * n}" for n in range(20)]
    batch = {"source": "my-own-collector-7", "rejected": told,
             "samples": [gpu_sample(0), gpu_sample(1, util_pct=140)]}
    assert client.post("/ingest", json=batch, headers=TOKEN).status_code == 422
    page = client.get("/metrics").text
    rejections = [s for f in text_string_to_metric_families(page) for s in f.samples
                  if s.name == "ai_cost_ingest_rejections_total"]
    assert {(s.labels["source"], s.labels["reason"]) for s in rejections} == {
        ("other", "other"), ("other", "invalid_util_pct")}
    assert sum(s.value for s in rejections) == 21


@pytest.mark.parametrize(("source", "reason", "labels"), [
    ("agent:a", "util_pct must be within 0..100, got 140", ("a", "agent", "invalid_util_pct")),
    ("dcgm:a", "ts 12 is older than the raw-sample retention window", ("a", "dcgm", "too_old")),
    ("slurm:b", "ts 12 is 900 s in the future (clock skew?)", ("b", "slurm", "future")),
    ("ingest", "HTTP 401: no token", ("", "ingest", "http_401")),
    ("ingest", "HTTP 418: a teapot", ("", "ingest", "http_other")),
    ("x:c", "unknown unit 'W' for power", ("c", "other", "invalid_power")),
    ("agent:a", "secret-42 is broken", ("a", "agent", "other")),
])
def test_rejections_are_counted_by_bounded_kinds(source: str, reason: str,
                                                  labels: tuple[str, str, str]) -> None:
    assert rejection_labels(source, reason) == labels


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool is not installed (apt-get install prometheus; .ci/run does)")
def test_promtool_finds_the_page_clean(demo_engine: Engine, organisation: Organisation) -> None:
    page = _client(demo_engine, organisation).get("/metrics").text
    checked = subprocess.run(["promtool", "check", "metrics"], input=page, text=True,
                             capture_output=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_database_that_cannot_serve_leaves_the_last_figures_and_the_page_up(
        demo_engine: Engine, organisation: Organisation) -> None:
    from sqlalchemy import create_engine

    from bot.cost_metrics import CostCollector

    costs = CostCollector(engine=demo_engine, organisation=organisation, clock=lambda: NOW)
    built = {m.name for m in costs.collect()}
    assert "ai_cost_spend" in built
    costs._engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                  connect_args={"connect_timeout": 2})
    shown = {m.name: m for m in costs.collect()}
    assert "ai_cost_spend" in shown and "ai_cost_team_weekly_budget" not in shown
    assert shown["ai_cost_ledger_readable"].samples[0].value == 0
