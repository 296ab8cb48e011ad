"""Stored suggestions: saved per job and week, counted per team, and followed once applied."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from domain.types import Suggestion as Proposed
from domain.workloads import workload_key, workload_name
from storage.models import ApprovalEvent, Cluster, Job, Suggestion, Verdict

STATES = ("open", "approved", "applied", "dismissed")
ESTIMATE_OFF_SHARE = 0.5  # measured differs from the estimate by more than half: flag it
_CHUNK = 500  # ids per IN (...): under every driver's bound-parameter limit

def _target(kind: str, change: dict[str, Any]) -> Any:
    """What a change moves to: the same target on the same workload is the same change."""
    for key in ("model", "gpu_type", "precision"):
        if isinstance(change.get(key), dict):
            return change[key].get("to")
    return None


def fingerprint(*, team: str, name: str, task: str | None, kind: str,
                change: dict[str, Any]) -> str:
    """Hash of workload and change, stable across weeks and runs of the same workload."""
    key = json.dumps([team, workload_name(name), task, kind, _target(kind, change)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _task_of(session: Session, job: Job, week: str) -> str | None:
    task = session.execute(
        select(col(Verdict.task))
        .where(col(Verdict.job_id) == job.id, col(Verdict.week) == week).limit(1)
    ).scalar()
    return task if task is not None else job.task


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def _stored(session: Session, week: str,
            job_ids: list[int]) -> tuple[dict[int, tuple[str, str, str | None]],
                                         dict[tuple[int, str, str], dict[str, Any]]]:
    """Per job id (team, name, task of the week); stored suggestions by (job, run, kind)."""
    jobs: dict[int, tuple[str, str, str | None]] = {}
    rows: dict[tuple[int, str, str], dict[str, Any]] = {}
    tasks: dict[int, str] = {}
    for chunk in _chunks(job_ids):
        for job_id, team, name, task in session.execute(
                select(col(Job.id), col(Job.team), col(Job.name), col(Job.task))
                .where(col(Job.id).in_(chunk))):
            jobs[job_id] = (team, name, task)
        for job_id, task in session.execute(
                select(col(Verdict.job_id), col(Verdict.task))
                .where(col(Verdict.week) == week, col(Verdict.job_id).in_(chunk))):
            tasks.setdefault(job_id, task)
        for row_id, job_id, run_key, kind, state, mark in session.execute(
                select(col(Suggestion.id), col(Suggestion.job_id), col(Suggestion.run_key),
                       col(Suggestion.kind), col(Suggestion.state), col(Suggestion.fingerprint))
                .where(col(Suggestion.week) == week, col(Suggestion.job_id).in_(chunk))):
            rows[(job_id, run_key, kind)] = {"id": row_id, "state": state, "fingerprint": mark}
    for job_id, task in tasks.items():
        if job_id in jobs and task is not None:
            jobs[job_id] = (*jobs[job_id][:2], task)
    return jobs, rows


def save_suggestions_bulk(*, session: Session, week: str,
                          items: Sequence[tuple[int, str, Sequence[Proposed], str | None]],
                          now: datetime) -> list[list[Proposed]]:
    """Upsert many runs' suggestions for `week` at once; per item, those not dismissed.

    Each item is (job id, run key, suggestions, task or None for the week's verdict). Stores
    the same rows and ids as `save_suggestions` called per item in order, in a few
    statements. Each suggestion's `id` and `state` are filled in.
    """
    job_ids = sorted({item[0] for item in items})
    jobs, rows = _stored(session, week, job_ids)
    for item in items:
        if item[0] not in jobs:
            raise ValueError(f"no job with id {item[0]}")
    marks: list[list[str]] = []
    for job_id, _, suggestions, task in items:
        team, name, stored_task = jobs[job_id]
        task = task if task is not None else stored_task
        marks.append([fingerprint(team=team, name=name, task=task, kind=p.kind, change=p.change)
                      for p in suggestions])
    # Dismissed rows per fingerprint, kept up to date as rows change state below.
    dismissed: Counter[str] = Counter()
    for chunk in _chunks(sorted({m for ms in marks for m in ms})):
        dismissed.update(dict(session.execute(
            select(col(Suggestion.fingerprint), func.count())
            .where(col(Suggestion.fingerprint).in_(chunk), col(Suggestion.state) == "dismissed")
            .group_by(col(Suggestion.fingerprint))).all()))
    placed: list[tuple[Proposed, dict[str, Any]]] = []
    kept: list[list[Proposed]] = []
    for (job_id, run_key, suggestions, _), job_marks in zip(items, marks, strict=True):
        shown = []
        for proposed, mark in zip(suggestions, job_marks, strict=True):
            was_dismissed = dismissed[mark] > 0
            row = rows.get((job_id, run_key, proposed.kind))
            if row is None:
                row = rows[(job_id, run_key, proposed.kind)] = {
                    "id": None, "state": "open", "fingerprint": mark, "job_id": job_id,
                    "run_key": run_key, "week": week, "kind": proposed.kind,
                    "created_at": now}
            if row["state"] == "dismissed":
                dismissed[row["fingerprint"]] -= 1
            if row["state"] == "open" and was_dismissed:
                row["state"] = "dismissed"
            elif row["state"] == "dismissed" and row["fingerprint"] != mark and not was_dismissed:
                row["state"] = "open"  # a different change than the one dismissed
            if row["state"] == "dismissed":
                dismissed[mark] += 1
            row.update(title=proposed.title, change=proposed.change, fingerprint=mark,
                       saved_energy_j_week=proposed.saved_energy_j_week,
                       saved_cost_usd_week=proposed.saved_cost_usd_week,
                       saved_co2e_kg_week=proposed.saved_co2e_kg_week,
                       confidence=proposed.confidence, updated_at=now, touched=True)
            placed.append((proposed, row))
            if row["state"] != "dismissed":
                shown.append(proposed)
        kept.append(shown)
    _write(session, [row for row in rows.values() if row.pop("touched", False)])
    for proposed, row in placed:
        proposed.id, proposed.state = row["id"], row["state"]
    return kept


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the new rows (their ids filled in) and update the stored ones."""
    new = [row for row in rows if row["id"] is None]
    old = [row for row in rows if row["id"] is not None]
    if new:
        fields = [{k: v for k, v in row.items() if k != "id"} for row in new]
        ids = session.execute(insert(Suggestion).returning(
            col(Suggestion.id), sort_by_parameter_order=True), fields).scalars().all()
        for row, row_id in zip(new, ids, strict=True):
            row["id"] = row_id
    if old:
        session.execute(update(Suggestion), old)
        # Suggestions already loaded in the session read the new values on next access.
        for row in old:
            loaded = session.identity_map.get(session.identity_key(Suggestion, row["id"]))
            if loaded is not None:
                session.expire(loaded)


def save_suggestions(*, session: Session, job_id: int, week: str,
                     suggestions: Sequence[Proposed], now: datetime,
                     task: str | None = None) -> list[Proposed]:
    """Upsert a job's suggestions for `week`; returns those not dismissed, with their ids.

    A suggestion whose workload and change were dismissed before is stored dismissed again.
    """
    return save_suggestions_bulk(session=session, week=week, now=now,
                                 items=[(job_id, "", suggestions, task)])[0]


def suggestions_for(*, session: Session, job_ids: Sequence[int] | None = None,
                    week: str | None = None,
                    states: Sequence[str] | None = None) -> list[Suggestion]:
    """Stored suggestions, filtered by job ids, week and states; most $ saved first."""
    stmt = select(Suggestion)
    if job_ids is not None:
        stmt = stmt.where(col(Suggestion.job_id).in_(list(job_ids)))
    if week is not None:
        stmt = stmt.where(col(Suggestion.week) == week)
    if states is not None:
        stmt = stmt.where(col(Suggestion.state).in_(list(states)))
    stmt = stmt.order_by(col(Suggestion.saved_cost_usd_week).desc(),
                         col(Suggestion.id))
    return [row for (row,) in session.execute(stmt)]


def suggestion_counts(*, session: Session, team: str, week: str) -> dict[str, int]:
    """How many of a team's suggestions of `week` are open, approved, applied, dismissed."""
    counts = dict.fromkeys(STATES, 0)
    rows = session.execute(
        select(col(Suggestion.state), func.count()).join(Job, col(Job.id) == Suggestion.job_id)
        .where(col(Job.team) == team, col(Suggestion.week) == week).group_by(col(Suggestion.state)))
    for state, count in rows:
        counts[state] = int(count)
    return counts


def applied_suggestions(*, session: Session, before: datetime,
                        ) -> list[tuple[str, int, str, str, str, float, float]]:
    """Suggestions applied through an action before `before`, for realized savings.

    Each as (workload, id, kind, title, week suggested, estimated $ and J a week). Applied
    through the team's action, or marked done by hand by a person once they made the change;
    a swap only recorded (`none`: "to be applied by hand") changed nothing yet.
    """
    applied = (select(col(ApprovalEvent.suggestion_id))
               .where(col(ApprovalEvent.at) < before,
                      ((col(ApprovalEvent.new_state) == "applied")
                       & (func.coalesce(col(ApprovalEvent.outcome), "") != "none"))
                      | (col(ApprovalEvent.new_state) == "done")))
    rows = session.execute(
        select(Suggestion, Job.name, Job.team, Cluster.name)
        .join(Job, col(Job.id) == Suggestion.job_id)
        .join(Cluster, col(Cluster.id) == Job.cluster_id)
        .where(col(Suggestion.state).in_(("applied", "done")),
               col(Suggestion.id).in_(applied))).all()
    return [(workload_key(cluster, team, name), row.id or 0, row.kind, row.title, row.week,
             row.saved_cost_usd_week, row.saved_energy_j_week)
            for row, name, team, cluster in rows]
