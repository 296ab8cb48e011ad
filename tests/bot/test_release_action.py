"""An approved release of idle GPUs stops what holds them: a real Slurm job is cancelled with
scancel, a Kubernetes workload is scaled to zero through a webhook (a local controller); a team
that did not opt in gets advice only. Audited and ended like a swap."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.messages.swaps import suggestion_buttons
from bot.services.approvals import Approvals, Click
from bot.services.buttons import swap_buttons
from bot.services.directory import Directory
from bot.services.swap_actions import SwapActions, by_hand_reason
from bot.services.webhooks import webhook_signature
from config.organisation import ClusterConfig, Organisation, ReleaseAction, TeamConfig
from domain.samples import JobInfo
from domain.types import Suggestion as Proposed
from storage import slack_repo
from storage.db import make_engine, migrate, session
from storage.ingest import sync_organisation
from storage.jobs import upsert_jobs
from storage.models import Suggestion
from storage.slack_repo import Audit
from storage.suggestions_repo import save_suggestions
from tests.bot.conftest import HOOK_SECRET, SlackWorld
from tests.clock import SUITE_NOW, WEEK, iso
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN
from tests.slurm_cluster import SlurmCluster, missing

SECRET = "scale-secret"
PEOPLE = {"alice": "U0ALICE", "bob": "U0BOB", "dave": "U0DAVE"}
RELEASE = {"release": {"idle_hours": 5.0, "gpus": 2}}


# -- a real Slurm, one per module ------------------------------------------------------------
@pytest.fixture(scope="module")
def slurm() -> Iterator[SlurmCluster]:
    if missing() is not None:
        pytest.skip(f"no real Slurm: {missing()}")
    cluster = SlurmCluster(Path(tempfile.mkdtemp(prefix="ai-cost-release-")), accounts=("nlp",))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


def _state_of(slurm: SlurmCluster, job_id: str) -> str:
    """The job's state as squeue (while it is known there) or sacct tells it."""
    queued = slurm.run("squeue", "-h", "-j", job_id, "-o", "%T", check=False).strip()
    if queued:
        return queued
    out = slurm.run("sacct", "-n", "-X", "-P", "-o", "State", f"--jobs={job_id}", check=False)
    return out.strip().split(" ")[0]


def _wait_state(slurm: SlurmCluster, job_id: str, wanted: tuple[str, ...]) -> str:
    deadline = time.monotonic() + 60
    while (state := _state_of(slurm, job_id)) not in wanted:
        assert time.monotonic() < deadline, f"job {job_id} stayed {state!r}, wanted {wanted}"
        threading.Event().wait(0.2)
    return state


# -- a small Kubernetes controller behind the scale webhook ----------------------------------
@dataclass
class FakeController:
    """Scales Deployments and StatefulSets it knows, as a controller behind the webhook would.

    Checks the signature (401 otherwise), answers 404 for a workload it does not have, 422 for
    a kind that has no replicas; `fail_next` answers 500, `slow_s` answers late.
    """

    replicas: dict[tuple[str, str, str], int] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    slow_s: float = 0.0
    url: str = ""
    secret: str = SECRET

    def start(self) -> ThreadingHTTPServer:
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                controller.calls.append({**body, "_key": self.headers["Idempotency-Key"]})
                if controller.slow_s:
                    threading.Event().wait(controller.slow_s)
                expected = webhook_signature(raw, secret=controller.secret,
                                             timestamp=int(self.headers["X-AI-Cost-Timestamp"]))
                key = (body["namespace"], body["kind"], body["name"])
                if self.headers["X-AI-Cost-Signature"] != expected:
                    self._answer(401, {"error": "bad signature"})
                elif controller.fail_next:
                    controller.fail_next -= 1
                    self._answer(500, {"error": "etcd unavailable"})
                elif body["kind"] not in ("Deployment", "StatefulSet"):
                    self._answer(422, {"error": f"a {body['kind']} has no replicas"})
                elif key not in controller.replicas:
                    self._answer(404, {"error": f"{body['kind'].lower()} "
                                                f"{body['namespace']}/{body['name']} not found"})
                else:
                    controller.replicas[key] = int(body["replicas"])
                    self._answer(200, {"replicas": controller.replicas[key]})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}/scale"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return server


