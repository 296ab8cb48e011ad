"""The one service every submit-time entry point calls: judge a request, record a warning.

Slurm's job_submit plugin and the Kubernetes admission webhook (through POST /api/v1/check
and the webhook route), and `ai-cost check --record`, all call `check_and_record`; `ai-cost
check` without --record calls `check` (a read never writes). Recorded warnings are matched to
the jobs later seen running by `match_outcomes`, which `refresh` calls (the only writer of
judged data): as_submitted, or resized (fewer GPUs, the suggested model, or bf16).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import ColumnElement, Engine, func, or_
from sqlmodel import Session, col, select

from analyzers.judges import Judge, default_judge_name, get_judge
from analyzers.submit import UNKNOWN_GPU, SubmitRequest, SubmitVerdict, check_request
from config.organisation import UNASSIGNED, Organisation
from domain.types import J_PER_KWH
from domain.weeks import week_of, week_start
from domain.workloads import workload_key, workload_name
from storage.db import session as new_session
from storage.ledger_repo import mark_stale
from storage.models import Cluster, Job, SubmitWarning, Usage

log = logging.getLogger(__name__)
T = TypeVar("T")
CHUNK = 200  # names or ids per query
MATCH_WINDOW = timedelta(hours=24)  # a job started this long after its warning is its run
DOCS_PAGE = "/docs/submit-time"


_loading = threading.Lock()


def weekly_judge() -> Judge:
    """The judge the weekly refresh uses (the classifier when shipped), loaded once.

    A check arriving while it loads waits for that load rather than starting another.
    """
    with _loading:
        return _load_judge()


@lru_cache(maxsize=1)
def _load_judge() -> Judge:
    return get_judge(default_judge_name())


def team_of(organisation: Organisation, req: SubmitRequest) -> str | None:
    """The team a request belongs to: its Slurm account or namespace, else its user's."""
    if req.team is None and req.user is None:
        return None
    team = organisation.team_of(user=req.user, account=req.team)
    return team if team != UNASSIGNED else req.team or UNASSIGNED


def check(organisation: Organisation, req: SubmitRequest) -> SubmitVerdict:
    """Judge `req` with the organisation's policy, rates, deny rules and link; no writes."""
    from bot.pipeline import rates_lookup

    rates = rates_lookup(organisation)(req.cluster or "", req.gpu_type or UNKNOWN_GPU)
    url = organisation.submit.public_url
    link = url.rstrip("/") + DOCS_PAGE if url else None
    return check_request(req, policy=organisation.policy, rates=rates,
                         deny_rules=frozenset(organisation.submit.deny), link=link,
                         judge=weekly_judge(), currency=organisation.currency)


def warm(organisation: Organisation) -> None:
    """Load the judge and check one request, so the first submission is answered in time.

    `ai-cost serve` runs it in a thread at start-up: loading the classifier takes seconds,
    more than the Slurm plugin's or the admission webhook's timeout.
    """
    started = time.perf_counter()
    try:
        check(organisation, SubmitRequest(job_name="warm-up", gpus=1, command="python -V"))
    except Exception:  # a judge that cannot load fails the first check with its reason
        log.exception("the submit-time judge could not be loaded")
        return
    log.info("submit-time judge ready in %.1f s", time.perf_counter() - started)


def check_and_record(engine: Engine | None, organisation: Organisation, req: SubmitRequest,
                     *, now: datetime) -> SubmitVerdict:
    """Judge `req`; a warned submission is recorded (who, what, kinds, suggestion, estimate)."""
    verdict = check(organisation, req)
    if verdict.warnings and engine is not None:
        with new_session(engine) as session:
            record_warning(session=session, organisation=organisation, req=req,
                           verdict=verdict, now=now)
            session.commit()
    return verdict


def record_warning(*, session: Session, organisation: Organisation, req: SubmitRequest,
                   verdict: SubmitVerdict, now: datetime) -> SubmitWarning:
    """Add one submit_warning row; the caller commits."""
    row = SubmitWarning(
        at=now, source=req.source, cluster=req.cluster, team=team_of(organisation, req),
        user=req.user, job_name=req.job_name, request=req.to_json(), kinds=list(verdict.kinds),
        warnings=list(verdict.warnings), suggestion=verdict.suggestion,
        est_saved_usd_week=verdict.est_saved_usd_week, denied=verdict.deny)
    session.add(row)
    return row


# --- outcomes -------------------------------------------------------------------------------

def _utc(moment: datetime) -> datetime:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _first_seen(session: Session, job_ids: Sequence[int]) -> dict[int, int]:
    """Unix second each job was first seen on a GPU, from its rolled-up usage.

    `refresh` rolls up before it matches, and roll-ups outlive the raw samples.
    """
    found: dict[int, int] = {}
    for part in _chunks(job_ids):
        rows = session.exec(
            select(Usage.job_id, func.min(Usage.first_ts)).where(col(Usage.job_id).in_(part))
            .group_by(col(Usage.job_id))).all()
        found.update({int(j): int(ts) for j, ts in rows if j is not None and ts is not None})
    return found


def _jobs_named(session: Session, names: Sequence[str]) -> dict[str, list[tuple[Job, str]]]:
    """Jobs called one of `names` or a replica of one, with their cluster, by lowercased name.

    A replica's name is its workload's plus random parts (domain.workloads.workload_name).
    """
    found: dict[str, list[tuple[Job, str]]] = {}
    wanted = {n.lower() for n in names}
    for part in _chunks(sorted(names)):  # chunks: SQLite bounds an expression's depth
        clauses: list[ColumnElement[bool]] = [col(Job.name).in_(part)]
        clauses += [col(Job.name).startswith(f"{name}-", autoescape=True) for name in part]
        for job, cluster in session.exec(
                select(Job, Cluster.name).join(Cluster, col(Cluster.id) == col(Job.cluster_id))
                .where(or_(*clauses))).all():
            for key in {job.name.lower(), workload_name(job.name)} & wanted:
                found.setdefault(key, []).append((job, cluster))
    return found


