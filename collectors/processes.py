"""Which job a GPU process belongs to: Slurm, Kubernetes, or else its user and command line.

Reads /proc/PID/environ, /proc/PID/cgroup, /proc/PID/status and /proc/PID/cmdline. NVML
reports host PIDs, so the agent must see the host's /proc: run it on the host, or in a
container with the host PID namespace (`hostPID: true`, `docker run --pid=host`).
Reading another user's environ needs root (or CAP_SYS_PTRACE); without it the cgroup path
still names Slurm jobs and Kubernetes pods.
"""

from __future__ import annotations

import pwd
import re
from collections.abc import Callable
from pathlib import Path

from collectors.gpu import JobRef

_SLURM_CGROUP = re.compile(r"/job_(\d+)(?:/|$)")
_POD_CGROUP = re.compile(
    r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
_MAX_COMMAND = 1000


def user_name(uid: int) -> str:
    """Login name of `uid`, or "uid1234" when the node does not know it."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


class ProcessMapper:
    """Maps host PIDs to jobs; cached per process (PID and start time)."""

    def __init__(self, *, node: str, proc_root: Path = Path("/proc"),
                 users: Callable[[int], str] = user_name) -> None:
        self.node = node
        self._proc = proc_root
        self._users = users
        self._cache: dict[tuple[int, str], JobRef | None] = {}

    def job_of(self, pid: int) -> JobRef | None:
        """The job of host process `pid`; None when the process is gone."""
        base = self._proc / str(pid)
        start = _read(base / "stat")
        if start is None:
            return None
        key = (pid, _start_ticks(start))
        if key not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = self._lookup(pid, base, key[1])
        return self._cache[key]

    def _lookup(self, pid: int, base: Path, start: str) -> JobRef | None:
        environ = _environ(base / "environ")
        cgroup = _read(base / "cgroup") or ""
        command = " ".join((_read(base / "cmdline") or "").split("\0")).strip()[:_MAX_COMMAND]
        user = self._owner(base / "status")
        slurm_id = environ.get("SLURM_JOB_ID")
        if slurm_id is None:
            match = _SLURM_CGROUP.search(cgroup)
            slurm_id = match.group(1) if match else None
        if slurm_id is not None:
            array, task = environ.get("SLURM_ARRAY_JOB_ID"), environ.get("SLURM_ARRAY_TASK_ID")
            job_id = f"{array}_{task}" if array and task else slurm_id
            return JobRef(job_id=job_id, source="slurm",
                          user=environ.get("SLURM_JOB_USER", user),
                          account=environ.get("SLURM_JOB_ACCOUNT"),
                          name=environ.get("SLURM_JOB_NAME", ""), command=command)
        pod = _POD_CGROUP.search(cgroup)
        if pod is not None:
            uid = pod.group(1).replace("_", "-")
            return JobRef(job_id=f"pod-{uid}", source="kubernetes", user=user,
                          account=environ.get("POD_NAMESPACE"),
                          name=environ.get("HOSTNAME", ""), command=command)
        if command == "" and user is None:
            return None
        name = Path(command.split(" ", 1)[0]).name if command else ""
        return JobRef(job_id=f"{self.node}-{pid}-{start}", source="process", user=user,
                      name=name, command=command)

    def _owner(self, status: Path) -> str | None:
        for line in (_read(status) or "").splitlines():
            if line.startswith("Uid:"):
                fields = line.split()
                if len(fields) > 1 and fields[1].isdigit():
                    return self._users(int(fields[1]))
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None


def _environ(path: Path) -> dict[str, str]:
    text = _read(path) or ""
    env = {}
    for item in text.split("\0"):
        key, sep, value = item.partition("=")
        if sep:
            env[key] = value
    return env


def _start_ticks(stat: str) -> str:
    """Field 22 of /proc/PID/stat (start time in clock ticks): PID plus it names a process."""
    after_comm = stat.rsplit(")", 1)[-1].split()
    return after_comm[19] if len(after_comm) > 19 else "0"