@pytest.fixture
def controller() -> Iterator[FakeController]:
    fake = FakeController()
    server = fake.start()
    yield fake
    server.shutdown()
    server.server_close()


# -- the world: one team, its owner, approver and an outsider ---------------------------------
def _organisation(release: ReleaseAction | None, slurm_name: str = "") -> Organisation:
    return Organisation(
        clusters=[ClusterConfig(name="hpc", region="us-central1",
                                slurm_cluster_name=slurm_name or None),
                  ClusterConfig(name="k8s", region="us-central1")],
        teams=[TeamConfig(name="nlp", members=["alice", "bob"], approvers=["bob"],
                          accounts=["nlp"], release_action=release),
               TeamConfig(name="vision", members=["dave"], approvers=["dave"],
                          accounts=["vision"])],
        slack_users=PEOPLE)


def _release_suggestion(engine: Engine, organisation: Organisation, *, cluster: str,
                        external_id: str, name: str = "idle-notebook") -> int:
    """A release suggestion of alice's job, stored as refresh stores it."""
    with session(engine) as s:
        sync_organisation(session=s, organisation=organisation)
        ids = upsert_jobs(session=s, cluster=cluster, organisation=organisation, jobs=[
            JobInfo(external_id=external_id, name=name, user="alice", account="nlp")])
        [kept] = save_suggestions(
            session=s, job_id=ids[external_id], week=WEEK, now=SUITE_NOW, suggestions=[
                Proposed(kind="release", change=RELEASE, saved_energy_j_week=3.6e6,
                         title=f"Release the 2 GPUs {name} holds: they sat idle for 5.0 h",
                         saved_cost_usd_week=40.0, saved_co2e_kg_week=0.4, confidence=0.85)])
        s.commit()
    assert kept.id is not None
    return kept.id


def _approvals(engine: Engine, organisation: Organisation, slack_api: FakeSlackApi,
               environ: dict[str, str]) -> Approvals:
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url)
    return Approvals(organisation=organisation, engine=engine,
                     directory=Directory(organisation=organisation, client=client),
                     actions=SwapActions(environ=environ, sleep=lambda _: None),
                     clock=SUITE_NOW.timestamp)


def _moves(engine: Engine, sid: int) -> list[tuple[str | None, str | None, str | None]]:
    with session(engine) as s:
        return [(e.old_state, e.new_state, e.outcome)
                for e in slack_repo.events_of(session=s, suggestion_id=sid)]


def _label(engine: Engine, organisation: Organisation, sid: int) -> str:
    """The primary button's words on the suggestion as a reader sees it."""
    with session(engine) as s:
        suggestion, job = slack_repo.suggestions_by_id(session=s, ids=[sid])[sid]
    block = suggestion_buttons(suggestion, by_hand=by_hand_reason(
        organisation.team(job.team), suggestion, job))
    assert block is not None
    return str(block["elements"][0]["text"]["text"])


def click(sid: int, who: str) -> Click:
    return Click(suggestion_id=sid, slack_user_id=PEOPLE[who], channel="C0NLP",
                 message_ts="1.000001")


