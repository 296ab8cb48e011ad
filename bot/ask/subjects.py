"""Whose data a question is about, checked against what exists and what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from bot.ask.access import AccessDenied, Viewer
from config.organisation import UNASSIGNED, Organisation
from storage.ask_queries import KnownNames, known_names

MAX_NAME_CHARS = 64


class AskError(ValueError):
    """A question or tool call that cannot be answered as asked; the message says why."""


@dataclass(slots=True)
class Context:
    """What every answer needs: the store, the organisation, who asks, and today's date."""

    session: Session
    organisation: Organisation
    viewer: Viewer
    today: date
    _known: KnownNames | None = field(default=None, repr=False)

    @property
    def known(self) -> KnownNames:
        if self._known is None:
            self._known = known_names(session=self.session)
        return self._known


@dataclass(frozen=True, slots=True)
class Subject:
    """Filters of a question: teams (None: all), user, model and GPU type, and their words."""

    teams: tuple[str, ...] | None
    user: str | None = None
    model: str | None = None
    gpu_type: str | None = None
    words: str = ""
    whole_org: bool = False

    @property
    def team(self) -> str | None:
        return self.teams[0] if self.teams and len(self.teams) == 1 else None


def _pick(kind: str, value: str, names: frozenset[str], *, partial: bool,
          visible: list[str] | None = None) -> str:
    """`value` as stored (case-insensitive, or a part of one name when `partial`)."""
    value = value.strip()
    if not value or len(value) > MAX_NAME_CHARS:
        raise AskError(f"a {kind} name has 1 to {MAX_NAME_CHARS} characters")
    exact = [n for n in names if n.lower() == value.lower()]
    if exact:
        return exact[0]
    if partial and any(value.lower() in n.lower() for n in names):
        return value
    shown = sorted(visible if visible is not None else names)[:12]
    known = f"; known: {', '.join(shown)}" if shown else ""
    raise AskError(f"there is no {kind} {value!r} in the data{known}")


def resolve(ctx: Context, *, team: str | None = None, user: str | None = None,
            model: str | None = None, gpu_type: str | None = None, mine: bool = False,
            ours: bool = False, org: bool = False, detail: bool = False) -> Subject:
    """Check names against the store and the viewer's rights; `detail`: job-level rows."""
    viewer, known = ctx.viewer, ctx.known
    visible = sorted(known.teams | {t.name for t in ctx.organisation.teams})
    words: list[str] = []
    teams: tuple[str, ...] | None
    whole_org = False
    if mine:
        if viewer.user is None:
            raise AccessDenied("your Slack account is not linked to a cluster user, so I do "
                               "not know which jobs are yours")
        user = viewer.user
    if team is not None:
        team = _pick("team", team, known.teams | {t.name for t in ctx.organisation.teams},
                     partial=False, visible=visible)
        if detail:  # a team's totals and label are for everyone; its jobs for its people
            viewer.require_team(team)
        teams, words = (team,), [f"team {team}"]
    elif ours:
        if not viewer.teams:
            raise AccessDenied(f"you are in no team of the organisation file; you can see "
                               f"{viewer.describe()}")
        teams = tuple(sorted(viewer.teams))
        words = [f"team {', '.join(teams)}"]
    elif user is not None:
        user = _pick("user", user, known.users | {viewer.user or ""} - {""}, partial=False)
        if user != viewer.user:
            viewer.require_team(ctx.organisation.team_of(user=user, account=None))
        teams = None if (viewer.org_wide or user == viewer.user) else tuple(sorted(viewer.teams))
    elif org or viewer.org_wide:
        if detail and not viewer.org_wide:
            raise AccessDenied("job lists across the organisation are for FinOps; ask about "
                               f"{viewer.describe()}")
        teams, words, whole_org = None, ["the organisation"], True
    elif viewer.teams:
        teams = tuple(sorted(viewer.teams))
        words = [f"team {', '.join(teams)}"]
    elif viewer.user:
        user, teams = viewer.user, None
    else:
        raise AccessDenied(f"you can see {viewer.describe()}")
    if user is not None:
        words.insert(0, "your jobs" if user == viewer.user and mine else f"{user}'s jobs")
    if model is not None:
        model = _pick("model", model, known.models, partial=True)
        words.append(f"running {model}")
    if gpu_type is not None:
        gpu_type = _pick("GPU type", gpu_type, known.gpu_types, partial=True)
        words.append(f"on {gpu_type} GPUs")
    if teams is not None and UNASSIGNED in teams and not viewer.org_wide:
        teams = tuple(t for t in teams if t != UNASSIGNED)
    return Subject(teams=teams, user=user, model=model, gpu_type=gpu_type,
                   words=" ".join(words) if words else "the organisation", whole_org=whole_org)
