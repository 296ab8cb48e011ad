"""What `/ai-cost` and the App Home show: a team's week, its label and trend, its worst jobs.

Built on the weekly pipeline (judge, suggestions stored with ids so they can be approved);
a week's result is kept for `cache_s` seconds, as the roll-ups change only every few minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from analyzers.digest import Digest, build_digest
from analyzers.ratings import job_label, rank_teams, right_sized_energy_kwh, team_label, team_score
from analyzers.weekly import JobLine, TeamWeek
from bot.pipeline import process_week
from config.organisation import Organisation
from storage import queries, slack_repo


@dataclass(slots=True)
class WeekView:
    """Every team's week, with labels and ranks, as the pipeline judged it."""

    week: str
    teams: dict[str, TeamWeek]
    previous: dict[str, TeamWeek] | None
    labels: dict[str, str | None] = field(default_factory=dict)
    previous_labels: dict[str, str | None] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)


def line_label(line: JobLine) -> str:
    """A job's energy label, A to G, from its energy against its right-sized energy."""
    if line.label is None:
        right = right_sized_energy_kwh(line.record, line.verdict, line.suggestions)
        line.label = job_label(line.record.energy_kwh_or_estimate(), right)
    return line.label


def lines_label(lines: list[JobLine]) -> str | None:
    return team_label([(line.cost.energy_kwh, line_label(line)) for line in lines])


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
        weeks = queries.weeks_with_data(session=session)
        return weeks[-1] if weeks else None

    def week(self, *, session: Session, week: str | None = None) -> WeekView | None:
        """The judged week (default: the latest with data), None when nothing is stored."""
        week = week or self.latest_week(session=session)
        if week is None:
            return None
        with self._lock:
            cached = self._cache.get(week)
            if cached and self._clock() - cached[0] < self._cache_s:
                return cached[1]
        this = process_week(session=session, organisation=self._organisation, week=week)
        before_week = queries.previous_week(week)
        previous = None
        if before_week in queries.weeks_with_data(session=session):
            previous = process_week(session=session, organisation=self._organisation,
                                    week=before_week).teams
        view = WeekView(week=week, teams=this.teams, previous=previous)
        for name, team_week in this.teams.items():
            view.labels[name] = lines_label(team_week.jobs)
        for name, team_week in (previous or {}).items():
            view.previous_labels[name] = lines_label(team_week.jobs)
        view.ranks = rank_teams({
            name: team_score([(ln.cost.energy_kwh, line_label(ln)) for ln in tw.jobs])
            for name, tw in this.teams.items()})
        with self._lock:
            self._cache[week] = (self._clock(), view)
        return view

    def forget(self) -> None:
        """Drop cached weeks (after a swap is applied or a setting changes)."""
        with self._lock:
            self._cache.clear()

    def digest(self, view: WeekView, team: str, *, top_n: int = 3) -> Digest:
        """A team's digest of the week, with its label, trend and rank."""
        config = self._organisation.team(team)
        previous = None
        if view.previous is not None:
            previous = view.previous.get(team, TeamWeek(team=team, week=view.week))
        digest = build_digest(team, view.week, view.teams.get(team), previous,
                              slack_channel=config.slack_channel if config else None,
                              top_n=top_n)
        digest.label = view.labels.get(team)
        digest.previous_label = view.previous_labels.get(team)
        digest.rank, digest.teams_ranked = view.ranks.get(team), len(view.ranks)
        return digest

    def team_names(self, view: WeekView | None) -> list[str]:
        names = [t.name for t in self._organisation.teams]
        return names + sorted(set(view.teams if view else ()) - set(names))

    def person_lines(self, view: WeekView, user: str) -> list[JobLine]:
        return [ln for tw in view.teams.values() for ln in tw.jobs if ln.job.user == user]

    def top(self, view: WeekView, n: int) -> list[JobLine]:
        """The `n` oversized jobs of every team whose best suggestion saves most."""
        lines = [ln for tw in view.teams.values() for ln in tw.oversized]
        lines.sort(key=lambda ln: (ln.saved_cost_usd_week, ln.cost.cost_usd), reverse=True)
        return lines[:n]

    def job_line(self, view: WeekView, job_id: int) -> JobLine | None:
        for team_week in view.teams.values():
            for line in team_week.jobs:
                if line.job.job_id == job_id:
                    return line
        return None

    def budget(self, *, session: Session, view: WeekView | None, team: str) -> Budget:
        """The team's weekly budget (set in Slack, else the file's) and what it spent."""
        setting = slack_repo.team_setting(session=session, team=team)
        config = self._organisation.team(team)
        kwh = usd = None
        if config and config.weekly_budget:
            kwh, usd = config.weekly_budget.kwh, config.weekly_budget.usd
        from_slack = setting is not None and (setting.weekly_budget_kwh is not None or
                                              setting.weekly_budget_usd is not None)
        if from_slack and setting is not None:
            kwh, usd = setting.weekly_budget_kwh, setting.weekly_budget_usd
        week = view.teams.get(team) if view else None
        cost = week.cost if week else None
        return Budget(kwh=kwh, usd=usd, spent_kwh=cost.energy_kwh if cost else 0.0,
                      spent_usd=cost.cost_usd if cost else 0.0, set_in_slack=from_slack)


def digest_channel(*, session: Session, organisation: Organisation, team: str) -> str | None:
    """Where a team's digest goes: the channel set with `/ai-cost subscribe`, else the file's."""
    setting = slack_repo.team_setting(session=session, team=team)
    if setting is not None and setting.digest_channel:
        return setting.digest_channel
    config = organisation.team(team)
    return config.slack_channel if config else None