# -- Slurm ------------------------------------------------------------------------------------
# One test (one item, on SQLite), so however the workers share the suite, one Slurm starts.
@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'ai-cost.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_releases_on_a_real_slurm(slurm: SlurmCluster, sqlite_engine: Engine,
                                  slack_api: FakeSlackApi) -> None:
    engine = sqlite_engine
    opted_in = _organisation(ReleaseAction(slurm_command="scancel {job_id}"), slurm.name)

    # An approved release cancels the running job, once, after a refusal cancelled nothing.
    job_id = slurm.submit(account="nlp", seconds=600, gpus=2, name="idle-notebook")
    _wait_state(slurm, job_id, ("RUNNING",))
    sid = _release_suggestion(engine, opted_in, cluster="hpc", external_id=job_id)
    assert _label(engine, opted_in, sid) == "Release 2 GPUs"
    approvals = _approvals(engine, opted_in, slack_api, slurm.env)
    refused = approvals.approve(click(sid, "dave"))  # another team's person
    assert refused.status == "refused" and "approvers (bob)" in refused.message
    assert _state_of(slurm, job_id) == "RUNNING"
    done = approvals.approve(click(sid, "alice"))  # the job's owner
    assert done.status == "applied", done.message
    assert done.message == (f"Released by <@U0ALICE>: Slurm job {job_id} cancelled "
                            f"(scancel --verbose {job_id}).")
    assert _wait_state(slurm, job_id, ("CANCELLED",)) == "CANCELLED"
    assert _moves(engine, sid)[-2:] == [("open", "approved", None),
                                        ("approved", "applied", "slurm")]
    again = approvals.approve(click(sid, "bob"))
    assert again.status == "already" and "This release was already approved" in again.message

    # A job already gone: failed with scancel's words, retried, then marked done by hand.
    gone = slurm.submit(account="nlp", seconds=1, gpus=2, name="short")
    slurm.wait_done([gone])
    sid = _release_suggestion(engine, opted_in, cluster="hpc", external_id=gone, name="short")
    failed = approvals.approve(click(sid, "bob"))  # the team's approver
    assert failed.status == "failed"
    assert (f"scancel --verbose {gone} failed (exit 0): Kill job error on job id {gone}: "
            "Job/step already completing or completed") in failed.message, failed.message
    assert approvals.retry(click(sid, "bob")).status == "failed"
    assert approvals.mark_done(click(sid, "alice")).status == "done"
    assert [m[:2] for m in _moves(engine, sid)] == [
        ("open", "approved"), ("approved", "failed"), ("failed", "approved"),
        ("approved", "failed"), ("failed", "done")]

    # A team that did not opt in: advice only, the job keeps running.
    advice = _organisation(None, slurm.name)
    kept = slurm.submit(account="nlp", seconds=600, gpus=2, name="kept")
    _wait_state(slurm, kept, ("RUNNING",))
    sid = _release_suggestion(engine, advice, cluster="hpc", external_id=kept, name="kept")
    assert _label(engine, advice, sid) == "Release 2 GPUs (by hand)"
    outcome = _approvals(engine, advice, slack_api, slurm.env).approve(click(sid, "alice"))
    assert outcome.status == "manual"
    assert "releases are advice only for this team" in outcome.message
    assert _state_of(slurm, kept) == "RUNNING"  # nothing was cancelled
    slurm.run("scancel", kept)


# -- Kubernetes -------------------------------------------------------------------------------
def _k8s(engine: Engine, controller: FakeController, *, kind: str = "Deployment",
         timeout_s: float = 5.0) -> tuple[Organisation, int]:
    organisation = _organisation(ReleaseAction(scale_url=controller.url,
                                               secret_env="SCALE_SECRET", timeout_s=timeout_s))
    sid = _release_suggestion(engine, organisation, cluster="k8s",
                              external_id=f"nlp/{kind}/notebook", name="notebook")
    return organisation, sid


