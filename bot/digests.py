"""Weekly digests: built from the store, posted to each team's channel exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlmodel import Session

from analyzers.digest import Digest, Swaps, build_digest
from analyzers.standings import OrgDigest, build_org_digest
from bot.budgets import budget_in_force
from bot.messages.swaps import suggestion_buttons
from bot.services.submit_check import submit_summaries
from bot.services.swap_actions import by_hand_reason
from bot.slack import Poster, scope_hint
from config.organisation import Organisation
from domain.ledger import RESIZED, SWAPPED, Ledger, RealizedSaving, TeamWeek
from domain.weeks import is_over, iso_week, previous_week, week_bounds, week_end
from reports.blocks import Block, digest_blocks, org_digest_blocks
from reports.charts import energy_chart_png
from reports.format import escape
from reports.terminal import headline, org_headline
from storage import digest_store as store
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from storage.served_repo import load_served
from storage.slack_repo import digest_channel, suggestions_by_id

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
HISTORY_WEEKS = 8
BUILD_CACHE = timedelta(minutes=10)  # teams posting at the same hour share one build
MAX_ATTEMPTS = 8
RETRY_BACKOFF = timedelta(minutes=5)
DIGEST_EVENT = "ai_cost_digest"  # the metadata every digest carries, found again by it
UNKNOWN = "outcome unknown: "  # a failure after which the message may have been posted


def digest_week(now: datetime, timezone: str = "UTC") -> str:
    """The week a digest sent at `now` covers: the ISO week before the one `timezone` is in.

    Weeks are UTC: a team east of UTC whose Monday begins before the week ends in UTC gets
    its digest once the week is over (the scheduler retries it).
    """
    return iso_week(now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=7))


def history_weeks(week: str, count: int = HISTORY_WEEKS) -> list[str]:
    """`count` ISO weeks ending with `week`, oldest first."""
    monday, _ = week_bounds(week)
    return [iso_week(monday - timedelta(days=7 * i)) for i in reversed(range(count))]


class WeekNotJudged(LookupError):
    """A week that `refresh` has not judged: nothing to show or post for it yet."""


class WeekNotReady(LookupError):
    """A week that cannot be posted yet: not over in UTC, or data arrived after judging."""


def ready_to_post(ledger: Ledger | None, week: str, now: datetime) -> str | None:
    """Why `week`'s digest cannot be posted at `now`, or None when it can."""
    if not is_over(week, now):
        return f"{week} is not over yet: weeks are UTC and end Sunday 24:00 UTC"
    if ledger is None:
        return f"{week} has not been judged yet: run `ai-cost refresh --week {week}`"
    if ledger.stale or ledger.hours < 168:
        return (f"data of {week} arrived after it was judged: run `ai-cost refresh --week "
                f"{week}` first")
    return None


def _swaps(realized: Sequence[RealizedSaving], activity: dict[str, int]) -> Swaps:
    measured = [r for r in realized if r.seen and r.source == SWAPPED]
    return Swaps(
        approved=activity.get("approved", 0), applied=activity.get("applied", 0),
        measured=len(measured),
        saved_kwh_week=sum(r.saved_energy_j_week for r in measured) / 3.6e6,
        saved_usd_week=sum(r.saved_cost_usd_week for r in measured),
        saved_co2e_kg_week=sum(r.saved_co2e_kg_week for r in measured),
        estimated_usd_week=sum(r.estimated_cost_usd_week for r in measured))


def load_week(*, session: Session, week: str) -> Ledger:
    """The judged week; WeekNotJudged, with what to run, when `refresh` has not judged it."""
    ledger = load_ledger(session=session, week=week)
    if ledger is None:
        raise WeekNotJudged(f"{week} has not been judged yet: run `ai-cost refresh --week "
                            f"{week}` (the scheduler does it on its own)")
    return ledger


