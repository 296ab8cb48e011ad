"""deploy/slurm/job_submit.lua in a real Slurm 22.05 (tests/slurm_cluster.py) against a live
ai-cost server: sbatch prints the warnings and queues the job; with the server down or slow it
queues the job silently; a rule set to deny refuses it. One Slurm for the module."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from analyzers.submit import SubmitRequest
from bot.server import create_server
from bot.services.submit_check import check
from config.organisation import Organisation, load_organisation
from config.settings import Settings
from storage.db import make_engine, session
from storage.models import SubmitWarning
from tests.clock import SUITE_NOW
from tests.live_server import free_port, running
from tests.slurm_cluster import SlurmCluster, missing

PLUGIN = Path(__file__).resolve().parents[2] / "deploy" / "slurm" / "job_submit.lua"
CLUSTER = "iowa-hpc"  # the example organisation's Slurm cluster
TOKEN = "demo-iowa-token"  # its ingest token
SERVE = "python -m vllm.entrypoints.openai.api_server --model meta-llama/Meta-Llama-3-70B-Instruct"

pytestmark = [
    pytest.mark.skipif(missing() is not None, reason=f"no real Slurm: {missing()}"),
    pytest.mark.skipif(shutil.which("curl") is None,
                       reason="the plugin calls ai-cost through curl (.ci/run installs it)")]


def configure(slurm: SlurmCluster, url: str, token: str = TOKEN) -> None:
    """Write ai-cost-submit.conf next to slurm.conf; the plugin reads it at each submission."""
    conf = slurm.root / "etc" / "ai-cost-submit.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(f"# written by the test\nurl = {url}/api/v1/check\ntoken = {token}\n"
                    "timeout_s = 0.3\n")
    conf.chmod(0o600)


@pytest.fixture(scope="module")
def slurm() -> Iterator[SlurmCluster]:
    root = Path(tempfile.mkdtemp(prefix="ai-cost-submit-"))
    cluster = SlurmCluster(root / "slurm", job_submit=PLUGIN)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _server(organisation: Organisation, url: str) -> Starlette:
    return create_server(Settings(database_url=url), organisation, make_engine(url),
                         clock=SUITE_NOW.timestamp, slack_events=False)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    from storage.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('submit-slurm') / 'ai-cost.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="module")
def ai_cost(database: str) -> Iterator[str]:
    """A live ai-cost server with the example organisation (warn only), its judge loaded: a
    server's first check loads the classifier, longer than the plugin waits."""
    organisation = load_organisation(None, warn=False)
    check(organisation, SubmitRequest(job_name="warm-up", gpus=1))
    with running(_server(organisation, database)) as base:
        yield base


def sbatch(slurm: SlurmCluster, *args: str,
           command: str = SERVE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sbatch", "--parsable", "--account=nlp", "--hold",
                           f"--output={slurm.root / 'spool' / 'job-%j.out'}", *args,
                           f"--wrap={command}"],
                          capture_output=True, text=True, env=slurm.env, timeout=60,
                          check=False)


def queued(slurm: SlurmCluster, job_id: str) -> str:
    """The job's name as squeue shows it ('' when it is not queued)."""
    return slurm.run("squeue", "-h", "-j", job_id, "-o", "%j", check=False).strip()


def warnings_stored(database: str) -> list[SubmitWarning]:
    engine = make_engine(database)
    try:
        with session(engine) as s:
            return list(s.exec(select(SubmitWarning).order_by(SubmitWarning.id)).scalars())
    finally:
        engine.dispose()


def test_sbatch_prints_the_warning_and_queues_the_job(
        slurm: SlurmCluster, ai_cost: str, database: str) -> None:
    configure(slurm, ai_cost)
    done = sbatch(slurm, "-J", "llama3-70b-sentiment", "--gres=gpu:8", "--time=2:00:00")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines and lines[0].startswith("sbatch: ai-cost: llama3-70b-sentiment looks like "
                                         "text classification"), done.stderr
    assert re.search(r"\$[\d,]+.*week", done.stderr)  # the estimated weekly difference
    job_id = done.stdout.strip()
    assert queued(slurm, job_id) == "llama3-70b-sentiment"
    row = warnings_stored(database)[-1]
    assert (row.source, row.cluster, row.team, row.user, row.job_name) == (
        "slurm", CLUSTER, "nlp", "root", "llama3-70b-sentiment")
    assert row.request["gpus"] == 8 and row.request["time_limit_s"] == 7200
    assert row.kinds == ["oversized_model"]


