"""The read API on the demo week: JSON and CSV as the ledger has them, tokens, its OpenAPI."""

from __future__ import annotations

import csv
import io
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from starlette.testclient import TestClient

from bot.server import create_server
from config.organisation import Organisation, OrganisationError, ReadToken
from config.settings import Settings
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from storage.served_repo import load_served
from tests.clock import WEEK, at, weeks_after, weeks_before

pytestmark = pytest.mark.dated

NOW = at(WEEK, 9, 12)  # WEEK is the last complete week
FINOPS = {"Authorization": "Bearer read-finops-0123456789"}
NLP_ONLY = {"Authorization": "Bearer read-nlp-only-0123456789"}


@pytest.fixture
def readable(organisation: Organisation) -> Organisation:
    return organisation.model_copy(update={"read_tokens": [
        ReadToken(name="finops", token="read-finops-0123456789"),
        ReadToken(name="nlp", token="read-nlp-only-0123456789", teams=["nlp"])]})


@pytest.fixture
def api(demo_engine: Engine, readable: Organisation) -> TestClient:
    url = demo_engine.url.render_as_string(hide_password=False)
    return TestClient(create_server(Settings(database_url=url), readable, demo_engine,
                                    clock=NOW.timestamp, slack_events=False))


def test_teams_are_the_ledger_s_with_the_currency(api: TestClient, demo_engine: Engine,
                                                   readable: Organisation) -> None:
    body = api.get("/api/v1/teams", headers=FINOPS).json()
    with new_session(demo_engine) as s:
        ledger = load_ledger(session=s, week=WEEK)
    assert ledger is not None
    assert body["week"] == WEEK and body["currency"] == readable.currency
    got = {row["team"]: row for row in body["items"]}
    assert set(got) == set(ledger.teams)
    for name, team in ledger.teams.items():
        assert got[name]["cost"] == pytest.approx(team.cost.cost_usd, abs=1e-3)
        assert got[name]["energy_kwh"] == pytest.approx(team.cost.energy_kwh, abs=1e-3)
        assert got[name]["label"] == team.label
        assert got[name]["runs"] == len(team.jobs)
    runs = api.get("/api/v1/runs", headers=FINOPS, params={"team": "nlp"}).json()["items"]
    assert len(runs) == len(ledger.teams["nlp"].jobs) and {r["team"] for r in runs} == {"nlp"}


