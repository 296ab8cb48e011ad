"""Budget checks: each threshold of a team's weekly budget is announced once per week."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.errors import SlackClientError
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from analyzers.digest import BudgetProgress, Figures
from analyzers.standings import DEFAULT_THRESHOLDS_PCT, budget_progress, crossed
from bot.slack import Poster
from config.organisation import Organisation
from domain.weeks import week_of
from reports import format as fmt
from reports.blocks import context, section
from storage import digest_store as store
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from storage.models import Team
from storage.slack_repo import digest_channel, team_setting

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Alert:
    """One budget message: the team, its week, the highest threshold reached, the spend."""

    team: str
    period: str
    threshold_pct: int
    progress: BudgetProgress
    status: str
    message_ts: str | None = None


@dataclass(frozen=True, slots=True)
class BudgetInForce:
    """A team's weekly budget as every surface uses it, and where it was set."""

    kwh: float | None
    usd: float | None
    source: str | None  # "slack", "file" or None when the team has none

    def progress(self, *, spent_kwh: float, spent_usd: float) -> list[BudgetProgress]:
        """The spend against each budget the team set (kWh and/or USD)."""
        return budget_progress(Figures(spent_kwh, spent_usd, 0.0, 0.0, 0.0, 0.0, 0, 0),
                               kwh=self.kwh, usd=self.usd)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value if value.tzinfo else value.replace(tzinfo=UTC)


def budget_in_force(*, session: Session, organisation: Organisation,
                    team: str) -> BudgetInForce:
    """The one budget rule: the latest set wins.

    From Slack (`/ai-cost budget set`) or the organisation file, whose budget wins again when
    it changed after the Slack one was set.
    """
    config = organisation.team(team)
    file_budget = config.weekly_budget if config else None
    row = session.execute(select(Team).where(col(Team.name) == team)).scalar()
    file_at = _aware(row.budget_set_at) if row is not None else None
    setting = team_setting(session=session, team=team)
    if setting is not None and (setting.weekly_budget_kwh or setting.weekly_budget_usd):
        if file_at is None or (_aware(setting.updated_at) or file_at) >= file_at:
            return BudgetInForce(setting.weekly_budget_kwh, setting.weekly_budget_usd, "slack")
    if file_budget and (file_budget.kwh or file_budget.usd):
        return BudgetInForce(file_budget.kwh, file_budget.usd, "file")
    return BudgetInForce(None, None, None)


def spend_by_team(*, session: Session, week: str) -> dict[str, tuple[float, float]]:
    """Week-to-date energy and cost per team (kWh, USD), as the ledger has them."""
    ledger = load_ledger(session=session, week=week)
    if ledger is None:
        return {}
    return {name: (t.cost.energy_kwh, t.cost.cost_usd) for name, t in ledger.teams.items()}


@dataclass
class BudgetService:
    """Checks every team's week-to-date spend and posts each crossed threshold once."""

    engine: Engine
    organisation: Organisation
    poster: Poster
    clock: Clock
    thresholds_pct: Sequence[int] = DEFAULT_THRESHOLDS_PCT

    def check(self) -> list[Alert]:
        """Post what is newly crossed; returns the alerts handled in this run."""
        now = self.clock()
        alerts: list[Alert] = []
        spends: dict[str, dict[str, tuple[float, float]]] = {}
        period = week_of(now)  # weeks are UTC, as the ledger's
        for team in self.organisation.teams:
            with new_session(self.engine) as s:
                channel = digest_channel(session=s, organisation=self.organisation,
                                         team=team.name)
                if not channel:
                    continue
                if period not in spends:
                    spends[period] = spend_by_team(session=s, week=period)
                budget = budget_in_force(session=s, organisation=self.organisation,
                                         team=team.name)
            kwh, usd = spends[period].get(team.name, (0.0, 0.0))
            reached = crossed(budget.progress(spent_kwh=kwh, spent_usd=usd),
                              self.thresholds_pct)
            for metric in ("kwh", "usd"):
                mine = [(p, t) for p, t in reached if p.metric == metric]
                if mine:
                    alerts += self._announce(team.name, channel, period, mine, now)
        return alerts

    def _announce(self, team: str, channel: str, period: str,
                  reached: list[tuple[BudgetProgress, int]], now: datetime) -> list[Alert]:
        claimed = []
        with new_session(self.engine) as s:
            for progress, threshold in reached:
                claim = store.claim_budget_alert(
                    session=s, team=team, period=period, metric=progress.metric,
                    threshold_pct=threshold, spent=progress.spent, budget=progress.budget,
                    channel=channel, now=now)
                if claim.claimed:
                    claimed.append((progress, threshold))
            s.commit()
        if not claimed:
            return []
        progress, top = claimed[-1]  # one message, for the highest threshold newly reached
        text = (f"Budget {top}% reached: {team} used "
                f"{fmt.budget(progress.metric, progress.spent, progress.budget)} of its weekly "
                f"{'energy' if progress.metric == 'kwh' else 'cost'} budget in {period}")
        blocks = [section((":red_circle: " if top >= 100 else ":large_orange_circle: ") + text),
                  context("`/ai-cost top` lists the jobs that use the most; approving a "
                          "suggested swap is the quickest way back under budget")]
        ts: str | None = None
        error: str | None = None
        try:
            _, ts = self.poster.post(channel=channel, text=text, blocks=blocks)
        except SlackClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("budget alert for %s not posted: %s", team, error)
        with new_session(self.engine) as s:
            for p, threshold in claimed:
                store.budget_alert_done(session=s, team=team, period=period, metric=p.metric,
                                        threshold_pct=threshold, message_ts=ts, error=error,
                                        now=self.clock())
            s.commit()
        return [Alert(team, period, t, p, "failed" if error else "posted", ts)
                for p, t in claimed]
