"""Nudges that respect people: a direct message to a flagged job's owner, praise for a team.

At most `per_job_per_day` messages about one job and `per_person_per_day` in all to one person
on a day of their own time zone; none during their night (`quiet_hours`, local time); a
suggestion is pushed once, and a dismissed one never again (the store remembers dismissals).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import Session

from analyzers.ratings import label_change
from bot.messages.swaps import nudge_blocks, praise_blocks
from bot.services.directory import Directory
from bot.services.swap_actions import by_hand_reason
from bot.services.team_view import TeamViews
from config.organisation import Organisation
from reports.format import escape
from storage import slack_repo
from storage.db import session as new_session
from storage.models import SlackNudge
from storage.slack_repo import digest_channel


@dataclass(slots=True)
class NudgeReport:
    sent: list[int] = field(default_factory=list)  # suggestion ids
    praised: list[str] = field(default_factory=list)  # teams
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class Nudges:
    """Sends due nudges; the Slack client, directory, views and clock are injected."""

    def __init__(self, *, organisation: Organisation, engine: Engine, client: WebClient,
                 directory: Directory, views: TeamViews, clock: Callable[[], float] = time.time,
                 per_job_per_day: int = 1, per_person_per_day: int = 3,
                 quiet_hours: tuple[int, int] = (21, 8)) -> None:
        self._organisation = organisation
        self._engine = engine
        self._client = client
        self._directory = directory
        self._views = views
        self._clock = clock
        self.per_job_per_day, self.per_person_per_day = per_job_per_day, per_person_per_day
        self.quiet_hours = quiet_hours

    def _is_night(self, local: datetime) -> bool:
        start, end = self.quiet_hours
        return local.hour >= start or local.hour < end

    def send_due(self, *, limit: int = 200) -> NudgeReport:
        """DM the owners of open, not yet nudged suggestions; praise improved teams.

        Only the newest week's suggestions, one per run (none after a sibling was decided),
        each claimed in the database before it is sent: several nudgers at once send each
        message once and keep the limits per job and per person.
        """
        report = NudgeReport()
        now = datetime.fromtimestamp(self._clock(), UTC)
        with new_session(self._engine) as s:
            latest = slack_repo.latest_suggestion_week(session=s)
            pending = (slack_repo.open_suggestions(session=s, limit=limit, week=latest)
                       if latest else [])
            view = self._views.week(session=s) if pending else None
            blocked = slack_repo.runs_not_to_nudge(session=s, week=latest) if latest else set()
            for suggestion, job in pending:
                if slack_repo.nudged_suggestion(session=s, suggestion_id=suggestion.id or 0):
                    continue
                run = (suggestion.job_id, suggestion.run_key)
                if run in blocked:
                    report.skip("another suggestion for this run was decided or sent")
                    continue
                if not job.user:
                    report.skip("no owner")
                    continue
                slack_id = self._directory.slack_id(session=s, name=job.user)
                if slack_id is None:
                    report.skip("owner not found in Slack")
                    continue
                team = self._organisation.team(job.team)
                tz = self._directory.time_zone(slack_user_id=slack_id,
                                               fallback=team.timezone if team else "UTC")
                local = now.astimezone(ZoneInfo(tz))
                if self._is_night(local):
                    report.skip("night in the owner's time zone")
                    continue
                day = local.date()
                if slack_repo.nudges_on(session=s, recipient=job.user, local_day=day,
                                        job_id=job.id) >= self.per_job_per_day:
                    report.skip("already told about this job today")
                    continue
                if slack_repo.nudges_on(session=s, recipient=job.user,
                                        local_day=day) >= self.per_person_per_day:
                    report.skip("enough messages for this person today")
                    continue
                claimed = self._claim(s, suggestion_id=suggestion.id or 0, job_id=job.id or 0,
                                      recipient=job.user, day=day.isoformat(), now=now)
                if isinstance(claimed, str):
                    report.skip(claimed)
                    continue
                line = self._views.job_line(view, job.id or 0) if view else None
                blocks = nudge_blocks(
                    suggestion, job,
                    reasons=slack_repo.verdict_reasons(session=s, job_id=job.id or 0,
                                                       week=suggestion.week),
                    cost_usd=line.cost.cost_usd if line else None,
                    energy_kwh=line.cost.energy_kwh if line else None,
                    by_hand=by_hand_reason(team, suggestion, job))
                try:
                    posted = self._client.chat_postMessage(
                        channel=slack_id, blocks=blocks,
                        text=f"{escape(job.name or job.external_id)} could cost less: "
                             f"{escape(suggestion.title)}")
                except SlackApiError as exc:
                    slack_repo.release_claims(session=s, keys=claimed)
                    s.commit()
                    report.skip(f"Slack: {exc.response.get('error', 'error')}")
                    continue
                slack_repo.record_nudge(session=s, nudge=SlackNudge(
                    kind="suggestion", recipient=job.user, slack_user_id=slack_id,
                    job_id=job.id, suggestion_id=suggestion.id, team=job.team,
                    week=suggestion.week, local_day=day, channel=posted.get("channel"),
                    message_ts=posted.get("ts"), sent_at=now))
                s.commit()
                blocked.add(run)
                report.sent.append(suggestion.id or 0)
            self._praise(s, now, report)
            s.commit()
        return report

    def _claim(self, s: Session, *, suggestion_id: int, job_id: int, recipient: str, day: str,
               now: datetime) -> list[str] | str:
        """Claim the message, committed: its keys, or why it is not to be sent.

        The suggestion once a day, one of the job's slots and one of the person's of that day.
        """
        taken: list[str] = []

        def take(key: str) -> bool:
            won = slack_repo.claim(session=s, key=key, now=now)
            if won:
                taken.append(key)
            return won

        why = None
        if not take(f"suggestion:{suggestion_id}:{day}"):
            why = "sent by another nudger"
        elif not any(take(f"job:{recipient}:{job_id}:{day}:{n}")
                     for n in range(self.per_job_per_day)):
            why = "already told about this job today"
        elif not any(take(f"person:{recipient}:{day}:{n}")
                     for n in range(self.per_person_per_day)):
            why = "enough messages for this person today"
        if why is not None:
            slack_repo.release_claims(session=s, keys=taken)
        s.commit()
        return why if why is not None else taken

    def _praise(self, s: Session, now: datetime, report: NudgeReport) -> None:
        view = self._views.week(session=s)
        if view is None or view.previous is None:
            return
        for team in self._views.team_names(view):
            gained = label_change(view.previous_labels.get(team), view.labels.get(team))
            if not gained or gained <= 0 or slack_repo.praised(session=s, team=team,
                                                               week=view.week):
                continue
            channel = digest_channel(session=s, organisation=self._organisation, team=team)
            if not channel:
                continue
            before, after = view.previous_labels[team], view.labels[team]
            try:
                posted = self._client.chat_postMessage(
                    channel=channel, blocks=praise_blocks(team, view.week, before, after),
                    text=f"{escape(team)} improved its energy label from {before} to {after}")
            except SlackApiError as exc:
                report.skip(f"Slack: {exc.response.get('error', 'error')}")
                continue
            slack_repo.record_nudge(session=s, nudge=SlackNudge(
                kind="praise", recipient=team, team=team, week=view.week,
                local_day=now.date(), channel=posted.get("channel"),
                message_ts=posted.get("ts"), sent_at=now))
            report.praised.append(team)
