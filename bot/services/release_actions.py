"""Apply an approved release of idle GPUs: cancel the Slurm job, or scale the workload to zero.

A team opts in with `release_action` in the organisation file; without it a release is advice
only (its button says "by hand", and approving it records "to be applied by hand"):

- ``slurm_command: "scancel {job_id}"``: run for a Slurm job (its id as the cluster knows it),
  split as a shell would but never through one; ``{job_id}``, ``{cluster}`` (Slurm's
  ClusterName) and ``{user}`` (the job's owner) are filled in, and scancel gets
  ``--verbose``, without which it says nothing of a job that already ended.
- ``scale_url: https://...`` with ``secret_env: NAME``: for a Kubernetes Deployment or
  StatefulSet, a POST of ``{namespace, kind, name, replicas: 0}`` signed like the swap webhook
  (bot/services/webhooks.py), for a controller that scales it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services.webhooks import ActionResult, SignedPost
from config.organisation import ReleaseAction, TeamConfig
from storage.models import Job, Suggestion

# 1234, an array task 1234_7, a heterogeneous component 1234+1: never an option or a path.
SLURM_JOB_ID = re.compile(r"[0-9]{1,12}(?:_[0-9]{1,9}|\+[0-9]{1,3})?")
# collectors/dcgm.py names a pod's workload namespace/Kind/name.
K8S_WORKLOAD = re.compile(r"([a-z0-9][a-z0-9-]{0,62})/([A-Z][A-Za-z]+)/([a-z0-9][a-z0-9.-]{0,252})")
SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet")
PLACEHOLDERS = ("job_id", "cluster", "user")


@dataclass(frozen=True, slots=True)
class Target:
    """What a release stops: a Slurm job, or a Kubernetes workload."""

    system: str  # "slurm" or "kubernetes"
    job_id: str = ""
    namespace: str = ""
    kind: str = ""
    name: str = ""

    def __str__(self) -> str:
        if self.system == "slurm":
            return f"Slurm job {self.job_id}"
        return f"{self.kind} {self.namespace}/{self.name}"


def release_target(job: Job) -> Target | None:
    """The Slurm job or Kubernetes workload `job` is, from its id; None for anything else."""
    if SLURM_JOB_ID.fullmatch(job.external_id):
        return Target("slurm", job_id=job.external_id)
    found = K8S_WORKLOAD.fullmatch(job.external_id)
    if found:
        return Target("kubernetes", namespace=found[1], kind=found[2], name=found[3])
    return None


def release_by_hand(team: TeamConfig | None, job: Job | None) -> str | None:
    """Why approving a release will not stop anything by itself (None: the action will).

    Said before approval (next to the button) and recorded after it.
    """
    config = team.release_action if team else None
    if config is None:
        return ("releases are advice only for this team (no release_action in the "
                "organisation file): stop the job yourself")
    if job is None:
        return None
    target = release_target(job)
    if target is None:
        return (f"{job.external_id} is neither a Slurm job nor a Kubernetes workload: stop it "
                "yourself")
    if target.system == "slurm" and not config.slurm_command:
        return "the team's release_action has no slurm_command: cancel the job yourself"
    if target.system == "kubernetes":
        if target.kind not in SCALABLE:
            return (f"a Kubernetes {target.kind} cannot be scaled to zero: delete "
                    f"{target.namespace}/{target.name} yourself")
        if not config.scale_url:
            return "the team's release_action has no scale_url: scale the workload yourself"
    return None


def slurm_argv(command: str, *, job_id: str, cluster: str, user: str) -> list[str]:
    """The command's arguments with the placeholders filled in; ValueError if it is unusable."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ValueError(f"release_action slurm_command cannot be read: {exc}") from exc
    if not words:
        raise ValueError("release_action slurm_command is empty")
    values = {"job_id": job_id, "cluster": cluster, "user": user}
    try:
        argv = [word.format(**values) for word in words]
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"release_action slurm_command: unknown placeholder {exc}; use "
                         f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}") from exc
    if not any(job_id in word for word in argv):
        argv.append(job_id)  # "scancel" alone: the job id goes last
    # scancel exits 0, silent, for a job that already ended or never was: only --verbose
    # says so ("error: Kill job error on job id 42: ... already completing or completed").
    at = next((i for i, word in enumerate(argv) if word.rsplit("/", 1)[-1] == "scancel"), None)
    if at is not None and not {"-v", "--verbose"} & set(argv):
        argv.insert(at + 1, "--verbose")
    return argv


