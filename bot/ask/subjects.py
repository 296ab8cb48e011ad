"""Whose data a question is about, checked against what exists and what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from bot.ask.access import AccessDenied, Viewer
from config.organisation import UNASSIGNED, Organisation
from storage.ask_queries import KnownNames, known_names

MAX_NAME_CHARS = 64
# What a question asks of one team beyond its totals and label (for everyone): its jobs and
# the reasons behind its label, its suggestions, its budget; for its people only.
DETAILED = frozenset({"top_jobs", "suggestions", "label", "budget", "savings", "flagged"})


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
    cluster: str | None = None
    job: str | None = None  # a job's id, or a part of its name

    @property
    def team(self) -> str | None:
        return self.teams[0] if self.teams and len(self.teams) == 1 else None


def _pick(kind: str, value: str, names: frozenset[str], *, partial: bool,
          visible: frozenset[str] | None = None) -> str:
    """`value` as stored (case-insensitive, or a part of one name when `partial`).

    Only names in `visible` (None: all) are matched and offered when `value` is unknown, so a
    name the viewer may not see is answered exactly as one that does not exist.
    """
    value = value.strip()
    if not value or len(value) > MAX_NAME_CHARS:
        raise AskError(f"a {kind} name has 1 to {MAX_NAME_CHARS} characters")
    names = names if visible is None else names & visible
    exact = [n for n in names if n.lower() == value.lower()]
    if exact:
        return exact[0]
    if partial and any(value.lower() in n.lower() for n in names):
        return value
    shown = sorted(names)[:12]
    known = f"; known: {', '.join(shown)}" if shown else ""
    where = "in the data" if visible is None else "in what you can see"
    raise AskError(f"there is no {kind} {value!r} {where}{known}")


def unknown_viewer(ctx: Context) -> str | None:
    """One sentence when the viewer names a cluster user no one knows, else None."""
    user = ctx.viewer.user
    if user is None or ctx.viewer.org_wide or user in ctx.known.users:
        return None
    if any(user in t.members or user in t.approvers for t in ctx.organisation.teams):
        return None
    return (f"I know no user {user!r}: no job of the store ran as {user!r} and the "
            f"organisation file does not list them, so I cannot tell which jobs are theirs.")


def visible_users(ctx: Context) -> frozenset[str] | None:
    """The cluster users whose jobs the viewer sees (None: everyone's)."""
    viewer = ctx.viewer
    if viewer.org_wide:
        return None
    people = set(ctx.known.users) | {m for t in ctx.organisation.teams for m in t.members}
    seen = {u for u in people
            if viewer.sees_team(ctx.organisation.team_of(user=u, account=None))}
    return frozenset(seen | ({viewer.user} if viewer.user else set()))


def _models_named(models: frozenset[str], asked: str) -> frozenset[str]:
    """The stored models `asked` names (exactly or as a part): what the viewer typed, no more."""
    asked = asked.strip().lower()
    return frozenset(m for m in models if asked and asked in m.lower())


def resolve(ctx: Context, *, team: str | None = None, user: str | None = None,
            model: str | None = None, gpu_type: str | None = None, mine: bool = False,
            ours: bool = False, org: bool = False, detail: bool = False,
            cluster: str | None = None, job: str | None = None) -> Subject:
    """Check names against the store and the viewer's rights; `detail`: job-level rows."""
    viewer, known = ctx.viewer, ctx.known
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
                     partial=False)  # every team's name is public, as its totals are
        if detail:  # a team's totals and label are for everyone; its jobs for its people
            viewer.require_team(team)
        teams, words = (team,), [f"team {team}"]
    elif ours and not viewer.teams and viewer.org_wide:
        # "we" of the operator or FinOps in no team: the organisation
        teams, words, whole_org = None, ["the organisation"], True
    elif ours:
        if not viewer.teams:
            raise AccessDenied(f"you are in no team of the organisation file; you can see "
                               f"{viewer.describe()}")
        teams = tuple(sorted(viewer.teams))
        words = [f"team {', '.join(teams)}"]
    elif user is not None:
        user = _pick("user", user, known.users | {viewer.user or ""} - {""}, partial=False,
                     visible=visible_users(ctx))
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
        # Which models a team runs is its jobs' detail: offered by name to FinOps only.
        model = _pick("model", model, known.models, partial=True,
                      visible=None if viewer.org_wide else _models_named(known.models, model))
        words.append(f"running {model}")
    if gpu_type is not None:
        gpu_type = _pick("GPU type", gpu_type, known.gpu_types, partial=True)
        words.append(f"on {gpu_type} GPUs")
    if cluster is not None:
        cluster = _pick("cluster", cluster, known.clusters, partial=True)
        words.append(f"on cluster {cluster}")
    if job is not None:
        if not job.strip() or len(job) > MAX_NAME_CHARS:
            raise AskError(f"a job name has 1 to {MAX_NAME_CHARS} characters")
        words.insert(0, f"job {job.strip()}")
    if teams is not None and UNASSIGNED in teams and not viewer.org_wide:
        teams = tuple(t for t in teams if t != UNASSIGNED)
    return Subject(teams=teams, user=user, model=model, gpu_type=gpu_type,
                   words=" ".join(words) if words else "the organisation", whole_org=whole_org,
                   cluster=cluster, job=job.strip() if job else None)