def silent_clusters(ledger: Ledger, week: str) -> list[tuple[str, str | None]]:
    """Clusters that sent nothing since before the week ended, with when they last did."""
    end = week_end(week).timestamp()
    out = []
    for name, cluster in sorted(ledger.clusters.items()):
        last = cluster.last_sample_ts
        if last is None or last < end - 3600:
            out.append((name, None if last is None else
                        datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%d %H:%M UTC")))
    return out


def annotate(digest: Digest, ledger: Ledger) -> None:
    """What a digest says of its week: judged when, partial or not, newer data, silence."""
    digest.as_of = (datetime.fromtimestamp(ledger.refreshed_at, UTC)
                    .strftime("%Y-%m-%d %H:%M UTC") if ledger.refreshed_at else None)
    digest.stale, digest.hours = ledger.stale, ledger.hours
    team = ledger.teams.get(digest.team)
    digest.defaults = list(team.defaults) if team else []
    if not digest.figures.jobs:
        digest.silent = silent_clusters(ledger, digest.week)


def build_digests(*, session: Session, organisation: Organisation, week: str, now: datetime,
                  teams: Sequence[str] | None = None, judge: str | None = None) -> list[Digest]:
    """Every team's digest for `week`, read from the ledger `refresh` wrote; writes nothing.

    Label, rank and totals are the ledger's; the budget is the one in force; the channel is
    the team's digest channel. WeekNotJudged when the week has no ledger.
    """
    del judge, now  # the ledger was judged by refresh; kept for callers' keyword arguments
    ledger = load_week(session=session, week=week)
    before_week = previous_week(week)
    before = load_ledger(session=session, week=before_week)
    names = [t.name for t in organisation.teams]
    names += sorted(set(ledger.teams) - set(names))
    history = store.label_history(session=session, teams=names, weeks=history_weeks(week))
    activity = store.swap_activity(session=session, week=week)
    served = load_served(session=session, weeks=[week])  # served endpoints (docs/served.md)
    submitted = submit_summaries(session, week)  # warnings at submit time (docs/submit-time.md)
    digests = []
    wanted = set(teams) if teams is not None else None
    for name in names:
        if wanted is not None and name not in wanted:
            continue
        team = ledger.teams.get(name)
        previous = None
        if before is not None:
            previous = before.teams.get(name, TeamWeek(team=name, week=before_week))
        digest = build_digest(name, week, team, previous,
                              slack_channel=digest_channel(session=session,
                                                           organisation=organisation,
                                                           team=name))
        if team is not None:
            digest.label, digest.score = team.label, team.score
            digest.rank, digest.teams_ranked = team.rank, team.teams_ranked
        earlier = before.teams.get(name) if before is not None else None
        digest.previous_label = earlier.label if earlier else None
        budget = budget_in_force(session=session, organisation=organisation, team=name)
        digest.budget = budget.progress(spent_kwh=digest.figures.energy_kwh,
                                        spent_usd=digest.figures.cost_usd)
        digest.swaps = _swaps(ledger.realized.get(name, []), activity.get(name, {}))
        labels = history.get(name, {})
        digest.label_history = [(w, labels.get(w)) for w in history_weeks(week)]
        annotate(digest, ledger)
        digest.served = [r for r in served if r["team"] == name]
        warned, resized = submitted.get(name, (0, 0))
        digest.submit_time = (warned, resized, sum(
            r.saved_cost_usd_week for r in ledger.realized.get(name, []) if r.source == RESIZED))
        digests.append(digest)
    return digests


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
                                      now=now)
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
            self._check_ready(week)
            digest = next(d for d in self.digests(week, fresh=force) if d.team == team)
            with new_session(self.engine) as s:  # anyone in the channel may click: each is checked
                rows = suggestions_by_id(session=s, ids=[w.suggestion_id for w in digest.worst
                                                         if w.suggestion_id is not None])

            def buttons(suggestion_id: int) -> Block | None:
                found = rows.get(suggestion_id)
                if found is None:
                    return None
                return suggestion_buttons(found[0], by_hand=by_hand_reason(
                    self.organisation.team(found[1].team), found[0], found[1]))

            return Message(text=escape(headline(digest)),
                           blocks=lambda file_id: digest_blocks(digest, chart_file_id=file_id,
                                                                buttons=buttons),
                           png=energy_chart_png(digest))

        return self._post(team, week, channel, render, force=force)

    def channel_of(self, team: str) -> str | None:
        """The team's digest channel: set from Slack (`/ai-cost subscribe`) or the file's."""
        with new_session(self.engine) as s:
            return digest_channel(session=s, organisation=self.organisation, team=team)

    def post_org(self, week: str | None = None, *, force: bool = False) -> Outcome:
        """Post the organisation-wide ranking to the FinOps channel, once per week."""
        week = week or digest_week(self.clock())
        channel = self.organisation.finops_channel
        if not channel:
            return Outcome(store.ORGANISATION, week, "no_channel",
                           detail="no finops_channel in the organisation file")

        def render() -> Message:
            self._check_ready(week)
            org = self.org_digest(week, fresh=force)
            return Message(text=escape(org_headline(org)), blocks=lambda _: org_digest_blocks(org))

        return self._post(store.ORGANISATION, week, channel, render, force=force)

    def _check_ready(self, week: str) -> None:
        with new_session(self.engine) as s:
            problem = ready_to_post(load_ledger(session=s, week=week), week, self.clock())
        if problem:
            raise WeekNotReady(problem)

    def org_digest(self, week: str, *, fresh: bool = False) -> OrgDigest:
        with new_session(self.engine) as s:
            ledger = load_week(session=s, week=week)
        return build_org_digest(week, self.digests(week, fresh=fresh),
                                slack_channel=self.organisation.finops_channel,
                                clusters=list(ledger.clusters.values()))

    def _post(self, team: str, week: str, channel: str,
              render: Callable[[], Message], *, force: bool) -> Outcome:
        now = self.clock()
        with new_session(self.engine) as s:
            before = store.digest_row(session=s, team=team, week=week)
            unsure = before is not None and (before.status == "posting" or (
                before.error or "").startswith(UNKNOWN))
            claim = store.claim_digest(session=s, team=team, week=week, channel=channel,
                                       now=now, force=force)
            s.commit()
        if not claim.claimed:
            detail = (f"already posted (ts {claim.message_ts}); --force reposts"
                      if claim.status == "posted" else f"claimed elsewhere ({claim.status})")
            return Outcome(team, week, "skipped", claim.message_ts, detail)
        payload = {"team": team, "week": week}
        metadata: dict[str, Any] = {"event_type": DIGEST_EVENT, "event_payload": payload}
        if unsure and not force:  # the last attempt may have posted it: look before posting
            try:
                ts = self.poster.find_posted(channel=channel, event_type=DIGEST_EVENT,
                                             payload=payload)
            except SlackClientError as exc:
                # Not posted again blind: the one line says what to fix (a scope, a channel).
                why = scope_hint(exc) or (
                    f"Slack answered {exc.response.get('error')}"
                    if isinstance(exc, SlackApiError) else str(exc).splitlines()[0])
                self._failed(team, week, f"{UNKNOWN}the channel's history could not be read "
                                         f"to check: {why}")
                return Outcome(team, week, "failed", detail="outcome of the last post unknown "
                                                             f"and {channel}'s history "
                                                             f"unreadable: {why}")
            if ts is not None:
                with new_session(self.engine) as s:  # the id, learnt for the check
                    store.digest_posted(session=s, team=team, week=week,
                                        channel=self.poster.channel_id(channel),
                                        message_ts=ts, file_id=None, now=self.clock())
                    s.commit()
                return Outcome(team, week, "posted", ts,
                               "found in the channel: the last attempt had posted it")
        try:
            message = render()
            file_id = None
            if message.png is not None:
                file_id = self.poster.upload_png(
                    message.png, filename=f"ai-cost-{team}-{week}.png", title=f"{team} {week}",
                    alt_text=f"Energy per day for {team}, {week}")
            channel_id, ts = self.poster.post(channel=channel, text=message.text,
                                              blocks=message.blocks(file_id), metadata=metadata)
        except WeekNotReady as exc:
            self._failed(team, week, f"{type(exc).__name__}: {exc}")
            return Outcome(team, week, "failed", detail=str(exc).splitlines()[0])
        except (SlackClientError, OSError) as exc:  # OSError: timeouts, connections
            known = isinstance(exc, SlackApiError) and exc.response.status_code < 500
            self._failed(team, week, ("" if known else UNKNOWN) + f"{type(exc).__name__}: {exc}")
            return Outcome(team, week, "failed", detail=str(exc).splitlines()[0])
        except BaseException as exc:
            self._failed(team, week, f"{UNKNOWN}{type(exc).__name__}: {exc}")
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