def resized(warning: SubmitWarning, job: Job) -> bool:
    """Whether the job that ran took the advice: fewer GPUs, the suggested model, or bf16."""
    asked = warning.request
    change = (warning.suggestion or {}).get("change", {})
    gpus_asked = int(asked.get("gpus") or 0)
    if job.gpus_requested is not None and 0 < job.gpus_requested < gpus_asked:
        return True
    model_to = (change.get("model") or {}).get("to")
    if model_to and job.model and model_to.lower().split("/")[-1] in job.model.lower():
        return True
    if "fp32" in warning.kinds and job.precision in ("bf16", "fp16", "fp8", "int8", "int4"):
        return True
    return False


@dataclass(slots=True)
class OutcomeResult:
    """How many open warnings `match_outcomes` settled, by outcome."""

    as_submitted: int = 0
    resized: int = 0


def match_outcomes(*, session: Session, now: datetime) -> OutcomeResult:
    """Mark open warnings whose job has since been seen running; the caller commits.

    A job matches a warning when it ran on the warning's cluster under its name (or as a
    replica of it), for the same user (the same team where either names no user), first seen
    from a minute before the warning to MATCH_WINDOW after it.
    Warnings older than the window stay open (never seen).
    """
    result = OutcomeResult()
    since = now - MATCH_WINDOW - timedelta(days=7)
    open_rows = session.exec(
        select(SubmitWarning).where(col(SubmitWarning.outcome).is_(None),
                                    col(SubmitWarning.at) >= since)).all()
    if not open_rows:
        return result
    jobs = _jobs_named(session, sorted({w.job_name for w in open_rows}))
    ids = sorted({j.id for found in jobs.values() for j, _ in found if j.id is not None})
    started = _first_seen(session, ids)
    taken: set[int] = set()
    for part in _chunks(ids):
        taken.update(j for j in session.exec(select(SubmitWarning.job_id).where(
            col(SubmitWarning.job_id).in_(part))).all() if j is not None)
    resized_weeks: set[str] = set()
    for warning in sorted(open_rows, key=lambda w: _utc(w.at)):
        at_s = _utc(warning.at).timestamp()
        candidates = []
        for job, cluster in jobs.get(warning.job_name.lower(), []):
            if job.id is None or job.id in taken:
                continue
            if warning.cluster and cluster != warning.cluster:
                continue
            if warning.user and job.user:
                if job.user != warning.user:
                    continue
            elif warning.team and job.team != warning.team:
                continue
            start = started.get(job.id)
            if start is None or not at_s - 60 <= start <= at_s + MATCH_WINDOW.total_seconds():
                continue
            candidates.append((start, job))
        if not candidates:
            continue
        _, job = min(candidates, key=lambda c: c[0])
        assert job.id is not None
        taken.add(job.id)
        warning.job_id = job.id
        warning.matched_at = now
        warning.outcome = "resized" if resized(warning, job) else "as_submitted"
        if warning.outcome == "resized":
            result.resized += 1
        else:
            result.as_submitted += 1
        session.add(warning)
        if warning.outcome == "resized":
            resized_weeks.add(week_of(_utc(warning.at)))
    # A resized submission is a realized saving of its week: judge that week again.
    mark_stale(session=session, weeks=sorted(resized_weeks))
    return result


def resized_at_submission(*, session: Session, week: str,
                          ) -> list[tuple[str, list[str], str, float, float, float]]:
    """Submissions of `week` resized after a warning, for the ledger's realized savings.

    Each as (workload of the job that ran, rules that fired, title, estimated $, J and kg
    CO2e a week); analyzers.ledger.realized_savings counts them.
    """
    start = week_start(week)
    rows = session.exec(
        select(SubmitWarning, Job, Cluster.name)
        .join(Job, col(Job.id) == col(SubmitWarning.job_id))
        .join(Cluster, col(Cluster.id) == col(Job.cluster_id))
        .where(col(SubmitWarning.outcome) == "resized", col(SubmitWarning.at) >= start,
               col(SubmitWarning.at) < start + timedelta(days=7))).all()
    out = []
    for warning, job, cluster in rows:
        found = warning.suggestion or {}
        title = f"{warning.job_name} resized at submission"
        if found.get("title"):
            title += f": {found['title']}"
        out.append((workload_key(cluster, job.team, job.name), list(warning.kinds), title,
                    warning.est_saved_usd_week,
                    float(found.get("saved_energy_kwh_week") or 0.0) * J_PER_KWH,
                    float(found.get("saved_co2e_kg_week") or 0.0)))
    return out


# --- the digest's summary -----------------------------------------------------------------

def submit_summaries(session: Session, week: str) -> dict[str, tuple[int, int]]:
    """Every team's week at submit time in one read: team -> (warnings, jobs resized).

    What the resized jobs saved is the ledger's (realized savings "resized at submission").
    """
    start = week_start(week)
    rows = session.exec(select(SubmitWarning).where(
        col(SubmitWarning.at) >= start, col(SubmitWarning.at) < start + timedelta(days=7))).all()
    out: dict[str, tuple[int, int]] = {}
    for w in rows:
        warned, resized = out.get(w.team or UNASSIGNED, (0, 0))
        out[w.team or UNASSIGNED] = (warned + 1, resized + (w.outcome == "resized"))
    return out
