"""The git action edits only the approved workload's entry, on its own branch, and opens a
merge request on a GitHub- or GitLab-style forge (a local fake of their API)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.services.git_change import ChangeError, edit_entry
from bot.services.swap_actions import SwapActions
from config.organisation import TeamConfig
from storage.models import Job, Suggestion
from tests.clock import WEEK

WORKLOADS = """\
# Every team's services. Keep the comments: people read them.
workloads:
  - name: sentiment            # nlp's classifier
    team: nlp
    model: meta-llama/Llama-3.1-8B-Instruct
    precision: fp32
    gpus: 2
  - name: support-bot          # research: same model, another team
    team: research
    model: meta-llama/Llama-3.1-8B-Instruct
    precision: fp32            # must stay fp32
    gpus: 4
"""


class FakeForge:
    """Records pull/merge request creations; answers as GitHub or GitLab does."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                forge.requests.append((self.path, dict(self.headers), body))
                answer = ({"web_url": "http://forge/org/deploy/-/merge_requests/1"}
                          if "/merge_requests" in self.path
                          else {"html_url": "http://forge/org/deploy/pull/1"})
                data = json.dumps(answer).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def forge() -> Iterator[FakeForge]:
    fake = FakeForge()
    yield fake
    fake.server.shutdown()


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository whose main holds workloads.yaml and workloads.json."""
    bare = tmp_path / "origin.git"
    _git("init", "--quiet", "--bare", "-b", "main", str(bare))
    work = tmp_path / "seed"
    _git("clone", "--quiet", str(bare), str(work))
    (work / "workloads.yaml").write_text(WORKLOADS)
    (work / "workloads.json").write_text(json.dumps(
        {"services": {"sentiment": {"model": "bert-large-uncased", "replicas": 2},
                      "ranker": {"model": "bert-large-uncased", "replicas": 3}}}, indent=2))
    git = ["-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t"]
    _git(*git, "add", ".")
    _git(*git, "commit", "--quiet", "-m", "init")
    _git(*git, "push", "--quiet", "origin", "HEAD:main")
    return bare


def _suggestion(sid: int, kind: str, change: dict[str, Any]) -> Suggestion:
    now = datetime.now(UTC)
    return Suggestion(id=sid, job_id=1, week=WEEK, kind=kind, title=f"{kind} #{sid}",
                      fingerprint="f", change=change, saved_energy_j_week=1,
                      saved_cost_usd_week=1, saved_co2e_kg_week=1, confidence=1,
                      created_at=now, updated_at=now)


def _apply(team: TeamConfig, suggestion: Suggestion, job: Job, forge_url: str = "") -> Any:
    actions = SwapActions(environ={"FORGE_TOKEN": "t0ken"})
    return actions.apply(team=team, suggestion=suggestion, job=job, approved_by="alice",
                         approved_at=datetime.now(UTC))


def _show(origin: Path, ref: str, path: str = "workloads.yaml") -> str:
    return _git("-C", str(origin), "show", f"{ref}:{path}")


def test_a_model_swap_changes_one_entry_on_a_branch_and_opens_a_pull_request(
        origin: Path, forge: FakeForge) -> None:
    team = TeamConfig(name="nlp", swap_action={
        "type": "git", "repo": str(origin), "file": "workloads.yaml", "branch": "main",
        "entries": "workloads", "match": "name",
        "forge": "github", "forge_api_url": forge.url, "forge_project": "org/deploy",
        "forge_token_env": "FORGE_TOKEN"})
    # The stored change does not name the model; the job's command does.
    suggestion = _suggestion(7, "model_swap", {
        "model": {"from": None, "to": "distilbert-base-uncased"},
        "gpus": {"from": 2, "to": 1}, "energy_ratio": 0.01})
    job = Job(id=1, cluster_id=1, external_id="42", name="sentiment",
              command="python serve.py --model meta-llama/Llama-3.1-8B-Instruct")
    result = _apply(team, suggestion, job)
    assert result.ok, result.detail
    assert _show(origin, "main") == WORKLOADS  # main untouched
    changed = _show(origin, "ai-cost/suggestion-7")
    assert changed == WORKLOADS.replace(
        "model: meta-llama/Llama-3.1-8B-Instruct\n    precision: fp32\n    gpus: 2",
        "model: distilbert-base-uncased\n    precision: fp32\n    gpus: 1")
    assert changed.count("meta-llama/Llama-3.1-8B-Instruct") == 1  # research's stays
    [(path, headers, body)] = forge.requests
    assert path == "/repos/org/deploy/pulls"
    assert headers["Authorization"] == "Bearer t0ken"
    assert body["head"] == "ai-cost/suggestion-7" and body["base"] == "main"
    assert "http://forge/org/deploy/pull/1" in result.detail
    again = _apply(team, suggestion, job)  # a retry replaces the branch, not main
    assert again.ok and _show(origin, "main") == WORKLOADS


def test_precision_changes_one_value_and_keeps_the_comment(origin: Path,
                                                           forge: FakeForge) -> None:
    team = TeamConfig(name="research", swap_action={
        "type": "git", "repo": str(origin), "file": "workloads.yaml",
        "entries": "workloads", "forge": "gitlab", "forge_api_url": forge.url,
        "forge_project": "org/deploy", "forge_token_env": "FORGE_TOKEN"})
    suggestion = _suggestion(8, "precision", {"precision": {"from": "fp32", "to": "bf16"}})
    job = Job(id=2, cluster_id=1, external_id="43", name="support-bot")
    result = _apply(team, suggestion, job)
    assert result.ok, result.detail
    changed = _show(origin, "ai-cost/suggestion-8")
    assert changed == WORKLOADS.replace("precision: fp32            # must stay fp32",
                                        "precision: bf16            # must stay fp32")
    assert changed.count("fp32") == 2  # sentiment's and the comment
    [(path, headers, body)] = forge.requests
    assert path == "/projects/org%2Fdeploy/merge_requests"
    assert headers["PRIVATE-TOKEN"] == "t0ken"
    assert body["source_branch"] == "ai-cost/suggestion-8" and body["target_branch"] == "main"


def test_main_only_when_the_team_asks_and_json_files_too(origin: Path) -> None:
    team = TeamConfig(name="nlp", swap_action={
        "type": "git", "repo": str(origin), "file": "workloads.json", "branch": "main",
        "entries": "services", "commit_to_branch": "true"})
    suggestion = _suggestion(9, "model_swap", {
        "model": {"from": "bert-large-uncased", "to": "distilbert-base-uncased"}})
    result = _apply(team, suggestion, Job(id=3, cluster_id=1, external_id="44",
                                          name="ranker"))
    assert result.ok, result.detail
    data = json.loads(_show(origin, "main", "workloads.json"))
    assert data["services"]["ranker"]["model"] == "distilbert-base-uncased"
    assert data["services"]["sentiment"]["model"] == "bert-large-uncased"


def test_a_change_the_file_cannot_express_says_so(origin: Path) -> None:
    team = TeamConfig(name="nlp", swap_action={
        "type": "git", "repo": str(origin), "file": "workloads.yaml", "entries": "workloads"})
    release = _suggestion(10, "release", {"release": {"idle_hours": 40.0, "gpus": 6}})
    job = Job(id=1, cluster_id=1, external_id="42", name="sentiment")
    result = _apply(team, release, job)
    # said before approval (next to the button) and after: approved, to be applied by hand
    assert result.ok and result.kind == "none" and "advice only" in result.detail
    from bot.messages.swaps import suggestion_buttons
    from bot.services.swap_actions import by_hand_reason

    reason = by_hand_reason(team, release)
    assert reason and by_hand_reason(team, _suggestion(12, "precision", {
        "precision": {"from": "fp32", "to": "bf16"}})) is None
    release.state = "open"
    shown = suggestion_buttons(release, by_hand=reason)
    assert shown is not None
    primary = shown["elements"][0]
    assert primary["text"]["text"] == "Release 6 GPUs (by hand)"
    assert "Nothing is changed for you" in primary["confirm"]["text"]["text"]
    unknown = _apply(team, _suggestion(11, "precision", {"precision": {"from": "fp32",
                                                                       "to": "bf16"}}),
                     Job(id=5, cluster_id=1, external_id="45", name="nobody"))
    assert not unknown.ok and "no entry named 'nobody'" in unknown.detail
    with pytest.raises(ChangeError, match="has precision: fp32, not fp16"):
        edit_entry(WORKLOADS, entries="workloads", match="name", workload="sentiment",
                   changes={"precision": ("fp16", "bf16")})