def test_an_approved_release_scales_the_workload_to_zero(
        engine: Engine, slack_api: FakeSlackApi, controller: FakeController,
        monkeypatch: pytest.MonkeyPatch) -> None:
    organisation, sid = _k8s(engine, controller)
    controller.replicas[("nlp", "Deployment", "notebook")] = 1
    assert _label(engine, organisation, sid) == "Release 2 GPUs"
    approvals = _approvals(engine, organisation, slack_api, {"SCALE_SECRET": SECRET})
    outcome = approvals.approve(click(sid, "bob"))
    assert outcome.status == "applied", outcome.message
    assert "Deployment nlp/notebook scaled to 0 replicas" in outcome.message
    assert controller.replicas[("nlp", "Deployment", "notebook")] == 0
    [call] = controller.calls
    assert call["replicas"] == 0 and call["approved_by"] == "bob"
    assert _moves(engine, sid)[-1] == ("approved", "applied", "kubernetes")
    # the audit trail and the list of suggestions say it, as for a swap
    monkeypatch.setenv("AI_COST_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("AI_COST_NOW", iso(SUITE_NOW))
    audit = CliRunner().invoke(cli, ["audit", "--team", "nlp"])
    assert audit.exit_code == 0, audit.output
    assert f"#{sid} nlp/notebook  bob apply  approved -> applied [kubernetes]" in audit.output
    listed = CliRunner().invoke(cli, ["suggestions", "--team", "nlp", "--state", "applied"])
    assert f"#{sid} " in listed.output and "Release the 2 GPUs notebook holds" in listed.output


def test_a_workload_the_controller_does_not_have_fails_with_its_reason(
        engine: Engine, slack_api: FakeSlackApi, controller: FakeController) -> None:
    organisation, sid = _k8s(engine, controller)
    approvals = _approvals(engine, organisation, slack_api, {"SCALE_SECRET": SECRET})
    outcome = approvals.approve(click(sid, "alice"))
    assert outcome.status == "failed"
    assert "answered 404: deployment nlp/notebook not found" in outcome.message
    dismissed = approvals.dismiss(click(sid, "alice"), reason="deleted it already")
    assert dismissed.status == "dismissed"
    assert [m[1] for m in _moves(engine, sid)] == ["approved", "failed", "dismissed"]


def test_a_controller_that_errs_or_times_out_fails_then_a_retry_applies(
        engine: Engine, slack_api: FakeSlackApi, controller: FakeController) -> None:
    organisation, sid = _k8s(engine, controller, timeout_s=0.3)
    controller.replicas[("nlp", "Deployment", "notebook")] = 2
    approvals = _approvals(engine, organisation, slack_api, {"SCALE_SECRET": SECRET})
    controller.slow_s = 1.0
    slow = approvals.approve(click(sid, "alice"))
    assert slow.status == "failed"
    assert "did not answer within 0.3 s after 3 attempts" in slow.message
    controller.slow_s, controller.fail_next = 0.0, 3
    erred = approvals.retry(click(sid, "alice"))
    assert erred.status == "failed" and "answered 500 after 3 attempts" in erred.message
    applied = approvals.retry(click(sid, "alice"))
    assert applied.status == "applied"
    assert controller.replicas[("nlp", "Deployment", "notebook")] == 0
    with session(engine) as s:
        assert s.get(Suggestion, sid).state == "applied"  # type: ignore[union-attr]


def test_a_release_left_approved_by_a_stopped_process_is_swept_and_scaled_once(
        engine: Engine, slack_api: FakeSlackApi, controller: FakeController) -> None:
    organisation, sid = _k8s(engine, controller)
    controller.replicas[("nlp", "Deployment", "notebook")] = 1
    now = [SUITE_NOW.timestamp()]
    client = WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url)
    approvals = Approvals(organisation=organisation, engine=engine,
                          directory=Directory(organisation=organisation, client=client),
                          actions=SwapActions(environ={"SCALE_SECRET": SECRET},
                                              sleep=lambda _: None),
                          clock=lambda: now[0])
    with session(engine) as s:  # the approval committed, then the process died
        slack_repo.transition(session=s, suggestion_id=sid, old="open", new="approved",
                              audit=Audit(actor="alice", action="approve"), now=SUITE_NOW)
        s.commit()
    assert approvals.sweep() == []  # not stuck yet
    now[0] += 16 * 60
    assert approvals.sweep() == [(sid, "applied")]
    assert approvals.sweep() == []
    [call] = controller.calls
    assert call["approved_by"] == "alice" and call["_key"] == f"ai-cost-release-{sid}"
    assert controller.replicas[("nlp", "Deployment", "notebook")] == 0


def test_a_bare_pod_cannot_be_scaled_so_its_release_is_by_hand(
        engine: Engine, slack_api: FakeSlackApi, controller: FakeController) -> None:
    organisation, sid = _k8s(engine, controller, kind="Pod")
    assert _label(engine, organisation, sid) == "Release 2 GPUs (by hand)"
    outcome = _approvals(engine, organisation, slack_api,
                         {"SCALE_SECRET": SECRET}).approve(click(sid, "alice"))
    assert outcome.status == "manual" and "cannot be scaled to zero" in outcome.message
    assert not controller.calls


def test_slurm_command_placeholders_are_arguments_never_a_shell() -> None:
    from bot.services.release_actions import release_target, slurm_argv
    from storage.models import Job

    assert slurm_argv("ssh login1 scancel --clusters={cluster} {job_id}", job_id="42",
                      cluster="c1", user="alice") == [
        "ssh", "login1", "scancel", "--verbose", "--clusters=c1", "42"]
    assert slurm_argv("/usr/bin/scancel", job_id="42_3", cluster="c", user="a") == [
        "/usr/bin/scancel", "--verbose", "42_3"]
    with pytest.raises(ValueError, match="unknown placeholder"):
        slurm_argv("scancel {jobid}", job_id="42", cluster="c", user="a")
    # an id that is not a Slurm job id is never handed to scancel
    assert release_target(Job(cluster_id=1, external_id="--user=root")) is None
    assert release_target(Job(cluster_id=1, external_id="42; rm -rf /")) is None


