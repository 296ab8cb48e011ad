"""A real Slurm with accounting under a temporary directory: munged, slurmdbd, slurmctld, slurmd.

Debian's slurm-wlm, slurmdbd and munge (`apt-get install -y slurm-wlm slurmdbd munge`); slurmdbd
keeps its accounts in a database of the local MariaDB that it creates and `stop` drops. No
systemd: each daemon runs in the foreground as a child of the test process, and `stop` ends
exactly those children. What cost a day to find with Slurm 22.05:

- its GPU plugin drops GRES without `File=` and refuses plain files: character devices made
  with mknod (1:3, like /dev/null);
- slurmdbd's clients take a non-default munge socket from `AccountingStoragePass=`;
- Comment is stored only with `AccountingStoreFlags=job_comment`;
- more CPUs than the machine has need `SlurmdParameters=config_overrides`;
- `proctrack/linuxproc` with `task/none` needs no cgroups.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmdbd", "slurmctld", "slurmd")
# Not time.sleep: tests that replace it (a fake Slack's retries) may run while the scenario waits.
_pause = threading.Event().wait
GPUS = 16
CPUS = 64
GPU_TYPE = "a100"
CLUSTER = "slurm-test"  # its name in the scenario's organisation file


def missing() -> str | None:
    """Why a real Slurm cannot start here, or None."""
    for tool in ("munged", "slurmdbd", "slurmctld", "slurmd", "sacct", "sacctmgr", "sbatch",
                 "mysql"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            return (f"{tool} is not installed (apt-get install -y slurm-wlm slurmdbd munge; "
                    ".ci/run does)")
    if os.geteuid() != 0:
        return "a real Slurm needs root here (mknod, slurmd running jobs as their users)"
    if subprocess.run(["mysql", "-uroot", "-h127.0.0.1", "-e", "SELECT 1"],
                      capture_output=True, check=False, timeout=10).returncode != 0:
        return "no MariaDB at 127.0.0.1:3306 for root without a password"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sbin(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


@dataclass
class SlurmCluster:
    """One node, GPUS a100s, accounts named in `accounts`; the ClusterName is `name`."""

    root: Path
    accounts: tuple[str, ...] = ("nlp", "vision")
    name: str = field(default_factory=lambda: f"aicost{uuid.uuid4().hex[:6]}")
    # A job_submit/lua script: copied next to slurm.conf as job_submit.lua, and slurmctld runs
    # it for every submission (JobSubmitPlugins=lua); it reloads the file when it changes.
    job_submit: Path | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # The environment when made: tests that change PATH may run while the scenario waits.
    base_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def database(self) -> str:
        return f"slurm_acct_{self.name}"

    @property
    def env(self) -> dict[str, str]:
        """The environment Slurm's commands need to find this cluster."""
        return dict(self.base_env, SLURM_CONF=str(self.root / "etc" / "slurm.conf"))

    def run(self, *args: str, check: bool = True) -> str:
        """A Slurm command against this cluster; its stdout."""
        done = subprocess.run(list(args), capture_output=True, text=True, env=self.env,
                              timeout=60, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}\n{self.logs()}")
        return done.stdout

    def logs(self) -> str:
        """The tail of every daemon's log, for a failure's message."""
        out = []
        for log in sorted((self.root / "log").glob("*.log")):
            out.append(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-15:]))
        return "\n".join(out)

    def start(self) -> None:
        """Write the configuration, start the four daemons, register cluster and accounts."""
        for sub in ("etc", "log", "state", "spool", "dev", "munge", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self._write_config()
        if self.job_submit is not None:
            shutil.copyfile(self.job_submit, self.root / "etc" / "job_submit.lua")
        munge = self.root / "munge"
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self._spawn("munged", [_sbin("munged"), "--foreground", "--force",
                               f"--socket={munge / 'munge.sock'}", f"--key-file={key}",
                               f"--pid-file={munge / 'munged.pid'}",
                               f"--seed-file={munge / 'munge.seed'}",
                               f"--log-file={self.root / 'log' / 'munged.log'}"])
        self._wait(lambda: (munge / "munge.sock").exists(), "munged's socket")
        self._spawn("slurmdbd", [_sbin("slurmdbd"), "-D"])
        self._wait(lambda: self._answers("sacctmgr", "-n", "show", "cluster"), "slurmdbd")
        self.run("sacctmgr", "-i", "add", "cluster", self.name)
        for account in self.accounts:
            self.run("sacctmgr", "-i", "add", "account", account)
        self.run("sacctmgr", "-i", "add", "user", "root", f"account={','.join(self.accounts)}")
        self._spawn("slurmctld", [_sbin("slurmctld"), "-D", "-i"])
        self._wait(lambda: self._answers("scontrol", "ping"), "slurmctld")
        self._spawn("slurmd", [_sbin("slurmd"), "-D"])
        self._wait(lambda: "idle" in self.run("sinfo", "-h", "-o", "%t", check=False),
                   "slurmd (its node idle)")

    def stop(self) -> None:
        """End the daemons this object started, last first, and drop the database."""
        for name in reversed(DAEMONS):
            proc = self.procs.pop(name, None)
            if proc is None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        subprocess.run(["mysql", "-uroot", "-h127.0.0.1", "-e",
                        f"DROP DATABASE IF EXISTS `{self.database}`"],
                       capture_output=True, check=False, timeout=30)

    def submit(self, *, account: str, seconds: int, gpus: int = 0, name: str = "job",
               comment: str = "") -> str:
        """sbatch a job of `sleep seconds`; its job id."""
        args = ["sbatch", "--parsable", f"--account={account}", f"--job-name={name}",
                f"--output={self.root / 'spool' / 'job-%j.out'}", "--cpus-per-task=1",
                f"--wrap=sleep {seconds}"]
        if gpus:
            args.append(f"--gres=gpu:{GPU_TYPE}:{gpus}")
        if comment:
            args.append(f"--comment={comment}")
        return self.run(*args).strip().split(";")[0]

    def wait_done(self, job_ids: list[str], *, timeout_s: float = 120) -> None:
        """Wait until the jobs are done in accounting (sacct shows them ended)."""
        def done() -> bool:
            out = self.run("sacct", "-n", "-X", "-P", "-o", "JobID,State",
                           f"--jobs={','.join(job_ids)}", check=False)
            states = dict(line.split("|", 1) for line in out.splitlines() if "|" in line)
            return all(states.get(j, "").split(" ")[0] in
                       ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT") for j in job_ids)

        self._wait(done, f"jobs {job_ids} to end", timeout_s=timeout_s)

    def _answers(self, *args: str) -> bool:
        return subprocess.run(list(args), capture_output=True, env=self.env, timeout=30,
                              check=False).returncode == 0

    def _spawn(self, name: str, args: list[str]) -> None:
        log = (self.root / "log" / f"{name}.out").open("wb")
        self.procs[name] = subprocess.Popen(args, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)

    def _wait(self, ready: Callable[[], bool], what: str, *, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited ({proc.returncode}) waiting for "
                                       f"{what}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {timeout_s:g} s\n{self.logs()}")
            _pause(0.2)

    def _write_config(self) -> None:
        root, host = self.root, socket.gethostname()
        devices = []
        for index in range(GPUS):
            device = root / "dev" / f"nvidia{index}"
            if not device.exists():
                os.mknod(device, 0o666 | 0o020000, os.makedev(1, 3))  # like /dev/null
            devices.append(device)
        sock = root / "munge" / "munge.sock"
        dbd_port = _free_port()
        (root / "etc" / "slurm.conf").write_text(f"""\
ClusterName={self.name}
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
StateSaveLocation={root / 'state'}
SlurmdSpoolDir={root / 'spool'}
SlurmctldPidFile={root / 'run' / 'slurmctld.pid'}
SlurmdPidFile={root / 'run' / 'slurmd.pid'}
SlurmctldLogFile={root / 'log' / 'slurmctld.log'}
SlurmdLogFile={root / 'log' / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=1
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={dbd_port}
AccountingStoragePass={sock}
AccountingStorageTRES=gres/gpu,gres/gpu:{GPU_TYPE}
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
NodeName={host} NodeAddr=127.0.0.1 CPUs={CPUS} RealMemory=4000 Gres=gpu:{GPU_TYPE}:{GPUS} \
State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""" + ("JobSubmitPlugins=lua\n" if self.job_submit is not None else ""))
        (root / "etc" / "gres.conf").write_text(
            f"AutoDetect=off\nNodeName={host} Name=gpu Type={GPU_TYPE} "
            f"File={root / 'dev'}/nvidia[0-{GPUS - 1}]\n")
        dbd = root / "etc" / "slurmdbd.conf"
        dbd.write_text(f"""\
AuthType=auth/munge
AuthInfo=socket={sock}
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={dbd_port}
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=root
StorageLoc={self.database}
PidFile={root / 'run' / 'slurmdbd.pid'}
LogFile={root / 'log' / 'slurmdbd.log'}
""")
        dbd.chmod(0o600)


JOBSTATS_UTIL = {"0": 91.0, "1": 83.0}  # the first job's GPUs, as jobstats would record them


def jobstats_summary(node: str) -> str:
    """A Princeton jobstats AdminComment (JS1: base64 of gzip'd JSON) for a 2-GPU job."""
    summary = {"gpus": 2, "total_time": 20, "nodes": {node: {
        "cpus": 1, "total_time": 20.0, "used_memory": 2**30, "total_memory": 2**32,
        "gpu_utilization": JOBSTATS_UTIL,
        "gpu_used_memory": {"0": 30 * 2**30, "1": 28 * 2**30},
        "gpu_total_memory": {"0": 80 * 2**30, "1": 80 * 2**30}}}}
    return "JS1:" + base64.b64encode(gzip.compress(json.dumps(summary).encode())).decode()


@dataclass
class Scenario:
    """GPU jobs of two accounts on a fresh cluster, with sacct's output read twice.

    Once when all but the longest job ended (it still runs), once when all ended. Started by
    `start` in a thread, so the jobs' half minute passes while other tests run; `result`
    waits for it.
    """

    root: Path
    slurm: SlurmCluster | None = None
    running_text: str = ""
    running_now: float = 0.0
    final_text: str = ""
    final_now: float = 0.0
    gpu_jobs: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> account, GPUs
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    # account, seconds of sleep, GPUs, job name, comment; the last runs longest
    JOBS = (("nlp", 20, 2, "ft", "ablation|lr=3e-4 model=meta-llama/Llama-3-8B"),
            ("vision", 23, 1, "resnet|50", ""), ("nlp", 22, 4, "pretrain", ""),
            ("vision", 21, 3, "detect", "two\nlines model=yolov8"), ("nlp", 32, 2, "long", ""))

    def start(self) -> None:
        """Start the cluster and the jobs in a thread."""
        self._thread = threading.Thread(target=self._run, name="slurm-scenario", daemon=True)
        self._thread.start()

    def result(self, timeout_s: float = 180) -> Scenario:
        """Wait for the scenario; raise what went wrong in it."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise RuntimeError(f"the Slurm scenario did not finish in {timeout_s:g} s")
        if self.error is not None:
            raise RuntimeError(f"the Slurm scenario failed: {self.error}") from self.error
        return self

    def stop(self) -> None:
        """Stop the daemons the scenario started and remove its directory."""
        if self._thread is not None:
            self._thread.join(180)
        if self.slurm is not None:
            self.slurm.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def sacct(self) -> str:
        """What `collect slurm` reads from this cluster for the last hour."""
        from collectors.sacct import read_sacct, run_sacct

        assert self.slurm is not None
        env = self.slurm.env
        return read_sacct(lambda args: run_sacct(args, env=env), start="now-1hour")

    @property
    def org_file(self) -> Path:
        """Its organisation file: cluster CLUSTER (usage from sacct), teams nlp and vision."""
        return self.root / "organisation.yaml"

    def _run(self) -> None:
        try:
            self.slurm = SlurmCluster(self.root / "slurm")
            self.org_file.write_text(json.dumps({
                "name": "slurm-test-org",
                "clusters": [{"name": CLUSTER, "region": "us-central1", "ingest_token": "t",
                              "usage_from_sacct": True, "slurm_cluster_name": self.slurm.name}],
                "teams": [{"name": "nlp", "members": ["alice"], "accounts": ["nlp"]},
                          {"name": "vision", "members": ["dave"], "accounts": ["vision"]}]}))
            self.slurm.start()
            self.gpu_jobs = {
                self.slurm.submit(account=a, seconds=s, gpus=g, name=n, comment=c): (a, g)
                for a, s, g, n, c in self.JOBS}
            first = next(iter(self.gpu_jobs))
            self.slurm.run("scontrol", "update", f"JobId={first}",
                           f"AdminComment={jobstats_summary(socket.gethostname())}")
            cpu_only = self.slurm.submit(account="nlp", seconds=20, name="cpu-only")
            ids = list(self.gpu_jobs)
            self.slurm.wait_done(ids[:-1] + [cpu_only])
            self.running_now, self.running_text = time.time(), self.sacct()
            self.slurm.wait_done(ids)
            self.final_now, self.final_text = time.time(), self.sacct()
        except BaseException as exc:  # handed to the test that waits in result()
            self.error = exc
