"""Job descriptions from collectors: stored per cluster, their team from the organisation file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

from sqlalchemy import func, select
from sqlmodel import Session

from config.organisation import UNASSIGNED, Organisation
from domain.samples import JobInfo, SampleError
from storage.gpus import insert_for
from storage.models import Cluster, Job, Sample, Usage


def cluster_id(*, session: Session, name: str) -> int:
    """Id of the cluster called `name`; it must be in the organisation file."""
    found = session.execute(select(Cluster.id).where(Cluster.name == name)).scalar()
    if found is None:
        raise SampleError(f"unknown cluster {name!r}: add it to the organisation file")
    return int(found)


def job_team(job: JobInfo, organisation: Organisation, *, trust: bool) -> str:
    """The team a job belongs to: from its account (Slurm account, namespace) or user.

    The team a collector names is taken only from a cluster the organisation file trusts
    (`trust_collector_team`), and only when the file knows that team.
    """
    if trust and job.team and organisation.team(job.team) is not None:
        return job.team
    return organisation.team_of(user=job.user, account=job.account)


def _trusts(organisation: Organisation, cluster: str) -> bool:
    return any(c.trust_collector_team for c in organisation.clusters if c.name == cluster)


def upsert_jobs(*, session: Session, cluster: str, jobs: Sequence[JobInfo],
                organisation: Organisation) -> dict[str, int]:
    """Create or update job descriptions; returns external id -> job id.

    A later description fills in what an earlier one lacked, never blanks it out (an agent
    that only knows the job id must not wipe what sacct recorded). A job id that comes back
    with another team or user once it has usage (a recycled Slurm id, a reused pod name) is
    a new incarnation of the job: its past keeps its owner.
    """
    cid = cluster_id(session=session, name=cluster)
    trust = _trusts(organisation, cluster)
    jobs = _one_per_id(jobs)
    current = _current_jobs(session, cid, [j.external_id for j in jobs])
    reborn = _reused(session, current, jobs, organisation, trust)
    rows = []
    for job in jobs:
        stored = current.get(job.external_id)
        incarnation = stored[1] if stored else 0
        if job.external_id in reborn:
            incarnation += 1
        rows.append({
            "cluster_id": cid, "external_id": job.external_id, "incarnation": incarnation,
            "team": job_team(job, organisation, trust=trust), "user": job.user,
            "name": job.name, "command": job.command, "image": job.image, "model": job.model,
            "task": job.task, "kind": job.kind, "precision": job.precision,
            "batch_size": job.batch_size, "gpus_requested": job.gpus_requested,
            "recurrence": job.recurrence,
        })
    if rows:
        stmt = insert_for(session)(Job)
        updated = {}
        for k in rows[0]:
            if k in ("cluster_id", "external_id", "incarnation"):
                continue
            incoming = stmt.excluded[k]
            if k in ("name", "command", "team"):
                incoming = func.nullif(incoming, UNASSIGNED if k == "team" else "")
            updated[k] = func.coalesce(incoming, Job.__table__.c[k])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["cluster_id", "external_id", "incarnation"], set_=updated),
            rows,
        )
    return job_ids(session=session, cluster_id=cid, external_ids=[j.external_id for j in jobs])


def _one_per_id(jobs: Sequence[JobInfo]) -> list[JobInfo]:
    """One description per external id, in id order (a later one fills in an earlier).

    The order is one lock order for concurrent batches; PostgreSQL's upsert takes one row
    per key.
    """
    merged: dict[str, JobInfo] = {}
    for job in jobs:
        earlier = merged.get(job.external_id)
        if earlier is not None:
            job = replace(earlier, **{k: v for k, v in asdict(job).items() if v not in (None, "")})
        merged[job.external_id] = job
    return [merged[k] for k in sorted(merged)]


def _current_jobs(session: Session, cid: int,
                  external_ids: Sequence[str]) -> dict[str, tuple[int, int, str, str | None]]:
    """Per external id, its newest incarnation: (job id, incarnation, team, user)."""
    out: dict[str, tuple[int, int, str, str | None]] = {}
    wanted = sorted(set(external_ids))
    for start in range(0, len(wanted), 500):
        for ext, jid, incarnation, team, user in session.execute(
                select(Job.external_id, Job.id, Job.incarnation, Job.team, Job.user)
                .where(Job.cluster_id == cid, Job.external_id.in_(wanted[start:start + 500]))
                .order_by(Job.incarnation)):
            out[ext] = (jid, incarnation, team, user)
    return out


def _reused(session: Session, current: dict[str, tuple[int, int, str, str | None]],
            jobs: Sequence[JobInfo], organisation: Organisation, trust: bool) -> set[str]:
    """External ids whose new description names another owner than their used job row."""
    changed = {}
    for job in jobs:
        stored = current.get(job.external_id)
        if stored is None:
            continue
        _, _, team, user = stored
        new_team = job_team(job, organisation, trust=trust)
        other_user = job.user is not None and user is not None and job.user != user
        other_team = UNASSIGNED not in (new_team, team) and new_team != team
        if other_user or other_team:
            changed[stored[0]] = job.external_id
    if not changed:
        return set()
    used = {jid for (jid,) in session.execute(
        select(Usage.job_id).where(Usage.job_id.in_(list(changed))).distinct())}
    used |= {jid for (jid,) in session.execute(
        select(Sample.job_id).where(Sample.job_id.in_(list(changed))).distinct())}
    return {changed[jid] for jid in used}


def job_ids(*, session: Session, cluster_id: int, external_ids: Sequence[str]) -> dict[str, int]:
    """External id -> id of its newest incarnation, for those stored."""
    return {ext: row[0] for ext, row in _current_jobs(session, cluster_id, external_ids).items()}


def placeholder_jobs(*, session: Session, cluster_id: int,
                     external_ids: Sequence[str]) -> dict[str, int]:
    """External id -> job id, creating an "unassigned" row for ids not described yet."""
    found = job_ids(session=session, cluster_id=cluster_id, external_ids=external_ids)
    missing = sorted(set(external_ids) - set(found))
    if missing:
        session.execute(
            insert_for(session)(Job).on_conflict_do_nothing(
                index_elements=["cluster_id", "external_id", "incarnation"]),
            [{"cluster_id": cluster_id, "external_id": e, "team": UNASSIGNED, "name": e,
              "command": ""} for e in missing])
        found.update(job_ids(session=session, cluster_id=cluster_id, external_ids=missing))
    return found
