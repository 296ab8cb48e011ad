"""Weekly digests: built from the store, posted to each team's channel exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackClientError
from sqlalchemy import Engine
from sqlmodel import Session

from analyzers.digest import Digest, Swaps, build_digest
from analyzers.standings import OrgDigest, budget_progress, build_org_digest, rank
from analyzers.weekly import TeamWeek
from bot.pipeline import process_week
from bot.slack import Poster
from config.organisation import Organisation
from reports.blocks import digest_blocks, org_digest_blocks
from reports.charts import energy_chart_png
from reports.terminal import headline, org_headline
from storage import digest_store as store
from storage.db import session as new_session
from storage.queries import iso_week, previous_week, week_bounds, weeks_with_data
from storage.slack_repo import team_setting

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
HISTORY_WEEKS = 8
BUILD_CACHE = timedelta(minutes=10)  # teams posting at the same hour share one build
MAX_ATTEMPTS = 8
RETRY_BACKOFF = timedelta(minutes=5)


def digest_week(now: datetime, timezone: str = "UTC") -> str:
    """The week a digest sent at `now` covers: the last complete ISO week in `timezone`."""
    return iso_week(now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=7))


def history_weeks(week: str, count: int = HISTORY_WEEKS) -> list[str]:
    """`count` ISO weeks ending with `week`, oldest first."""
    monday, _ = week_bounds(week)
    return [iso_week(monday - timedelta(days=7 * i)) for i in reversed(range(count))]


def _ratings(week: str, teams: dict[str, TeamWeek]) -> list[store.Rating]:
    out = []
    for name, team_week in teams.items():
        label, score = team_week.label, team_week.score
        cost = team_week.cost
        out.append(store.Rating(team=name, week=week, label=label, score=score,
                                energy_kwh=cost.energy_kwh, cost_usd=cost.cost_usd,
                                co2e_kg=cost.co2e_kg))
    return out


def _swaps(session: Session, organisation: Organisation, team: str, week: str,
           activity: dict[str, int]) -> Swaps:
    from storage.suggestions_repo import realized_savings

    measured = [r for r in realized_savings(session=session, team=team, week=week,
                                            organisation=organisation) if r.seen]
    return Swaps(
        approved=activity.get("approved", 0), applied=activity.get("applied", 0),
        measured=len(measured),
        saved_kwh_week=sum(r.saved_energy_j_week for r in measured) / 3.6e6,
        saved_usd_week=sum(r.saved_cost_usd_week for r in measured),
        saved_co2e_kg_week=sum(r.saved_co2e_kg_week for r in measured),
        estimated_usd_week=sum(r.estimated_cost_usd_week for r in measured))


def build_digests(*, session: Session, organisation: Organisation, week: str, now: datetime,
                  teams: Sequence[str] | None = None, judge: str | None = None) -> list[Digest]:
    """Every team's digest for `week` with label, rank, budget, swaps and label history.

    Judges the week (and the week before, when it has data), stores each team's rating, and
    ranks all teams even when only `teams` are returned.
    """
    this = process_week(session=session, organisation=organisation, week=week, judge=judge,
                        now=now)
    before_week = previous_week(week)
    before: dict[str, TeamWeek] | None = None
    if before_week in weeks_with_data(session=session):
        before = process_week(session=session, organisation=organisation, week=before_week,
                              judge=judge, now=now).teams
    names = [t.name for t in organisation.teams]
    names += sorted(set(this.teams) - set(names))
    ratings = _ratings(week, this.teams) + _ratings(before_week, before or {})
    store.save_ratings(session=session, ratings=ratings, now=now)
    rated = {(r.team, r.week): r for r in ratings}
    history = store.label_history(session=session, teams=names, weeks=history_weeks(week))
    activity = store.swap_activity(session=session, week=week)
    digests = []
    for name in names:
        team = organisation.team(name)
        previous = None
        if before is not None:
            previous = before.get(name, TeamWeek(team=name, week=before_week))
        digest = build_digest(name, week, this.teams.get(name), previous,
                              slack_channel=team.slack_channel if team else None)
        mine = rated.get((name, week))
        digest.label, digest.score = (mine.label, mine.score) if mine else (None, None)
        earlier = rated.get((name, before_week))
        digest.previous_label = earlier.label if earlier else None
        budget = team.weekly_budget if team else None
        digest.budget = budget_progress(digest.figures, kwh=budget.kwh if budget else None,
                                        usd=budget.usd if budget else None)
        digest.swaps = _swaps(session, organisation, name, week, activity.get(name, {}))
        labels = history.get(name, {})
        digest.label_history = [(w, labels.get(w)) for w in history_weeks(week)]
        digests.append(digest)
    rank(digests)
    wanted = set(teams) if teams is not None else None
    return [d for d in digests if wanted is None or d.team in wanted]


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered message: fallback text, blocks given the chart's file id, the chart."""

    text: str
    blocks: Callable[[str | None], list[dict[str, Any]]]
    png: bytes | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one digest: posted, skipped (already done), failed or no channel."""

    team: str
    week: str
    status: str
    message_ts: str | None = None
    detail: str = ""


@dataclass
class DigestService:
    """Builds digests and posts each (team, week) once, however many processes try."""

    engine: Engine
    organisation: Organisation
    poster: Poster
    clock: Clock
    judge: str | None = None
    _built: dict[str, tuple[datetime, list[Digest]]] = field(default_factory=dict)

    def digests(self, week: str, *, fresh: bool = False) -> list[Digest]:
        """All teams' digests for `week`, built at most once per BUILD_CACHE."""
        now = self.clock()
        cached = self._built.get(week)
        if fresh or cached is None or now - cached[0] > BUILD_CACHE:
            with new_session(self.engine) as s:
                built = build_digests(session=s, organisation=self.organisation, week=week,
                                      now=now, judge=self.judge)
                s.commit()
            self._built[week] = cached = (now, built)
        return cached[1]

    def post_team(self, team: str, week: str | None = None, *, force: bool = False) -> Outcome:
        """Post `team`'s digest for `week` (default: its last full week) unless already posted."""
        config = self.organisation.team(team)
        week = week or digest_week(self.clock(), config.timezone if config else "UTC")
        channel = self.channel_of(team)
        if not channel:
            return Outcome(team, week, "no_channel", detail=f"team {team!r} has no slack_channel")

        def render() -> Message:
            digest = next(d for d in self.digests(week, fresh=force) if d.team == team)
            return Message(text=headline(digest),
                           blocks=lambda file_id: digest_blocks(digest, chart_file_id=file_id),
                           png=energy_chart_png(digest))

        return self._post(team, week, channel, render, force=force)

    def channel_of(self, team: str) -> str | None:
        """The team's digest channel: set from Slack (`/ai-cost subscribe`) or the file's."""
        with new_session(self.engine) as s:
            setting = team_setting(session=s, team=team)
        config = self.organisation.team(team)
        if setting is not None and setting.digest_channel:
            return setting.digest_channel
        return config.slack_channel if config else None

    def post_org(self, week: str | None = None, *, force: bool = False) -> Outcome:
        """Post the organisation-wide ranking to the FinOps channel, once per week."""
        week = week or digest_week(self.clock())
        channel = self.organisation.finops_channel
        if not channel:
            return Outcome(store.ORGANISATION, week, "no_channel",
                           detail="no finops_channel in the organisation file")

        def render() -> Message:
            org = self.org_digest(week, fresh=force)
            return Message(text=org_headline(org), blocks=lambda _: org_digest_blocks(org))

        return self._post(store.ORGANISATION, week, channel, render, force=force)

    def org_digest(self, week: str, *, fresh: bool = False) -> OrgDigest:
        return build_org_digest(week, self.digests(week, fresh=fresh),
                                slack_channel=self.organisation.finops_channel)

    def _post(self, team: str, week: str, channel: str,
              render: Callable[[], Message], *, force: bool) -> Outcome:
        now = self.clock()
        with new_session(self.engine) as s:
            claim = store.claim_digest(session=s, team=team, week=week, channel=channel,
                                       now=now, force=force)
            s.commit()
        if not claim.claimed:
            detail = (f"already posted (ts {claim.message_ts}); --force reposts"
                      if claim.status == "posted" else f"claimed elsewhere ({claim.status})")
            return Outcome(team, week, "skipped", claim.message_ts, detail)
        try:
            message = render()
            file_id = None
            if message.png is not None:
                file_id = self.poster.upload_png(
                    message.png, filename=f"ai-cost-{team}-{week}.png", title=f"{team} {week}",
                    alt_text=f"Energy per day for {team}, {week}")
            channel_id, ts = self.poster.post(
                channel=channel, text=message.text, blocks=message.blocks(file_id),
                metadata={"event_type": "ai_cost_digest",
                          "event_payload": {"team": team, "week": week}})
        except SlackClientError as exc:
            self._failed(team, week, f"{type(exc).__name__}: {exc}")
            return Outcome(team, week, "failed", detail=str(exc).splitlines()[0])
        except BaseException as exc:
            self._failed(team, week, f"{type(exc).__name__}: {exc}")
            raise
        with new_session(self.engine) as s:
            store.digest_posted(session=s, team=team, week=week, channel=channel_id,
                                message_ts=ts, file_id=file_id, now=self.clock())
            s.commit()
        detail = f"reposted with --force ({claim.reposts} before)" if claim.reposts else ""
        return Outcome(team, week, "posted", ts, detail)

    def _failed(self, team: str, week: str, error: str) -> None:
        log.warning("digest %s %s not posted: %s", team, week, error)
        with new_session(self.engine) as s:
            store.digest_failed(session=s, team=team, week=week, error=error)
            s.commit()

    def retry_failed(self) -> list[Outcome]:
        """Post again the digests that failed (backoff doubling per attempt)."""
        with new_session(self.engine) as s:
            due = store.retryable_digests(session=s, now=self.clock(),
                                          max_attempts=MAX_ATTEMPTS, backoff=RETRY_BACKOFF)
        return [self.post_org(week) if team == store.ORGANISATION else self.post_team(team, week)
                for team, week in due]

