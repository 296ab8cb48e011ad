"""Who is who: Slack users to cluster users and back, their team and their time zone.

A Slack user is a cluster user when the organisation file maps them (``slack_users: {alice:
U123}``), when a stored user row carries their Slack id, or by email: their Slack profile's
email equals a stored user's email, or its local part is a team member's name. The other way,
a cluster user's email (stored, or ``name@email_domain`` from the organisation file) is looked
up with users.lookupByEmail. Found pairs are stored, so Slack is asked once per person.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from config.organisation import UNASSIGNED, Organisation, TeamConfig
from storage import slack_repo

USER_TTL_S = 3600.0  # a person's Slack profile and time zone, asked again after an hour


@dataclass(frozen=True, slots=True)
class Person:
    """A cluster user as the bot knows them."""

    name: str
    slack_user_id: str | None
    team: TeamConfig | None

    @property
    def mention(self) -> str:
        return f"<@{self.slack_user_id}>" if self.slack_user_id else self.name


class Directory:
    """Maps people between Slack and the clusters; the Slack client is injected."""

    def __init__(self, *, organisation: Organisation, client: WebClient,
                 clock: Callable[[], float] = time.monotonic,
                 user_ttl_s: float = USER_TTL_S) -> None:
        self._organisation = organisation
        self._client = client
        self._clock, self._user_ttl_s = clock, user_ttl_s
        self._users: dict[str, tuple[float, dict[str, Any]]] = {}
        self._by_name: dict[str, str] = dict(organisation.slack_users)
        self._by_slack = {v: k for k, v in self._by_name.items()}
        self._email_domain: str | None = organisation.email_domain

    @property
    def organisation(self) -> Organisation:
        return self._organisation

    def user_info(self, slack_user_id: str) -> dict[str, Any]:
        """users.info's user, asked once per USER_TTL_S per person; raises SlackApiError."""
        now = self._clock()
        cached = self._users.get(slack_user_id)
        if cached is not None and now - cached[0] < self._user_ttl_s:
            return cached[1]
        user = dict(self._client.users_info(user=slack_user_id)["user"])
        self._users[slack_user_id] = (now, user)
        return user

    def team_of(self, name: str | None) -> TeamConfig | None:
        if not name:
            return None
        team = self._organisation.team_of(user=name, account=None)
        return None if team == UNASSIGNED else self._organisation.team(team)

    def person(self, *, session: Session, slack_user_id: str) -> Person | None:
        """The cluster user behind a Slack user, or None when nothing maps them."""
        name = self._by_slack.get(slack_user_id)
        if name is None:
            row = slack_repo.user_by_slack_id(session=session, slack_user_id=slack_user_id)
            name = row.name if row else None
        if name is None:
            name = self._by_email(session, slack_user_id)
        if name is None:
            return None
        return Person(name=name, slack_user_id=slack_user_id, team=self.team_of(name))

    def _by_email(self, session: Session, slack_user_id: str) -> str | None:
        try:
            profile = self.user_info(slack_user_id).get("profile", {})
        except SlackApiError:
            return None
        email = (profile.get("email") or "").lower()
        if not email:
            return None
        members = {m for t in self._organisation.teams for m in t.members}
        local, _, domain = email.partition("@")
        if self._email_domain and domain != self._email_domain.lower():
            local = ""  # another domain's alice is not our alice
        stored = slack_repo.user_by_email(session=session, email=email)
        name = stored.name if stored else (local if local in members else None)
        if name is not None:
            slack_repo.remember_user(session=session, name=name, slack_user_id=slack_user_id,
                                     email=email)
        return name

    def slack_id(self, *, session: Session, name: str) -> str | None:
        """The Slack id of cluster user `name`, or None when they cannot be found."""
        if name in self._by_name:
            return self._by_name[name]
        row = slack_repo.user_by_name(session=session, name=name)
        if row is not None and row.slack_user_id:
            return row.slack_user_id
        email = row.email if row is not None and row.email else (
            f"{name}@{self._email_domain}" if self._email_domain else None)
        if not email:
            return None
        try:
            found = self._client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError:
            return None
        slack_repo.remember_user(session=session, name=name, slack_user_id=found, email=email)
        return str(found)

    def time_zone(self, *, slack_user_id: str | None, fallback: str) -> str:
        """The person's time zone as Slack has it, else `fallback` (their team's)."""
        if slack_user_id:
            try:
                tz = self.user_info(slack_user_id).get("tz")
            except SlackApiError:
                tz = None
            if tz:
                return str(tz)
        return fallback

    def may_approve(self, person: Person | None, *, team: str, owner: str | None) -> bool:
        """Approvers of the job's team, and the job's owner, may approve its swaps."""
        if person is None:
            return False
        config = self._organisation.team(team)
        return person.name == owner or bool(config and person.name in config.approvers)

    def is_approver(self, person: Person | None, team: TeamConfig | None) -> bool:
        return bool(person and team and person.name in team.approvers)
