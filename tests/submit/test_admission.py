"""The Kubernetes admission webhook over real HTTP: AdmissionReview v1 documents as the API
server sends them (tests/fixtures/admission/), one for each workload kind, in; the response the
API server reads, the warnings kubectl would print, the recorded warnings and the counted
outcomes out."""

from __future__ import annotations

import copy
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, select
from starlette.applications import Starlette

from bot.admission import OUTCOMES, WARNING_CHARS, AdmissionEndpoint
from bot.metrics import admission_reviews
from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from storage.db import make_engine, session
from storage.models import SubmitWarning
from tests.bot.metrics_page import sample as metric
from tests.clock import SUITE_NOW
from tests.live_server import free_port, running

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "admission"
CLUSTER = "frankfurt-k8s"  # the example organisation's Kubernetes cluster
WEBHOOK = f"/admission/validate/{CLUSTER}"
# fixture -> (the team its namespace belongs to, its user, what the warning names)
WARNED = {
    "pod": ("nlp", "alice", "llama3-70b-sentiment"),
    "job": ("nlp", "alice", "mixtral-8x7b-ner-extract"),
    "cronjob": ("nlp", "alice", "nightly-review-sentiment"),
    "deployment": ("vision", "dave", "qwen2-72b-ticket-classifier"),
    "inferenceservice": ("nlp", "alice", "review-sentiment"),
}