class ReleaseActions:
    """Runs a team's release action; the command runner's environment and HTTP are injected."""

    def __init__(self, *, post: SignedPost, environ: Mapping[str, str]) -> None:
        self._post = post
        self._environ = environ

    def apply(self, *, team: TeamConfig | None, suggestion: Suggestion, job: Job,
              slurm_cluster: str, approved_by: str, approved_at: datetime) -> ActionResult:
        """Release what `job` holds as its team's release_action says; never raises."""
        by_hand = release_by_hand(team, job)
        if by_hand is not None:
            return ActionResult(True, "none", by_hand)
        assert team is not None and team.release_action is not None
        config = team.release_action
        target = release_target(job)
        assert target is not None
        if target.system == "slurm":
            return self._scancel(config, target, job, slurm_cluster)
        return self._scale(config, target, suggestion, job, approved_by, approved_at)

    def _scancel(self, config: ReleaseAction, target: Target, job: Job,
                 cluster: str) -> ActionResult:
        try:
            argv = slurm_argv(config.slurm_command or "", job_id=target.job_id,
                              cluster=cluster, user=job.user or "")
        except ValueError as exc:
            return ActionResult(False, "slurm", str(exc))
        shown = shlex.join(argv)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, check=False,
                                  timeout=config.timeout_s, env=dict(self._environ))
        except FileNotFoundError:
            return ActionResult(False, "slurm", f"{argv[0]} is not installed where ai-cost "
                                                "runs (set release_action slurm_command)")
        except subprocess.TimeoutExpired:
            return ActionResult(False, "slurm", f"{shown} did not finish within "
                                                f"{config.timeout_s:g} s")
        except OSError as exc:
            return ActionResult(False, "slurm", f"{shown}: {exc}")
        errors = [line.split("error:", 1)[1].strip() for line in
                  (done.stderr or "").splitlines() if "error:" in line]
        if done.returncode != 0 or errors:
            said = "; ".join(errors) or " ".join((done.stderr or done.stdout).split())
            return ActionResult(False, "slurm", f"{shown} failed (exit {done.returncode})"
                                                + (f": {said[:300]}" if said else ""))
        return ActionResult(True, "slurm", f"{target} cancelled ({shown})")

    def _scale(self, config: ReleaseAction, target: Target, suggestion: Suggestion, job: Job,
               approved_by: str, approved_at: datetime) -> ActionResult:
        secret = self._environ.get(config.secret_env or "", "") if config.secret_env else ""
        if not secret:
            return ActionResult(False, "kubernetes", "the scale webhook's secret is not set "
                                f"(environment variable {config.secret_env or 'secret_env'})")
        payload: dict[str, Any] = {
            "event": "ai_cost.release_approved", "suggestion_id": suggestion.id,
            "team": job.team, "namespace": target.namespace, "kind": target.kind,
            "name": target.name, "replicas": 0, "title": suggestion.title,
            "gpus": (suggestion.change.get("release") or {}).get("gpus"),
            "approved_by": approved_by, "approved_at": approved_at.isoformat()}
        ok, detail = self._post.send(config.scale_url or "", payload, secret=secret,
                                     idempotency_key=f"ai-cost-release-{suggestion.id}",
                                     what="the scale webhook", timeout_s=config.timeout_s)
        if ok:
            return ActionResult(True, "kubernetes", f"{target} scaled to 0 replicas ({detail})")
        return ActionResult(False, "kubernetes", f"{target} not scaled: {detail}")