def test_a_job_name_is_text_never_shell(slurm: SlurmCluster, ai_cost: str, database: str,
                                        tmp_path: Path) -> None:
    configure(slurm, ai_cost)
    marker = tmp_path / "ran"
    name = f"llama3-70b-sentiment'\"; touch {marker}; $(touch {marker}) `touch {marker}` %s %n"
    done = sbatch(slurm, "-J", name, f"--gres=gpu:{'a100'}:2",
                  f"--comment=model=meta-llama/Meta-Llama-3-70B-Instruct '; touch {marker}")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert "%s %n" in done.stderr  # the server's text reaches the user as it is
    row = warnings_stored(database)[-1]
    assert row.job_name == name and row.request["gpu_type"] == "a100"
    assert row.request["model"] == "meta-llama/Meta-Llama-3-70B-Instruct"


def test_a_right_sized_or_cpu_job_is_submitted_without_a_word(
        slurm: SlurmCluster, ai_cost: str, database: str) -> None:
    configure(slurm, ai_cost)
    before = len(warnings_stored(database))
    chat = sbatch(slurm, "-J", "llama3-70b-chat", "--gres=gpu:4")
    cpu = sbatch(slurm, "-J", "tokenize-llama3-70b-sentiment", command="python tokenize.py")
    for done in (chat, cpu):
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert queued(slurm, done.stdout.strip())
    assert len(warnings_stored(database)) == before


def test_with_ai_cost_down_slow_or_refusing_the_token_jobs_go_through_silently(
        slurm: SlurmCluster, ai_cost: str) -> None:
    with socket.socket() as slow:  # accepts connections into its backlog, never answers
        slow.bind(("127.0.0.1", 0))
        slow.listen(16)
        for url, token in ((f"http://127.0.0.1:{free_port()}", TOKEN),
                           (f"http://127.0.0.1:{slow.getsockname()[1]}", TOKEN),
                           (ai_cost, "not-a-token")):
            configure(slurm, url, token)
            done = sbatch(slurm, "-J", "llama3-70b-sentiment", "--gres=gpu:8")
            assert done.returncode == 0 and done.stderr == "", (url, done.stderr)
            assert queued(slurm, done.stdout.strip()) == "llama3-70b-sentiment"
    log = (slurm.root / "log" / "slurmctld.log").read_text()
    assert "job_submit/ai-cost: no answer from" in log and "HTTP 401" in log


def test_no_configuration_checks_nothing(slurm: SlurmCluster) -> None:
    (slurm.root / "etc" / "ai-cost-submit.conf").unlink(missing_ok=True)
    done = sbatch(slurm, "-J", "llama3-70b-sentiment", "--gres=gpu:8")
    assert done.returncode == 0 and done.stderr == ""


def test_a_rule_set_to_deny_refuses_the_job_with_its_reason(
        slurm: SlurmCluster, tmp_path: Path) -> None:
    organisation = load_organisation(None, warn=False)
    organisation = organisation.model_copy(update={"submit": organisation.submit.model_copy(
        update={"deny": ["notebook_gpus"]})})
    url = f"sqlite:///{tmp_path / 'deny.db'}"
    from storage.db import migrate

    migrate(url)
    with running(_server(organisation, url)) as base:
        configure(slurm, base)
        notebook = sbatch(slurm, "-J", "team-notebook", "--gres=gpu:8",
                          command="jupyter lab --no-browser --port 8888")
        training = sbatch(slurm, "-J", "resnet50-train", "--gres=gpu:8",
                          command="torchrun --nproc-per-node 8 train.py")
    assert notebook.returncode != 0 and notebook.stdout == ""
    assert re.search(r"sbatch: error: ai-cost: team-notebook is interactive .*8 GPUs",
                     notebook.stderr), notebook.stderr
    assert "Batch job submission failed" in notebook.stderr
    assert training.returncode == 0 and training.stderr == ""
    (row,) = warnings_stored(url)
    assert row.denied is True and row.kinds == ["notebook_gpus"]


def test_salloc_is_interactive_and_warned_for_many_gpus(
        slurm: SlurmCluster, ai_cost: str, database: str) -> None:
    configure(slurm, ai_cost)
    done = subprocess.run(["salloc", "--no-shell", "--account=nlp", "-J", "explore",
                           "--gres=gpu:8", "--immediate=30"],
                          capture_output=True, text=True, env=slurm.env, timeout=60,
                          check=False)
    job_id = re.search(r"Granted job allocation (\d+)", done.stderr)
    if job_id:
        slurm.run("scancel", job_id.group(1), check=False)
    assert done.returncode == 0 and job_id, done.stderr
    assert re.search(r"salloc: ai-cost: explore is interactive .*8 GPUs", done.stderr), \
        done.stderr
    row = warnings_stored(database)[-1]
    assert row.job_name == "explore" and row.kinds == ["notebook_gpus"]
    assert row.request["interactive"] is True and row.request["kind"] == "salloc/srun"
