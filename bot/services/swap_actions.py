"""Apply an approved swap through the action the team configured: webhook, git, or none.

The team's `swap_action` in the organisation file picks it:

- ``{type: none}``: record the approval only.
- ``{type: webhook, url: https://..., secret_env: NAME}``: POST the change as JSON, signed with
  HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed by the secret in environment variable NAME
  (``X-AI-Cost-Timestamp``, ``X-AI-Cost-Signature: sha256=<hex>``, ``Idempotency-Key``);
  retried on connection errors, 429 and 5xx.
- ``{type: git, repo, file, branch, entries, match, forge, ...}``: the job's workload entry
  edited in that file on its own branch, and a merge request opened (bot/services/git_change.py).

A release of idle GPUs goes through the team's `release_action` instead
(bot/services/release_actions.py): advice only unless the team set one.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from bot.services.git_change import (
    DEFAULT_FIELDS,
    ChangeError,
    apply_git_change,
    expressible_fields,
)
from bot.services.release_actions import ReleaseActions, release_by_hand
from bot.services.webhooks import ActionResult as ActionResult
from bot.services.webhooks import SignedPost
from bot.services.webhooks import webhook_signature as webhook_signature
from config.organisation import TeamConfig
from domain.workloads import named_model as domain_named_model
from storage.models import Job, Suggestion


def named_model(job: Job) -> str | None:
    """The model the job names: its model field, else a model flag in its command or image."""
    return domain_named_model(job.model, job.command, job.image)


def completed_change(change: dict[str, Any], job: Job) -> dict[str, Any]:
    """`change` with the model it replaces filled in when the job names it."""
    model = change.get("model")
    if not isinstance(model, dict) or model.get("from"):
        return change
    current = named_model(job)
    if current is None:
        return change
    return {**change, "model": {**model, "from": current}}


def swap_payload(*, suggestion: Suggestion, job: Job, approved_by: str,
                 approved_at: datetime) -> dict[str, Any]:
    """The JSON a webhook receives for an approved swap."""
    return {
        "event": "ai_cost.swap_approved", "suggestion_id": suggestion.id,
        "kind": suggestion.kind, "title": suggestion.title,
        "change": completed_change(suggestion.change, job),
        "team": job.team, "week": suggestion.week,
        "job": {"id": job.external_id, "name": job.name, "user": job.user,
                "model": named_model(job)},
        "saved_cost_usd_week": round(suggestion.saved_cost_usd_week, 2),
        "approved_by": approved_by, "approved_at": approved_at.isoformat(),
    }


def by_hand_reason(team: TeamConfig | None, suggestion: Suggestion | Any,
                   job: Job | None = None) -> str | None:
    """Why approving `suggestion` will not change anything by itself (None: the action will).

    Said before approval (next to the button) and recorded after it. A release follows the
    team's release_action (`job` tells a Slurm job from a Kubernetes workload).
    """
    if suggestion.kind == "release":
        return release_by_hand(team, job)
    config = team.swap_action if team else {"type": "none"}
    kind = config.get("type", "none")
    if kind == "none":
        return "the team applies changes by hand"
    if kind == "git" and not expressible_fields(config, suggestion.change or {}):
        return (f"the team's git action edits {', '.join(sorted(set(DEFAULT_FIELDS)))} of a "
                f"workload entry; a {suggestion.kind.replace('_', ' ')} change is applied "
                "by hand")
    return None


class SwapActions:
    """Applies approved swaps; the HTTP client, environment and sleep are injected for tests."""

    def __init__(self, *, http: httpx.Client | None = None, attempts: int = 3,
                 backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 environ: Mapping[str, str] | None = None, git: str = "git") -> None:
        self._http = http or httpx.Client(timeout=10.0)
        self._post = SignedPost(http=self._http, attempts=attempts, backoff_s=backoff_s,
                                sleep=sleep, clock=clock)
        self._environ = environ if environ is not None else os.environ
        self._git = git
        self._release = ReleaseActions(post=self._post, environ=self._environ)

    def apply(self, *, team: TeamConfig | None, suggestion: Suggestion, job: Job,
              approved_by: str, approved_at: datetime,
              slurm_cluster: str = "") -> ActionResult:
        """Apply `suggestion` as its team's action says; never raises for a failed action.

        A change the action cannot express is kind "none": approved, to be applied by hand.
        A release runs the team's release_action (`slurm_cluster`: Slurm's ClusterName).
        """
        if suggestion.kind == "release":
            return self._release.apply(team=team, suggestion=suggestion, job=job,
                                       slurm_cluster=slurm_cluster, approved_by=approved_by,
                                       approved_at=approved_at)
        config = team.swap_action if team else {"type": "none"}
        kind = config.get("type", "none")
        payload = swap_payload(suggestion=suggestion, job=job, approved_by=approved_by,
                               approved_at=approved_at)
        by_hand = by_hand_reason(team, suggestion)
        if by_hand is not None:
            return ActionResult(True, "none", by_hand)
        if kind == "webhook":
            return self._webhook(config, payload)
        if kind == "git":
            return self._git_commit(config, suggestion, job, payload)
        return ActionResult(False, kind, f"unknown swap_action type {kind!r} in the "
                                         "organisation file (none, webhook or git)")

    def _webhook(self, config: Mapping[str, Any], payload: dict[str, Any]) -> ActionResult:
        url = config.get("url")
        if not url:
            return ActionResult(False, "webhook", "swap_action webhook has no url")
        secret_env = config.get("secret_env", "")
        secret = self._environ.get(secret_env, "") if secret_env else config.get("secret", "")
        if not secret:
            return ActionResult(False, "webhook", f"the webhook secret is not set (environment "
                                                  f"variable {secret_env or 'secret_env'})")
        ok, detail = self._post.send(
            url, payload, secret=secret,
            idempotency_key=f"ai-cost-suggestion-{payload['suggestion_id']}")
        return ActionResult(ok, "webhook", detail)

    def _git_commit(self, config: Mapping[str, Any], suggestion: Suggestion, job: Job,
                    payload: dict[str, Any]) -> ActionResult:
        message = (f"ai-cost: {suggestion.title}\n\nSuggestion #{suggestion.id}, approved by "
                   f"{payload['approved_by']} at {payload['approved_at']}.")
        try:
            detail = apply_git_change(
                git=self._git, http=self._http, environ=self._environ, config=config,
                suggestion_id=suggestion.id or 0, workload=job.name or job.external_id,
                change=completed_change(suggestion.change, job),
                title=f"ai-cost: {suggestion.title}", message=message)
        except ChangeError as exc:
            return ActionResult(False, "git", str(exc))
        except (RuntimeError, subprocess.TimeoutExpired, OSError, httpx.HTTPError) as exc:
            return ActionResult(False, "git", f"git: {exc}")
        return ActionResult(True, "git", detail)
