"""Where teams stand: energy label per team-week, rank among teams, budgets (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analyzers.digest import BudgetProgress, Digest, Figures
from analyzers.ratings import rank_teams
from config.organisation import UNASSIGNED
from domain.ledger import ClusterWeek

DEFAULT_THRESHOLDS_PCT = (80, 100)


def rank(digests: Iterable[Digest]) -> None:
    """Set each digest's rank among the teams with a score (1: best label); not unassigned."""
    digests = list(digests)
    ranks = rank_teams({d.team: d.score for d in digests if d.team != UNASSIGNED})
    for digest in digests:
        digest.rank = ranks.get(digest.team)
        digest.teams_ranked = len(ranks)


def budget_progress(figures: Figures, *, kwh: float | None,
                    usd: float | None) -> list[BudgetProgress]:
    """The week's spend against each budget the team set (kWh and/or USD)."""
    out = []
    if kwh:
        out.append(BudgetProgress("kwh", figures.energy_kwh, kwh))
    if usd:
        out.append(BudgetProgress("usd", figures.cost_usd, usd))
    return out


def crossed(progress: Sequence[BudgetProgress],
            thresholds_pct: Sequence[int] = DEFAULT_THRESHOLDS_PCT,
            ) -> list[tuple[BudgetProgress, int]]:
    """Each (budget, threshold %) that the spend has reached, lowest threshold first."""
    return [(p, t) for p in progress for t in sorted(thresholds_pct) if p.pct >= t]


@dataclass(frozen=True, slots=True)
class TeamStanding:
    """One line of the organisation-wide ranking."""

    team: str
    rank: int | None
    label: str | None
    label_change: int | None
    energy_kwh: float
    cost_usd: float
    co2e_kg: float
    energy_change_pct: float | None
    oversized_jobs: int
    budget_pct: float | None


@dataclass(slots=True)
class OrgDigest:
    """The organisation-wide digest for the FinOps channel: every team, best label first."""

    week: str
    teams: list[TeamStanding]
    total: Figures
    slack_channel: str | None = None
    clusters: list[ClusterWeek] = field(default_factory=list)  # idle capacity per cluster

    @property
    def energy_kwh(self) -> float:
        return self.total.energy_kwh


def build_org_digest(week: str, digests: Sequence[Digest], *,
                     slack_channel: str | None = None,
                     clusters: Sequence[ClusterWeek] = ()) -> OrgDigest:
    """The ranking of teams from their digests (ranked first with `rank`)."""
    lines = [TeamStanding(
        team=d.team, rank=d.rank, label=d.label, label_change=d.label_change,
        energy_kwh=d.figures.energy_kwh, cost_usd=d.figures.cost_usd, co2e_kg=d.figures.co2e_kg,
        energy_change_pct=d.change_pct("energy_kwh"), oversized_jobs=d.figures.oversized_jobs,
        budget_pct=max((b.pct for b in d.budget), default=None),
    ) for d in digests]
    lines.sort(key=lambda t: (t.rank is None, t.rank or 0, -t.energy_kwh, t.team))
    f = [d.figures for d in digests]
    total = Figures(
        energy_kwh=sum(x.energy_kwh for x in f), cost_usd=sum(x.cost_usd for x in f),
        gpu_cost_usd=sum(x.gpu_cost_usd for x in f),
        energy_cost_usd=sum(x.energy_cost_usd for x in f), co2e_kg=sum(x.co2e_kg for x in f),
        gpu_hours=sum(x.gpu_hours for x in f), jobs=sum(x.jobs for x in f),
        oversized_jobs=sum(x.oversized_jobs for x in f))
    return OrgDigest(week=week, teams=lines, total=total, slack_channel=slack_channel,
                     clusters=list(clusters))
