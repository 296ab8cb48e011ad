"""What deploy/slurm/job_submit.lua adds to sbatch in a real Slurm (tests/slurm_cluster.py).

sbatch of a held 8-GPU job, timed from the command's start to its exit, median of RUNS: with
the ai-cost server answering (a warning), with nothing listening on its port, and with a server
that accepts the connection and never answers (the plugin's 0.3 s limit), each minus the same
sbatch when the plugin has no URL to call (it reads its configuration and returns). Needs root
and Debian's slurm-wlm; skipped with the reason otherwise.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from analyzers.submit import SubmitRequest
from bench import Result
from bot.server import create_server
from bot.services.submit_check import check
from config.organisation import load_organisation
from config.settings import Settings
from storage.db import make_engine, migrate
from tests.live_server import free_port, running
from tests.slurm_cluster import SlurmCluster, missing
from tests.submit.test_slurm_plugin import PLUGIN, TOKEN, configure

RUNS = 15


def _sbatch_ms(slurm: SlurmCluster, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            ["sbatch", "--parsable", "--hold", "--account=nlp", "-J", "llama3-70b-sentiment",
             "--gres=gpu:8", f"--output={slurm.root / 'spool' / 'bench-%j.out'}",
             "--wrap=python -m vllm.entrypoints.openai.api_server "
             "--model meta-llama/Meta-Llama-3-70B-Instruct"],
            capture_output=True, text=True, env=slurm.env, timeout=60, check=False)
        times.append((time.perf_counter() - started) * 1000)
        if done.returncode != 0:
            raise RuntimeError(f"sbatch failed: {done.stderr.strip()}")
    slurm.run("scancel", "--account=nlp", check=False)
    return statistics.median(times)


def run() -> list[Result]:
    """The plugin's added milliseconds: server up, down, silent."""
    reason = missing()
    if reason is not None:
        print(f"skipped: no real Slurm here ({reason})")
        return []
    root = Path(tempfile.mkdtemp(prefix="ai-cost-bench-submit-"))
    slurm = SlurmCluster(root / "slurm", job_submit=PLUGIN)
    url = f"sqlite:///{root / 'ai-cost.db'}"
    migrate(url)
    organisation = load_organisation(None, warn=False)
    check(organisation, SubmitRequest(job_name="warm-up", gpus=1))  # the judge loaded
    app = create_server(Settings(database_url=url), organisation, make_engine(url),
                        slack_events=False)
    try:
        slurm.start()
        # No URL: the plugin reads its file and returns.
        (slurm.root / "etc" / "ai-cost-submit.conf").write_text("timeout_s = 0.3\n")
        _sbatch_ms(slurm, 3)  # slurmctld and the page cache warm
        base = _sbatch_ms(slurm)
        with running(app) as server:
            configure(slurm, server, TOKEN)
            up = _sbatch_ms(slurm)
        configure(slurm, f"http://127.0.0.1:{free_port()}", TOKEN)
        down = _sbatch_ms(slurm)
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(64)
            configure(slurm, f"http://127.0.0.1:{silent.getsockname()[1]}", TOKEN)
            slow = _sbatch_ms(slurm, 5)
    finally:
        slurm.stop()
        shutil.rmtree(root, ignore_errors=True)
    how = (f"sbatch of a held 8-GPU job in a real Slurm 22.05, minus sbatch with the plugin "
           f"unconfigured ({base:.0f} ms)")
    return [Result("submit.slurm_plugin_ms", up - base, "ms",
                   f"server answering with a warning (recorded, SQLite); median of {RUNS} {how}; "
                   "goal < 100 ms"),
            Result("submit.slurm_plugin_down_ms", down - base, "ms",
                   f"nothing listening on the server's port; median of {RUNS} {how}; "
                   "goal < 300 ms"),
            Result("submit.slurm_plugin_silent_ms", slow - base, "ms",
                   f"a server that never answers (the 0.3 s limit); median of 5 {how}")]
