"""Read-only queries behind `ask`: the names it knows, stored suggestions, the data version.

Nothing here writes. Filters are values bound as parameters; no caller-supplied SQL is run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from storage.models import (
    ApprovalEvent,
    Cluster,
    Gpu,
    Job,
    LedgerWeek,
    RollupDirty,
    Suggestion,
    Team,
    Usage,
    User,
)


@dataclass(frozen=True, slots=True)
class KnownNames:
    """Names that exist in the store, to check what a question or a tool call names."""

    teams: frozenset[str]
    users: frozenset[str]
    models: frozenset[str]
    gpu_types: frozenset[str]
    clusters: frozenset[str] = frozenset()


def known_names(*, session: Session) -> KnownNames:
    """Teams, users, models, GPU types and clusters seen in the store."""
    teams = {t for (t,) in session.execute(select(Job.team).distinct()) if t}
    teams |= {t for (t,) in session.execute(select(Team.name)) if t}
    users = {u for (u,) in session.execute(select(Job.user).distinct()) if u}
    users |= {u for (u,) in session.execute(select(User.name)) if u}
    models = {m for (m,) in session.execute(select(Job.model).distinct()) if m}
    gpu_types = {g for (g,) in session.execute(select(Gpu.gpu_type).distinct()) if g}
    clusters = {c for (c,) in session.execute(select(Cluster.name)) if c}
    return KnownNames(frozenset(teams), frozenset(users), frozenset(models),
                      frozenset(gpu_types), frozenset(clusters))


def user_of_slack_id(*, session: Session, slack_user_id: str) -> str | None:
    """The cluster user name linked to a Slack user id, or None."""
    return session.execute(select(User.name).where(
        col(User.slack_user_id) == slack_user_id).limit(1)).scalar()


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


def data_version(*, session: Session) -> str:
    """A token that changes whenever the ledger, suggestions or approvals change."""
    ledger = session.execute(select(func.count(), func.max(LedgerWeek.refreshed_at),
                                    func.sum(case((col(LedgerWeek.stale), 1), else_=0)))).one()
    dirty = session.execute(select(func.count()).select_from(RollupDirty)).scalar()
    suggestions = session.execute(select(func.count(), func.max(Suggestion.updated_at))).one()
    events = session.execute(select(func.count()).select_from(ApprovalEvent)).scalar()
    return "/".join(str(v) for v in (*ledger, dirty, *suggestions, events))


def usage_days(*, session: Session, start: date, end: date) -> set[date]:
    """UTC days from `start` to `end` with any rolled-up usage (judged or not)."""
    return {d for (d,) in session.execute(select(Usage.day).distinct().where(
        col(Usage.day) >= start, col(Usage.day) <= end))}
