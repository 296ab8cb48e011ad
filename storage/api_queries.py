"""What the read API asks the store besides a week's ledger: the judged weeks and their totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from storage.models import LedgerRun, LedgerTeam, LedgerWeek


@dataclass(frozen=True, slots=True)
class WeekHead:
    """One judged week: when it was judged, how much of it, its totals over the teams asked."""

    week: str
    judge: str
    refreshed_at: float
    hours: float
    stale: bool
    runs: int
    cost_usd: float
    energy_j: float
    co2e_kg: float
    gpu_hours: float


def week_heads(*, session: Session, teams: Sequence[str] | None = None) -> list[WeekHead]:
    """Every judged week, oldest first, with its totals (over `teams` when given)."""
    totals = select(col(LedgerTeam.week), func.sum(col(LedgerTeam.cost_usd)),
                    func.sum(col(LedgerTeam.energy_j)), func.sum(col(LedgerTeam.co2e_kg)),
                    func.sum(col(LedgerTeam.gpu_hours))).group_by(col(LedgerTeam.week))
    runs = select(col(LedgerRun.week), func.count()).group_by(col(LedgerRun.week))
    if teams is not None:
        totals = totals.where(col(LedgerTeam.team).in_(list(teams)))
        runs = runs.where(col(LedgerRun.team).in_(list(teams)))
    sums = {w: (c or 0.0, e or 0.0, k or 0.0, g or 0.0)
            for w, c, e, k, g in session.execute(totals)}
    counts = {w: n for w, n in session.execute(runs)}
    heads = []
    for row in session.execute(select(LedgerWeek).order_by(col(LedgerWeek.week))).scalars():
        cost, energy, co2e, gpu_hours = sums.get(row.week, (0.0, 0.0, 0.0, 0.0))
        heads.append(WeekHead(week=row.week, judge=row.judge, refreshed_at=row.refreshed_at,
                              hours=row.hours, stale=bool(row.stale),
                              runs=int(counts.get(row.week, 0)), cost_usd=float(cost),
                              energy_j=float(energy), co2e_kg=float(co2e),
                              gpu_hours=float(gpu_hours)))
    return heads
