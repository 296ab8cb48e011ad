"""Who asks and what they may see: Slack user -> cluster user -> team (docs/ask.md).

- Everyone sees their own jobs.
- A member or approver of a team sees that team: totals, jobs, label, suggestions, budget.
- An approver of any team also sees the organisation's totals (no other team's jobs).
- FinOps (settings.ask_finops_users) and the operator at the terminal see every team.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

from config.organisation import UNASSIGNED, Organisation
from storage.ask_queries import user_of_slack_id


class AccessDenied(PermissionError):
    """The viewer may not see what was asked; the message says what they may see."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person asking, with the teams whose data they see."""

    name: str
    user: str | None = None
    teams: frozenset[str] = field(default_factory=frozenset)
    org_totals: bool = False
    org_wide: bool = False

    @classmethod
    def operator(cls) -> Viewer:
        """Whoever runs the CLI without --as: they hold the database anyway."""
        return cls(name="operator", org_totals=True, org_wide=True)

    @property
    def key(self) -> str:
        """What the answer cache tells viewers apart by."""
        return f"{self.name}|{self.user}|{','.join(sorted(self.teams))}|" \
               f"{int(self.org_totals)}{int(self.org_wide)}"

    def sees_team(self, team: str) -> bool:
        return self.org_wide or team in self.teams

    def require_team(self, team: str) -> None:
        """Raise AccessDenied unless the viewer sees `team`'s details."""
        if not self.sees_team(team):
            raise AccessDenied(f"you can see {self.describe()}, not team {team}")

    def require_org_totals(self) -> None:
        if not (self.org_totals or self.org_wide):
            raise AccessDenied(f"organisation-wide figures are for approvers and FinOps; you "
                               f"can see {self.describe()}")

    def describe(self) -> str:
        """What this viewer sees, in words."""
        if self.org_wide:
            return "every team"
        parts = [f"team {t}" for t in sorted(self.teams)]
        if self.user:
            parts.append("your own jobs")
        if self.org_totals:
            parts.append("the organisation's totals")
        return ", ".join(parts) if parts else "nothing yet (your Slack account is not linked "\
            "to a cluster user)"


def _teams_of(organisation: Organisation, names: Iterable[str]) -> tuple[set[str], bool]:
    """Teams the names are members or approvers of, and whether any is an approver."""
    names = set(names)
    teams, approver = set(), False
    for team in organisation.teams:
        if names & set(team.members):
            teams.add(team.name)
        if names & set(team.approvers):
            teams.add(team.name)
            approver = True
    return teams, approver


def viewer_for_user(organisation: Organisation, user: str, *, finops: Iterable[str] = (),
                    aliases: Iterable[str] = ()) -> Viewer:
    """The viewer of cluster user `user` (also known as `aliases`, e.g. a Slack id)."""
    names = {user, *aliases}
    teams, approver = _teams_of(organisation, names)
    account_team = organisation.team_of(user=user, account=None)
    if account_team != UNASSIGNED:
        teams.add(account_team)
    org_wide = bool(names & set(finops))
    return Viewer(name=user, user=user, teams=frozenset(teams), org_totals=approver or org_wide,
                  org_wide=org_wide)


def viewer_for_slack(*, session: Session, organisation: Organisation, slack_user_id: str,
                     finops: Iterable[str] = ()) -> Viewer:
    """The viewer of a Slack user: their linked cluster user (users.slack_user_id), if any.

    Organisation files may list Slack ids among members and approvers; those count too.
    """
    user = user_of_slack_id(session=session, slack_user_id=slack_user_id)
    if user is None:
        teams, approver = _teams_of(organisation, [slack_user_id])
        org_wide = slack_user_id in set(finops)
        return Viewer(name=slack_user_id, teams=frozenset(teams),
                      org_totals=approver or org_wide, org_wide=org_wide)
    viewer = viewer_for_user(organisation, user, finops=finops, aliases=[slack_user_id])
    return Viewer(name=slack_user_id, user=viewer.user, teams=viewer.teams,
                  org_totals=viewer.org_totals, org_wide=viewer.org_wide)
