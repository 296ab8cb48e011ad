"""What `/ai-cost` and the App Home show: a team's week, its label and trend, its worst jobs.

Read from the ledger `refresh` wrote (labels, ranks, suggestions with their ids); nothing
here judges or writes. A week's view is kept for `cache_s` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session

from analyzers.digest import Digest, build_digest
from bot.budgets import budget_in_force
from bot.digests import annotate
from config.organisation import Organisation
from domain.ledger import JobLine, Ledger, TeamWeek
from domain.weeks import last_complete_week, previous_week
from storage.ledger_repo import load_ledger
from storage.slack_repo import digest_channel

__all__ = ["Budget", "TeamViews", "WeekView", "digest_channel"]


@dataclass(slots=True)
class WeekView:
    """Every team's judged week, with labels and ranks, as the ledger has them."""

    week: str
    teams: dict[str, TeamWeek]
    previous: dict[str, TeamWeek] | None
    labels: dict[str, str | None] = field(default_factory=dict)
    previous_labels: dict[str, str | None] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    ledger: Ledger | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    kwh: float | None
    usd: float | None
    spent_kwh: float
    spent_usd: float
    set_in_slack: bool


class TeamViews:
    """Reads a week for the bot; the clock and the cache time are injected."""

    def __init__(self, *, organisation: Organisation, clock: Callable[[], float] = time.time,
                 cache_s: float = 60.0) -> None:
        self._organisation = organisation
        self._clock = clock
        self._cache_s = cache_s
        self._cache: dict[str, tuple[float, WeekView]] = {}
        self._lock = threading.Lock()

    def latest_week(self, *, session: Session) -> str | None:
        """The default week: the last complete one (UTC)."""
        del session
        return last_complete_week(datetime.fromtimestamp(self._clock(), UTC))

    def week(self, *, session: Session, week: str | None = None) -> WeekView | None:
        """The judged week (default: the last complete one), None when it was not judged."""
        week = week or self.latest_week(session=session)
        if week is None:
            return None
        with self._lock:
            cached = self._cache.get(week)
            if cached and self._clock() - cached[0] < self._cache_s:
                return cached[1]
        ledger = load_ledger(session=session, week=week)
        if ledger is None:
            return None
        before = load_ledger(session=session, week=previous_week(week))
        view = WeekView(week=week, teams=ledger.teams,
                        previous=before.teams if before else None, ledger=ledger)
        for name, team_week in ledger.teams.items():
            view.labels[name] = team_week.label
            if team_week.rank is not None:
                view.ranks[name] = team_week.rank
        for name, team_week in (before.teams if before else {}).items():
            view.previous_labels[name] = team_week.label
        with self._lock:
            self._cache[week] = (self._clock(), view)
        return view

    def forget(self) -> None:
        """Drop cached weeks (after a swap is applied or a setting changes)."""
        with self._lock:
            self._cache.clear()

    def digest(self, view: WeekView, team: str, *, top_n: int = 3,
               session: Session | None = None) -> Digest:
        """A team's digest of the week, with its label, trend and rank."""
        config = self._organisation.team(team)
        previous = None
        if view.previous is not None:
            previous = view.previous.get(team, TeamWeek(team=team, week=view.week))
        channel = (digest_channel(session=session, organisation=self._organisation, team=team)
                   if session is not None else config.slack_channel if config else None)
        digest = build_digest(team, view.week, view.teams.get(team), previous,
                              slack_channel=channel, top_n=top_n)
        digest.label = view.labels.get(team)
        digest.previous_label = view.previous_labels.get(team)
        digest.rank, digest.teams_ranked = view.ranks.get(team), len(view.ranks)
        if view.ledger is not None:
            annotate(digest, view.ledger)
        if session is not None:
            budget = budget_in_force(session=session, organisation=self._organisation,
                                     team=team)
            digest.budget = budget.progress(spent_kwh=digest.figures.energy_kwh,
                                            spent_usd=digest.figures.cost_usd)
        return digest

    def team_names(self, view: WeekView | None) -> list[str]:
        names = [t.name for t in self._organisation.teams]
        return names + sorted(set(view.teams if view else ()) - set(names))

    def person_lines(self, view: WeekView, user: str) -> list[JobLine]:
        return [ln for tw in view.teams.values() for ln in tw.jobs if ln.job.user == user]

    def top(self, view: WeekView, n: int) -> list[JobLine]:
        """The `n` oversized runs of every team whose best suggestion saves most."""
        lines = [ln for tw in view.teams.values() for ln in tw.oversized]
        lines.sort(key=lambda ln: (ln.saved_cost_usd_week, ln.cost.cost_usd), reverse=True)
        return lines[:n]

    def job_line(self, view: WeekView, job_id: int) -> JobLine | None:
        """The run of a job in the week that cost most (a job may have several runs)."""
        lines = [ln for tw in view.teams.values() for ln in tw.jobs if ln.job.job_id == job_id]
        return max(lines, key=lambda ln: ln.cost.cost_usd, default=None)

    def budget(self, *, session: Session, view: WeekView | None, team: str) -> Budget:
        """The team's weekly budget in force and what it spent (the ledger's figures)."""
        rule = budget_in_force(session=session, organisation=self._organisation, team=team)
        week = view.teams.get(team) if view else None
        cost = week.cost if week else None
        return Budget(kwh=rule.kwh, usd=rule.usd, spent_kwh=cost.energy_kwh if cost else 0.0,
                      spent_usd=cost.cost_usd if cost else 0.0,
                      set_in_slack=rule.source == "slack")
