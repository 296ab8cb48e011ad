"""What a person's App Home shows, published with views.publish."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from analyzers.ledger import lines_label
from bot.messages.home import MAX_HOME_SUGGESTIONS, home_view
from bot.services.buttons import swap_buttons
from bot.services.directory import Directory
from bot.services.team_view import TeamViews
from storage import slack_repo
from storage.db import session as new_session


class HomeService:
    def __init__(self, *, engine: Engine, directory: Directory, views: TeamViews) -> None:
        self._engine = engine
        self._directory = directory
        self._views = views

    def view_for(self, *, slack_user_id: str, notice: str | None = None) -> dict[str, Any]:
        """The home view of `slack_user_id`: labels, trends, open suggestions (theirs first).

        `notice`: the outcome of their last click on the tab, shown at the top.
        """
        with new_session(self._engine) as s:
            person = self._directory.person(session=s, slack_user_id=slack_user_id)
            if person is None:
                return home_view(person=None, team=None, week=None, own_label=(None, None),
                                 team_label=(None, None), suggestions=[], more=0)
            view = self._views.week(session=s)
            team = person.team.name if person.team else None
            own: tuple[str | None, str | None] = (None, None)
            team_labels: tuple[str | None, str | None] = (None, None)
            if view is not None:
                mine = self._views.person_lines(view, person.name)
                before = [ln for tw in (view.previous or {}).values() for ln in tw.jobs
                          if ln.job.user == person.name]
                own = (lines_label(mine), lines_label(before))
                if team:
                    team_labels = (view.labels.get(team), view.previous_labels.get(team))
            limit = MAX_HOME_SUGGESTIONS + 1
            found = slack_repo.open_suggestions(session=s, user=person.name, limit=limit)
            if team and len(found) < limit:
                seen = {sg.id for sg, _ in found}
                found += [(sg, j) for sg, j in slack_repo.open_suggestions(
                    session=s, team=team, limit=limit) if sg.id not in seen]
            buttons = swap_buttons(session=s, directory=self._directory, person=person,
                                   ids=[sg.id for sg, _ in found[:limit] if sg.id is not None])
        return home_view(person=person.name, team=team, week=view.week if view else None,
                         own_label=own, team_label=team_labels, suggestions=found[:limit],
                         more=0, buttons=buttons, notice=notice)