def test_csv_on_request_sums_to_the_same_chargeback(api: TestClient,
                                                     readable: Organisation) -> None:
    as_json = api.get("/api/v1/teams", headers=FINOPS).json()
    by_accept = api.get("/api/v1/teams", headers={**FINOPS, "Accept": "text/csv"})
    by_param = api.get("/api/v1/teams", headers=FINOPS, params={"format": "csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_param.text
    rows = list(csv.DictReader(io.StringIO(by_accept.text)))
    assert {r["currency"] for r in rows} == {readable.currency}
    assert sum(float(r["cost"]) for r in rows) == pytest.approx(
        sum(t["cost"] for t in as_json["items"]), abs=0.01)
    assert f"ai-cost-teams-{WEEK}.csv" in by_accept.headers["content-disposition"]


def test_only_read_tokens_read_and_a_team_token_sees_its_team(api: TestClient) -> None:
    assert api.get("/api/v1/teams").status_code == 401
    ingest = {"Authorization": "Bearer demo-frankfurt-token"}
    refused = api.get("/api/v1/teams", headers=ingest)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    mine = api.get("/api/v1/teams", headers=NLP_ONLY).json()["items"]
    assert [r["team"] for r in mine] == ["nlp"]
    assert api.get("/api/v1/runs", headers=NLP_ONLY,
                   params={"team": "vision"}).status_code == 403
    assert {r["team"] for r in api.get("/api/v1/suggestions",
                                       headers=NLP_ONLY).json()["items"]} <= {"nlp"}


def test_a_read_token_must_not_be_an_ingest_token(organisation: Organisation) -> None:
    with pytest.raises(ValueError, match="also an ingest token"):
        Organisation.model_validate({**organisation.model_dump(), "read_tokens": [
            {"name": "x", "token": organisation.clusters[0].ingest_token}]})
    assert issubclass(OrganisationError, ValueError)


def test_weeks_idle_and_errors_say_what_to_do(api: TestClient) -> None:
    weeks = api.get("/api/v1/weeks", headers=FINOPS).json()["items"]
    assert [w["week"] for w in weeks] == [WEEK] and weeks[0]["complete"]
    idle = api.get("/api/v1/idle", headers=FINOPS).json()["items"]
    assert idle and all(0 <= r["idle_share"] <= 1 for r in idle)
    missing = api.get("/api/v1/teams", headers=FINOPS, params={"week": weeks_before(WEEK, 3)})
    assert missing.status_code == 404 and "/api/v1/weeks" in missing.json()["error"]
    assert api.get("/api/v1/teams", headers=FINOPS,
                   params={"week": "last week"}).status_code == 400
    assert api.get("/api/v1/teams", headers=FINOPS,
                   params={"colour": "red"}).status_code == 400


def test_served_endpoints_are_the_ledger_s_and_a_team_token_sees_its_own(
        api: TestClient, demo_engine: Engine) -> None:
    with new_session(demo_engine) as s:
        stored = load_served(session=s, weeks=[WEEK])
    assert stored, "the demo week serves models"
    every = api.get("/api/v1/served", headers=FINOPS).json()
    assert every["week"] == WEEK and every["currency"] == "USD"
    assert [(r["team"], r["service"]) for r in every["items"]] == [
        (d["team"], d["service"]) for d in stored]
    for row, d in zip(every["items"], stored, strict=True):
        assert row["wh_per_1k_requests"] == d["wh_per_1k_requests"]
        assert row["energy_kwh"] == pytest.approx(d["energy_j"] / 3.6e6, abs=1e-6)
    mine = api.get("/api/v1/served", headers=NLP_ONLY).json()["items"]
    assert mine and {r["team"] for r in mine} == {"nlp"}
    rows = list(csv.DictReader(io.StringIO(api.get(
        "/api/v1/served", headers=FINOPS, params={"format": "csv"}).text)))
    assert [r["service"] for r in rows] == [d["service"] for d in stored]


def _schema(doc: dict[str, Any], media: dict[str, Any]) -> dict[str, Any]:
    ref = media["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    return doc["components"]["schemas"][ref]  # type: ignore[no-any-return]


TABLES = ["teams", "runs", "suggestions", "idle", "weeks", "served"]
WEEKS = st.sampled_from([WEEK, weeks_after(WEEK, 1), weeks_before(WEEK, 1), "last",
                         "current", f"{WEEK[:4]}-W54", WEEK[5:], ""])
NAMES = st.sampled_from(["nlp", "vision", "speech", "research", "unassigned", "frankfurt-k8s",
                         "iowa-hpc", "nope", "", "a" * 80]) | st.text(max_size=12)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLES), token=st.sampled_from([FINOPS, NLP_ONLY, {}]),
       week=st.none() | WEEKS, team=st.none() | NAMES, cluster=st.none() | NAMES,
       state=st.none() | st.sampled_from(["open", "approved", "dismissed", "x y"]),
       fmt=st.none() | st.sampled_from(["json", "csv", "xml"]))
def test_every_answer_is_one_the_openapi_document_promises(
        api: TestClient, table: str, token: dict[str, str], week: str | None,
        team: str | None, cluster: str | None, state: str | None, fmt: str | None) -> None:
    doc = api.get("/api/v1/openapi.json").json()
    operation = doc["paths"][f"/api/v1/{table}"]["get"]
    known = {p["name"] for p in operation["parameters"]}
    params = {k: v for k, v in (("week", week), ("team", team), ("cluster", cluster),
                                ("state", state), ("format", fmt))
              if v is not None and k in known}
    response = api.get(f"/api/v1/{table}", headers=token, params=params)
    documented = operation["responses"]
    assert str(response.status_code) in documented, (params, response.text)
    media = documented[str(response.status_code)]["content"]
    if response.headers["content-type"].startswith("text/csv"):
        assert "text/csv" in media
        header = response.text.splitlines()[0].split(",")
        properties = _schema(doc, media)["properties"]["items"]["items"]["properties"]
        assert header == [*properties, "currency"]
    else:
        jsonschema.validate(response.json(), _schema(doc, media))
    if not token:
        assert response.status_code == 401
