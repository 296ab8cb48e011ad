"""Budget checks: each threshold of a team's weekly budget is announced once per week."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackClientError
from sqlalchemy import Engine
from sqlmodel import Session

from analyzers.digest import BudgetProgress, Figures
from analyzers.standings import DEFAULT_THRESHOLDS_PCT, budget_progress, crossed
from analyzers.weekly import job_cost
from bot.pipeline import rates_lookup
from bot.slack import Poster
from config.organisation import Organisation, TeamConfig
from reports import format as fmt
from reports.blocks import context, section
from storage import digest_store as store
from storage import queries
from storage.db import session as new_session
from storage.slack_repo import team_setting

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


def spend_by_team(*, session: Session, organisation: Organisation,
                  week: str) -> dict[str, Figures]:
    """Week-to-date energy and cost per team (kWh, USD) from the roll-ups."""
    rates_of = rates_lookup(organisation)
    totals: dict[str, list[float]] = {}
    for job in queries.job_weeks(session=session, week=week):
        cost = job_cost(job, rates_of(job))
        spent = totals.setdefault(job.team, [0.0, 0.0])
        spent[0] += cost.energy_kwh
        spent[1] += cost.cost_usd
    return {team: Figures(kwh, usd, 0.0, 0.0, 0.0, 0.0, 0, 0)
            for team, (kwh, usd) in totals.items()}


def team_budget(session: Session, team: TeamConfig) -> tuple[float | None, float | None]:
    """The team's weekly budget (kWh, USD): set from Slack if it was, else the file's."""
    setting = team_setting(session=session, team=team.name)
    file_budget = team.weekly_budget
    kwh = (setting.weekly_budget_kwh if setting and setting.weekly_budget_kwh
           else file_budget.kwh if file_budget else None)
    usd = (setting.weekly_budget_usd if setting and setting.weekly_budget_usd
           else file_budget.usd if file_budget else None)
    return kwh, usd


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
        spends: dict[str, dict[str, Figures]] = {}
        for team in self.organisation.teams:
            if not team.slack_channel:
                continue
            period = queries.iso_week(now.astimezone(ZoneInfo(team.timezone)).date())
            with new_session(self.engine) as s:
                if period not in spends:
                    spends[period] = spend_by_team(session=s, organisation=self.organisation,
                                                   week=period)
                kwh, usd = team_budget(s, team)
            figures = spends[period].get(team.name, Figures.of(None))
            reached = crossed(budget_progress(figures, kwh=kwh, usd=usd), self.thresholds_pct)
            for metric in ("kwh", "usd"):
                mine = [(p, t) for p, t in reached if p.metric == metric]
                if mine:
                    alerts += self._announce(team.name, team.slack_channel, period, mine, now)
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