# -- through Slack: the button, the click, the message's outcome -----------------------------
@pytest.mark.dated
def test_a_click_on_release_scales_it_and_the_message_says_so(
        slack_world: SlackWorld, controller: FakeController) -> None:
    w = slack_world
    nlp = w.organisation.team("nlp")
    assert nlp is not None
    # signed with the secret the server's environment holds (tests/bot/conftest.py)
    nlp.release_action = ReleaseAction(scale_url=controller.url, secret_env="NLP_SWAP_SECRET")
    controller.secret = HOOK_SECRET
    sid = _release_suggestion(w.engine, w.organisation, cluster="frankfurt-k8s",
                              external_id="nlp/Deployment/notebook", name="notebook")
    controller.fail_next = 3  # the first approval fails: Retry, Dismiss, Mark done
    with session(w.engine) as s:
        buttons = swap_buttons(session=s, directory=w.services.approvals._directory,
                               ids=[sid], public=True)(sid)
    assert buttons is not None and buttons["elements"][0]["text"]["text"] == "Release 2 GPUs"
    posted = w.services.nudges._client.chat_postMessage(  # the bot's own channel message
        channel="C0NLP", text="release", blocks=[buttons])
    ts = posted["ts"]
    w.click("approve_swap", sid, user="alice", channel="C0NLP", message_ts=ts,
            blocks=posted["message"]["blocks"])
    w.slack.wait_for("chat.update")
    failed = json.dumps(w.slack.messages[("C0NLP", ts)]["blocks"])
    assert "applying it failed: Deployment nlp/notebook not scaled" in failed
    assert all(a in failed for a in ("retry_swap", "dismiss_swap", "done_swap"))
    controller.replicas[("nlp", "Deployment", "notebook")] = 1
    w.click("retry_swap", sid, user="alice", channel="C0NLP", message_ts=ts,
            blocks=w.slack.messages[("C0NLP", ts)]["blocks"])
    w.slack.wait_for("chat.update", 2)
    done = json.dumps(w.slack.messages[("C0NLP", ts)]["blocks"])
    assert "Released by <@U0ALICE>: Deployment nlp/notebook scaled to 0 replicas" in done
    assert "retry_swap" not in done and "approve_swap" not in done
    assert controller.replicas[("nlp", "Deployment", "notebook")] == 0


def test_a_refused_or_missing_cancel_command_fails_with_its_words(tmp_path: Path) -> None:
    from storage.models import Job

    refuse = tmp_path / "scancel"  # a scancel that is refused, as for another user's job
    refuse.write_text("#!/bin/sh\necho \"scancel: error: Kill job error on job id $2: "
                      "Access/permission denied\" >&2\nexit 1\n")
    refuse.chmod(0o755)
    job = Job(id=1, cluster_id=1, external_id="4100042", team="nlp", user="alice")
    suggestion = Suggestion(id=7, job_id=1, week=WEEK, kind="release", title="release",
                            fingerprint="f", change=RELEASE, saved_energy_j_week=1,
                            saved_cost_usd_week=1, saved_co2e_kg_week=1, confidence=1,
                            created_at=SUITE_NOW, updated_at=SUITE_NOW)

    def apply(command: str) -> str:
        team = TeamConfig(name="nlp", release_action=ReleaseAction(slurm_command=command))
        result = SwapActions(environ={}).apply(team=team, suggestion=suggestion, job=job,
                                               approved_by="alice", approved_at=SUITE_NOW)
        assert not result.ok and result.kind == "slurm"
        return result.detail

    assert apply(f"{refuse} {{job_id}}") == (
        f"{refuse} --verbose 4100042 failed (exit 1): Kill job error on job id 4100042: "
        "Access/permission denied")
    assert apply("no-such-scancel {job_id}") == (
        "no-such-scancel is not installed where ai-cost runs (set release_action "
        "slurm_command)")
