"""Read-only queries behind `ask`: usage by team, user, model, GPU type and days; names; budgets.

Nothing here writes. Filters are values bound as parameters; no caller-supplied SQL is run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from storage.models import ApprovalEvent, Cluster, Gpu, Job, Suggestion, Team, Usage, User, Verdict


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One job's usage on one GPU type over a span of days (the unit rates apply to)."""

    job_id: int
    external_id: str
    name: str
    team: str
    user: str | None
    model: str | None
    cluster: str
    gpu_type: str
    gpus: int
    gpu_s: float
    energy_j: float
    samples: int
    util_sum: float
    first_day: date
    last_day: date


def usage_rows(*, session: Session, start: date, end: date,
               teams: Sequence[str] | None = None, users: Sequence[str] | None = None,
               model: str | None = None, gpu_type: str | None = None) -> list[UsageRow]:
    """Usage per job and GPU type from `start` to `end` (inclusive days), filtered.

    `model` and `gpu_type` match case-insensitively on a part of the name (A100 matches
    NVIDIA A100-SXM4-80GB); `teams` and `users` match exactly. None: no filter.
    """
    stmt = (
        select(Job.id, Job.external_id, Job.name, Job.team, Job.user, Job.model,
               Cluster.name.label("cluster"), Gpu.gpu_type,
               func.count(func.distinct(Usage.gpu_id)).label("gpus"),
               func.sum(Usage.gpu_s).label("gpu_s"), func.sum(Usage.energy_j).label("energy_j"),
               func.sum(Usage.samples).label("samples"),
               func.sum(Usage.util_sum).label("util_sum"),
               func.min(Usage.day).label("first_day"), func.max(Usage.day).label("last_day"))
        .join(Job, col(Job.id) == Usage.job_id)
        .join(Gpu, col(Gpu.id) == Usage.gpu_id)
        .join(Cluster, col(Cluster.id) == Job.cluster_id)
        .where(col(Usage.day) >= start, col(Usage.day) <= end)
        .group_by(Job.id, Job.external_id, Job.name, Job.team, Job.user, Job.model,
                  Cluster.name, Gpu.gpu_type)
        .order_by(Job.id, Gpu.gpu_type)
    )
    if teams is not None:
        stmt = stmt.where(col(Job.team).in_(list(teams)))
    if users is not None:
        stmt = stmt.where(col(Job.user).in_(list(users)))
    if model is not None:
        stmt = stmt.where(func.lower(Job.model).contains(model.lower(), autoescape=True))
    if gpu_type is not None:
        stmt = stmt.where(func.lower(Gpu.gpu_type).contains(gpu_type.lower(), autoescape=True))
    return [UsageRow(job_id=r.id, external_id=r.external_id, name=r.name, team=r.team,
                     user=r.user, model=r.model, cluster=r.cluster, gpu_type=r.gpu_type,
                     gpus=int(r.gpus), gpu_s=float(r.gpu_s or 0.0),
                     energy_j=float(r.energy_j or 0.0), samples=int(r.samples or 0),
                     util_sum=float(r.util_sum or 0.0), first_day=r.first_day,
                     last_day=r.last_day)
            for r in session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class KnownNames:
    """Names that exist in the store, to check what a question or a tool call names."""

    teams: frozenset[str]
    users: frozenset[str]
    models: frozenset[str]
    gpu_types: frozenset[str]


def known_names(*, session: Session) -> KnownNames:
    """Teams, users, models and GPU types seen in jobs, GPUs and the team table."""
    teams = {t for (t,) in session.execute(select(Job.team).distinct()) if t}
    teams |= {t for (t,) in session.execute(select(Team.name)) if t}
    users = {u for (u,) in session.execute(select(Job.user).distinct()) if u}
    users |= {u for (u,) in session.execute(select(User.name)) if u}
    models = {m for (m,) in session.execute(select(Job.model).distinct()) if m}
    gpu_types = {g for (g,) in session.execute(select(Gpu.gpu_type).distinct()) if g}
    return KnownNames(frozenset(teams), frozenset(users), frozenset(models),
                      frozenset(gpu_types))


def user_of_slack_id(*, session: Session, slack_user_id: str) -> str | None:
    """The cluster user name linked to a Slack user id, or None."""
    return session.execute(select(User.name).where(
        col(User.slack_user_id) == slack_user_id).limit(1)).scalar()


def team_budget(*, session: Session, team: str) -> tuple[float | None, float | None] | None:
    """A team's weekly budget (kWh, USD) as synced from the organisation file; None if unknown."""
    row = session.execute(select(Team.weekly_budget_kwh, Team.weekly_budget_usd).where(
        col(Team.name) == team)).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True, slots=True)
class SuggestionRow:
    """A stored suggestion with the job it is for."""

    id: int
    week: str
    kind: str
    title: str
    state: str
    saved_energy_j_week: float
    saved_cost_usd_week: float
    saved_co2e_kg_week: float
    confidence: float
    job_external_id: str
    job_name: str
    team: str
    user: str | None
    model: str | None


def suggestion_rows(*, session: Session, weeks: Sequence[str],
                    teams: Sequence[str] | None = None, users: Sequence[str] | None = None,
                    states: Sequence[str] | None = None, kinds: Sequence[str] | None = None,
                    limit: int = 20) -> list[SuggestionRow]:
    """Stored suggestions of `weeks`, filtered, most $ saved first, at most `limit` rows."""
    stmt = (select(Suggestion, Job).join(Job, col(Job.id) == Suggestion.job_id)
            .where(col(Suggestion.week).in_(list(weeks))))
    if teams is not None:
        stmt = stmt.where(col(Job.team).in_(list(teams)))
    if users is not None:
        stmt = stmt.where(col(Job.user).in_(list(users)))
    if states is not None:
        stmt = stmt.where(col(Suggestion.state).in_(list(states)))
    if kinds is not None:
        stmt = stmt.where(col(Suggestion.kind).in_(list(kinds)))
    stmt = stmt.order_by(col(Suggestion.saved_cost_usd_week).desc(), col(Suggestion.id))
    return [SuggestionRow(id=s.id or 0, week=s.week, kind=s.kind, title=s.title, state=s.state,
                          saved_energy_j_week=s.saved_energy_j_week,
                          saved_cost_usd_week=s.saved_cost_usd_week,
                          saved_co2e_kg_week=s.saved_co2e_kg_week, confidence=s.confidence,
                          job_external_id=j.external_id, job_name=j.name, team=j.team,
                          user=j.user, model=j.model)
            for s, j in session.execute(stmt.limit(limit))]


def stored_verdicts(*, session: Session, job_ids: Sequence[int], week: str) -> dict[int, Verdict]:
    """The newest stored verdict per job for `week`, whichever judge gave it."""
    rows = session.execute(select(Verdict).where(
        col(Verdict.job_id).in_(list(job_ids)), col(Verdict.week) == week)
        .order_by(col(Verdict.created_at)))
    return {v.job_id: v for (v,) in rows}


def data_version(*, session: Session) -> str:
    """A token that changes whenever usage, verdicts, suggestions or approvals change."""
    usage = session.execute(select(func.count(), func.max(Usage.id),
                                   func.sum(Usage.samples))).one()
    verdicts = session.execute(select(func.count(), func.max(Verdict.created_at))).one()
    suggestions = session.execute(select(func.count(), func.max(Suggestion.updated_at))).one()
    events = session.execute(select(func.count()).select_from(ApprovalEvent)).scalar()
    return "/".join(str(v) for v in (*usage, *verdicts, *suggestions, events))
