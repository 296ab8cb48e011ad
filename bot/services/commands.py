"""`/ai-cost` and its words: parse the text, answer with blocks (private to the caller)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot.ask import answer_question, slack_response, viewer_for_slack, viewer_for_user
from bot.messages import team as msg
from bot.services.buttons import swap_buttons
from bot.services.directory import Directory, Person
from bot.services.team_view import TeamViews
from config.organisation import Organisation, TeamConfig
from config.settings import Settings
from reports.blocks import (
    Block,
    SwapButtons,
    digest_blocks,
    enforce_limits,
    section,
    served_blocks,
)
from reports.format import escape
from storage import slack_repo
from storage.db import session as new_session
from storage.served_repo import load_served

TOP_DEFAULT, TOP_MAX = 10, 24
NOT_JUDGED = ("The last complete week (UTC) has not been judged yet: the scheduler does it "
              "after the week ends, or run `ai-cost refresh`.")
WORDS = ("team", "job", "top", "rating", "budget", "digest", "subscribe", "ask", "help")
_CHANNEL = re.compile(r"^<#(C[A-Z0-9]+)(?:\|[^>]*)?>$|^#([a-z0-9_\-]{1,80})$")
_AMOUNT = re.compile(r"^\$?([0-9][0-9,]*(?:\.[0-9]+)?)\s*(kwh|\$|usd)?$", re.I)


@dataclass(frozen=True, slots=True)
class Command:
    word: str  # one of WORDS, "" for the caller's team, or "unknown"
    args: tuple[str, ...] = ()


def parse(text: str) -> Command:
    """The command word and its arguments; anything else is ("unknown", (word,))."""
    parts = text.strip().split()
    if not parts:
        return Command("")
    word = parts[0].lower()
    if word not in WORDS:
        return Command("unknown", (parts[0],))
    return Command(word, tuple(parts[1:]))


@dataclass(slots=True)
class Reply:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def to_response(self) -> dict[str, Any]:
        return {"response_type": "ephemeral", "replace_original": False, "text": self.text,
                "blocks": self.blocks}


def _say(text: str) -> Reply:
    return Reply(text, [section(text)])


class CommandService:
    """Answers `/ai-cost`; the engine, directory, views and clock are injected."""

    def __init__(self, *, organisation: Organisation, engine: Engine, directory: Directory,
                 views: TeamViews, clock: Callable[[], float] = time.time,
                 settings: Settings | None = None) -> None:
        self._organisation = organisation
        self._engine = engine
        self._directory = directory
        self._views = views
        self._clock = clock
        self._settings = settings or Settings()
        self._finops = frozenset(self._settings.ask_finops_users)

    def answer(self, *, text: str, slack_user_id: str) -> Reply:
        """The reply to `/ai-cost {text}` from `slack_user_id`."""
        command = parse(text)
        if command.word == "unknown":
            return Reply(f"I did not understand `{escape(command.args[0])}`.",
                         msg.help_blocks(command.args[0]))
        if command.word == "help":
            return Reply("What /ai-cost can do", msg.help_blocks())
        with new_session(self._engine) as s:
            person = self._directory.person(session=s, slack_user_id=slack_user_id)
            if command.word == "ask":
                return self._ask(s, person, slack_user_id, command.args)
            handler = getattr(self, f"_{command.word or 'mine'}")
            reply: Reply = handler(s, person, command.args)
            s.commit()
        return reply

    def sees_jobs(self, person: Person | None, team: str, owner: str | None = None) -> bool:
        """Whether `person` may see a team's jobs (totals and labels are for everyone).

        The same rule as `ask` (docs/ask.md): one's own jobs, the jobs of the teams one is a
        member or approver of, and every job for FinOps.
        """
        if person is None:
            return False
        if owner is not None and owner == person.name:
            return True
        viewer = viewer_for_user(self._organisation, person.name, finops=self._finops,
                                 aliases=[person.slack_user_id] if person.slack_user_id else [])
        return viewer.sees_team(team)

    def _ask(self, s: Any, person: Person | None, slack_user_id: str,
             args: tuple[str, ...]) -> Reply:
        if person is None:
            viewer = viewer_for_slack(session=s, organisation=self._organisation,
                                      slack_user_id=slack_user_id, finops=self._finops)
        else:
            viewer = viewer_for_user(self._organisation, person.name, finops=self._finops,
                                     aliases=[slack_user_id])
        answer = answer_question(" ".join(args), viewer, session=s,
                                 organisation=self._organisation, settings=self._settings,
                                 now=datetime.fromtimestamp(self._clock(), UTC))
        response = slack_response(answer)
        return Reply(response["text"], response["blocks"])

    def _own_team(self, person: Person | None) -> TeamConfig | Reply:
        if person is None:
            return _say("I do not know which cluster user you are. Ask an admin to add you to "
                        "the organisation file (slack_users), or try `/ai-cost team NAME`.")
        if person.team is None:
            return _say(f"{escape(person.name)} is not a member of any team in the organisation "
                        "file; try `/ai-cost team NAME`.")
        return person.team

    def _team_reply(self, s: Any, name: str, person: Person | None = None) -> Reply:
        view = self._views.week(session=s)
        if view is None:
            return _say(NOT_JUDGED)
        if name not in self._views.team_names(view):
            return _say(f"There is no team called `{escape(name)}`. Teams: "
                        f"{escape(', '.join(self._views.team_names(view)))}.")
        digest = self._views.digest(view, name, top_n=3, session=s)
        team_week = view.teams.get(name)
        worst = sorted(team_week.oversized if team_week else [],
                       key=lambda ln: (ln.saved_cost_usd_week, ln.cost.cost_usd), reverse=True)
        if not self.sees_jobs(person, name):  # another team's jobs are theirs to see
            digest.worst, digest.more_oversized, worst = [], 0, []
        shown = worst[:3]
        buttons = self._buttons(s, person, [ln.best.id for ln in shown if ln.best and ln.best.id])
        return Reply(f"{escape(name)}, {view.week}",
                     msg.team_blocks(digest, shown, max(0, len(worst) - 3), buttons=buttons))

    def _buttons(self, s: Any, person: Person | None, ids: list[int]) -> SwapButtons:
        """Buttons in a private reply: on open suggestions that `person` may decide."""
        return swap_buttons(session=s, directory=self._directory, ids=ids, person=person)

    def _mine(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        team = self._own_team(person)
        return team if isinstance(team, Reply) else self._team_reply(s, team.name, person)

    def _team(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        if not args:
            return Reply("Which team?", msg.help_blocks("team"))
        return self._team_reply(s, args[0], person)

    def _job(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        if not args:
            return _say("Which job? `/ai-cost job ID` with the scheduler's job id.")
        job = slack_repo.find_job(session=s, external_id=args[0])
        view = self._views.week(session=s)
        line = self._views.job_line(view, job.id or 0) if job and view else None
        if job is None or line is None or view is None:
            when = view.week if view else "the last complete week"
            return _say(f"No job `{escape(args[0])}` ran in {when}.")
        if not self.sees_jobs(person, job.team, owner=job.user):
            return _say(f"Job `{escape(args[0])}` belongs to team {escape(job.team)}: its "
                        "members, approvers and FinOps see its details. `/ai-cost team "
                        f"{escape(job.team)}` shows the team's totals and label.")
        buttons = self._buttons(s, person, [line.best.id] if line.best and line.best.id else [])
        return Reply(f"Job {escape(job.external_id)}", msg.job_blocks(line, view.week, buttons))

    def _top(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        n = TOP_DEFAULT
        if args:
            if not args[0].isdigit() or int(args[0]) < 1:
                return _say(f"`{escape(args[0])}` is not a number of jobs: `/ai-cost top 5`.")
            n = int(args[0])
        view = self._views.week(session=s)
        if view is None:
            return _say(NOT_JUDGED)
        every = sum(len(tw.oversized) for tw in view.teams.values())
        visible = [ln for ln in self._views.top(view, every)
                   if self.sees_jobs(person, ln.job.team, owner=ln.job.user)]
        shown = visible[:min(n, TOP_MAX)]
        total = len(visible)
        return Reply(f"Top {len(shown)} jobs, {view.week}",
                     msg.top_blocks(shown, view.week, max(0, total - len(shown))))

    def _rating(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        view = self._views.week(session=s)
        if view is None:
            return _say(NOT_JUDGED)
        rows = [(t, view.labels.get(t), view.previous_labels.get(t), view.ranks.get(t))
                for t in self._views.team_names(view) if t in view.teams]
        rows.sort(key=lambda r: (r[3] is None, r[3] or 0, r[0]))
        served = [r for r in load_served(session=s, weeks=[view.week])  # docs/served.md
                  if self.sees_jobs(person, r["team"])]
        return Reply(f"Energy labels, {view.week}",
                     enforce_limits(msg.rating_blocks(rows, view.week) + served_blocks(served)))

    def _budget(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        team = self._own_team(person)
        if isinstance(team, Reply):
            return team
        if args and args[0].lower() == "set":
            if not self._directory.is_approver(person, team):
                return _say(f"Only {team.name}'s approvers ({', '.join(team.approvers)}) can "
                            "set its budget.")
            match = _AMOUNT.match(" ".join(args[1:]).strip())
            if not match or not match.group(2) and not " ".join(args[1:]).startswith("$"):
                return _say("Say the amount and its unit: `/ai-cost budget set 1500 kWh` or "
                            "`/ai-cost budget set 9000 $`.")
            amount = float(match.group(1).replace(",", ""))
            unit = "kwh" if (match.group(2) or "").lower() == "kwh" else "usd"
            slack_repo.set_team_setting(
                session=s, team=team.name, actor=person.name if person else "?",
                now=datetime.fromtimestamp(self._clock(), UTC),
                **{f"weekly_budget_{unit}": amount})
        elif args:
            return Reply(f"I did not understand `{escape(args[0])}`.", msg.help_blocks(args[0]))
        view = self._views.week(session=s)
        budget = self._views.budget(session=s, view=view, team=team.name)
        return Reply(f"Budget of {team.name}",
                     msg.budget_blocks(team.name, view.week if view else "this week", budget))

    def _digest(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        team = self._own_team(person)
        if isinstance(team, Reply):
            return team
        view = self._views.week(session=s)
        if view is None:
            return _say(NOT_JUDGED)
        digest = self._views.digest(view, team.name, top_n=5, session=s)
        return Reply(f"Preview of {team.name}'s digest (only you see it)",
                     enforce_limits([section(":eyes: A private preview of this week's digest."),
                                     *digest_blocks(digest, buttons=self._buttons(
                                         s, person, [w.suggestion_id for w in digest.worst
                                                     if w.suggestion_id is not None]))]))

    def _subscribe(self, s: Any, person: Person | None, args: tuple[str, ...]) -> Reply:
        team = self._own_team(person)
        if isinstance(team, Reply):
            return team
        if not self._directory.is_approver(person, team):
            return _say(f"Only {team.name}'s approvers ({', '.join(team.approvers)}) can choose "
                        "where its digest goes.")
        match = _CHANNEL.match(args[0]) if args else None
        if match is None:
            return _say("Name the channel: `/ai-cost subscribe #channel`.")
        channel = match.group(1) or f"#{match.group(2)}"
        slack_repo.set_team_setting(session=s, team=team.name,
                                    actor=person.name if person else "?",
                                    now=datetime.fromtimestamp(self._clock(), UTC),
                                    digest_channel=channel)
        shown = f"<#{channel}>" if channel.startswith("C") else channel
        return _say(f"{team.name}'s weekly digest will go to {shown}.")