def review(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return doc


def post(base: str, doc: dict[str, Any] | bytes, path: str = WEBHOOK) -> dict[str, Any]:
    """POST like the API server does; the AdmissionReview answered (always HTTP 200)."""
    content = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    response = httpx.post(base + path, content=content, timeout=60,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["apiVersion"] == "admission.k8s.io/v1" and body["kind"] == "AdmissionReview"
    return body


def stored(engine: Engine) -> list[SubmitWarning]:
    with session(engine) as s:
        return list(s.exec(select(SubmitWarning).order_by(SubmitWarning.id)).scalars())


def outcomes(base: str) -> dict[str, float | None]:
    page = httpx.get(base + "/metrics", timeout=30).text
    return {o: metric(page, "ai_cost_admission_reviews_total", outcome=o) for o in OUTCOMES}


def deny(organisation: Organisation, *rules: str) -> Organisation:
    return organisation.model_copy(update={"submit": organisation.submit.model_copy(
        update={"deny": list(rules)})})


@pytest.fixture
def server(database_url: str, engine: Engine, organisation: Organisation) -> Iterator[str]:
    app = create_server(Settings(database_url=database_url), organisation, engine,
                        clock=SUITE_NOW.timestamp, slack_events=False)
    with running(app) as base:
        yield base


def test_every_workload_kind_is_allowed_with_its_warning_and_recorded(
        server: str, engine: Engine) -> None:
    for name, (_, _, job_name) in WARNED.items():
        doc = review(name)
        response = post(server, doc)["response"]
        assert response["uid"] == doc["request"]["uid"], name
        assert response["allowed"] is True, name
        warnings = response["warnings"]
        assert warnings and job_name in warnings[0], (name, warnings)
        assert all(len(w) <= WARNING_CHARS and "\n" not in w for w in warnings), warnings
        assert "status" not in response
    rows = {row.job_name: row for row in stored(engine)}
    assert set(rows) == {job for _, _, job in WARNED.values()}
    for name, (team, user, job_name) in WARNED.items():
        row = rows[job_name]
        assert (row.source, row.cluster, row.team, row.user) == (
            "kubernetes", CLUSTER, team, user), name
        assert row.kinds == ["oversized_model"] and not row.denied
        assert row.est_saved_usd_week > 0
    assert rows["qwen2-72b-ticket-classifier"].request["replicas"] == 3
    assert outcomes(server)["warned"] == len(WARNED)


def test_a_right_sized_workload_passes_without_a_warning(server: str, engine: Engine) -> None:
    doc = review("statefulset")  # a 70B chat model generating text: the work it is made for
    response = post(server, doc)["response"]
    assert response == {"uid": doc["request"]["uid"], "allowed": True}
    assert stored(engine) == []
    assert outcomes(server)["passed"] == 1


def test_a_dry_run_gets_the_warnings_and_records_nothing(server: str, engine: Engine) -> None:
    doc = review("pod")
    doc["request"]["dryRun"] = True  # kubectl apply --dry-run=server
    response = post(server, doc)["response"]
    assert response["allowed"] is True
    assert "llama3-70b-sentiment" in response["warnings"][0]
    assert stored(engine) == []


def test_an_update_asking_for_the_same_is_warned_not_recorded_again(
        server: str, engine: Engine) -> None:
    doc = review("deployment")
    post(server, doc)
    update = copy.deepcopy(doc)
    update["request"].update(uid="7c1e2d3f-0000-4000-8000-000000000001", operation="UPDATE",
                             oldObject=copy.deepcopy(doc["request"]["object"]))
    update["request"]["object"]["metadata"]["labels"]["release"] = "2"
    assert post(server, update)["response"]["warnings"]
    assert len(stored(engine)) == 1
    bigger = copy.deepcopy(update)
    bigger["request"]["uid"] = "7c1e2d3f-0000-4000-8000-000000000002"
    bigger["request"]["object"]["spec"]["replicas"] = 6
    assert post(server, bigger)["response"]["warnings"]
    assert [r.request["replicas"] for r in stored(engine)] == [3, 6]


def _unreadable() -> list[tuple[str, bytes, str]]:
    garbled = review("job")
    garbled["request"]["object"]["spec"]["template"] = "not a pod template"
    v1beta1 = review("pod")
    v1beta1["apiVersion"] = "admission.k8s.io/v1beta1"
    delete = review("pod")
    delete["request"].update(operation="DELETE", object=None,
                             oldObject=review("pod")["request"]["object"])
    return [("bad_json", b'{"apiVersion": "admission.k8s.io/v1", "kind": "Adm', ""),
            ("not_a_review", json.dumps(v1beta1).encode(), ""),
            ("no_object", json.dumps(delete).encode(), delete["request"]["uid"]),
            ("unknown_kind", json.dumps(review("configmap")).encode(),
             review("configmap")["request"]["uid"]),
            ("no_gpus", json.dumps(review("pod-cpu")).encode(),
             review("pod-cpu")["request"]["uid"]),
            ("owned", json.dumps(review("pod-owned")).encode(),
             review("pod-owned")["request"]["uid"]),
            ("unreadable", json.dumps(garbled).encode(), garbled["request"]["uid"])]


def test_what_it_cannot_read_is_allowed_silently_and_counted(
        server: str, engine: Engine) -> None:
    before = outcomes(server)
    assert all(value == 0 for value in before.values()), before  # every outcome, from 0
    for outcome, body, uid in _unreadable():
        answered = post(server, body)
        assert answered["response"] == {"uid": uid, "allowed": True}, outcome
    unknown_cluster = post(server, review("pod"), path="/admission/validate/no-such-cluster")
    assert unknown_cluster["response"]["allowed"] is True
    assert "warnings" not in unknown_cluster["response"]
    after = outcomes(server)
    for outcome, _, _ in _unreadable():
        assert after[outcome] == 1, outcome
    assert after["unknown_cluster"] == 1
    assert stored(engine) == []


def test_without_a_cluster_in_the_path_it_still_warns(server: str, engine: Engine) -> None:
    response = post(server, review("pod"), path="/admission/validate")["response"]
    assert response["allowed"] is True and response["warnings"]
    (row,) = stored(engine)
    assert row.cluster is None and row.team == "nlp"


def test_a_rule_set_to_deny_refuses_the_workload_with_its_reason(
        database_url: str, engine: Engine, organisation: Organisation) -> None:
    app = create_server(Settings(database_url=database_url),
                        deny(organisation, "oversized_model"), engine,
                        clock=SUITE_NOW.timestamp, slack_events=False)
    with running(app) as base:
        refused = post(base, review("deployment"))["response"]
        passed = post(base, review("statefulset"))["response"]
    assert refused["allowed"] is False
    assert refused["status"]["code"] == 403
    assert "qwen2-72b-ticket-classifier" in refused["status"]["message"]
    assert refused["warnings"]
    assert passed["allowed"] is True
    (row,) = stored(engine)
    assert row.denied is True


def test_a_database_down_never_refuses_and_the_warning_is_still_shown(
        organisation: Organisation) -> None:
    down = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/ai_cost")
    registry = CollectorRegistry()
    counter = admission_reviews(registry)
    endpoint = AdmissionEndpoint(organisation=organisation, engine=down, counter=counter,
                                 clock=SUITE_NOW.timestamp)
    with running(Starlette(routes=endpoint.routes())) as base:
        response = post(base, review("pod"))["response"]
    assert response["allowed"] is True
    assert "llama3-70b-sentiment" in response["warnings"][0]
    assert registry.get_sample_value("ai_cost_admission_reviews_total",
                                     {"outcome": "unrecorded"}) == 1


def _certificates(where: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for 127.0.0.1 it signed: (ca.crt, tls.crt, tls.key)."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True,
                       timeout=60)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
            "/CN=ai-cost-admission", "-keyout", "tls.key", "-out", "tls.csr")
    (where / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", "tls.crt", "-extfile", "san.ext")
    return where / "ca.crt", where / "tls.crt", where / "tls.key"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the certificates")
@pytest.mark.parametrize("backend", ["sqlite"])
def test_ai_cost_serve_answers_the_api_server_over_tls(database_url: str,
                                                      tmp_path: Path) -> None:
    """What the admission Deployment runs: `ai-cost serve --ssl-certfile --ssl-keyfile`, and a
    client that trusts only the CA in the webhook's caBundle."""
    ca, cert, key = _certificates(tmp_path)
    trusted = ssl.create_default_context(cafile=str(ca))
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
           "AI_COST_DATABASE_URL": database_url}
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("ai-cost")), "--log-level", "info", "serve",
         "--port", str(port),
         "--no-socket", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/healthz/live", verify=trusted, timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)  # polling a process that starts; no event to wait on
        # the server loads the judge beside serving; once loaded, the first review is answered
        # within the 2 s the ValidatingWebhookConfiguration gives it
        while "submit-time judge ready" not in (tmp_path / "serve.log").read_text():
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the judge was not loaded at start-up"
            time.sleep(0.2)  # polling a process's log; no event to wait on
        doc = review("pod")
        answered = httpx.post(f"{base}{WEBHOOK}", json=doc, verify=trusted, timeout=2)
        with pytest.raises(httpx.TransportError):
            httpx.post(f"http://127.0.0.1:{port}{WEBHOOK}", json=doc, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    response = answered.json()["response"]
    assert response["uid"] == doc["request"]["uid"] and response["allowed"] is True
    assert "llama3-70b-sentiment" in response["warnings"][0]
