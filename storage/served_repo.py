"""Served counters in, served endpoints' judged weeks out (tables of migration 0012).

Rows go out as plain dicts: storage imports no analyzers module; analyzers/served.py reads
them into its own types.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from domain.samples import ServedSample
from domain.workloads import workload_name
from storage.gpus import insert_for
from storage.jobs import placeholder_jobs
from storage.models import Cluster, Gpu, Job, LedgerServed, Node, Sample, ServedCounter

MAX_SAMPLE_GAP_S = 300.0  # a GPU sample stands for at most this long when energy is split


def record_served(*, session: Session, cluster_id: int,
                  samples: Sequence[ServedSample]) -> tuple[int, set[int]]:
    """Store served counters, each (service, instance, second) once.

    Returns how many were new and the Unix seconds of the new ones (for stale weeks).
    """
    if not samples:
        return 0, set()
    jobs = placeholder_jobs(session=session, cluster_id=cluster_id,
                            external_ids=sorted({s.job for s in samples if s.job}))
    rows = [{"cluster_id": cluster_id, "service": s.service, "instance": s.instance,
             "ts": int(round(s.ts)), "server": s.server, "model": s.model, "task": s.task,
             "job_id": jobs.get(s.job) if s.job else None, "namespace": s.namespace,
             "pod": s.pod, "node": s.node, "gpu": s.gpu, "requests": s.requests,
             "generated_tokens": s.generated_tokens, "prompt_tokens": s.prompt_tokens}
            for s in samples]
    keys = [(s.service, s.instance, int(round(s.ts))) for s in samples]
    before = _stored(session, cluster_id, keys)
    stmt = insert_for(session)(ServedCounter).on_conflict_do_nothing(
        index_elements=["cluster_id", "service", "instance", "ts"])
    session.execute(stmt, rows)
    new = [k for k in dict.fromkeys(keys) if k not in before]
    return len(new), {k[2] for k in new}


def _stored(session: Session, cluster_id: int,
            keys: Sequence[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
    if not keys:
        return set()
    lo, hi = min(k[2] for k in keys), max(k[2] for k in keys)
    found = session.execute(
        select(ServedCounter.service, ServedCounter.instance, ServedCounter.ts)
        .where(col(ServedCounter.cluster_id) == cluster_id, col(ServedCounter.ts) >= lo,
               col(ServedCounter.ts) <= hi,
               col(ServedCounter.service).in_(sorted({k[0] for k in keys}))))
    return {(s, i, t) for s, i, t in found}


def load_counters(*, session: Session, start_ts: int, end_ts: int) -> list[dict[str, Any]]:
    """Counters between start and end (Unix s), each with the job ids it joins to.

    Joined by the job the collector named; else by pod and namespace (the pod's workload
    among the jobs of that namespace); else by node and GPU (the jobs whose samples were on
    them in the window).
    """
    rows = session.execute(
        select(ServedCounter, Cluster.name)
        .join(Cluster, col(Cluster.id) == ServedCounter.cluster_id)
        .where(col(ServedCounter.ts) >= start_ts, col(ServedCounter.ts) < end_ts)
        .order_by(col(ServedCounter.ts))).all()
    by_place: dict[tuple[Any, ...], frozenset[int]] = {}
    out = []
    for row, cluster in rows:
        if row.job_id is not None:
            jobs = frozenset({row.job_id})
        else:
            place = (row.cluster_id, row.namespace, row.pod, row.node, row.gpu)
            if place not in by_place:
                by_place[place] = _jobs_of_place(session, row, start_ts, end_ts)
            jobs = by_place[place]
        out.append({"cluster": cluster, "service": row.service, "instance": row.instance,
                    "ts": float(row.ts), "server": row.server, "requests": row.requests,
                    "generated_tokens": row.generated_tokens, "model": row.model,
                    "task": row.task, "job_ids": jobs})
    return out


def _jobs_of_place(session: Session, row: ServedCounter, start_ts: int,
                   end_ts: int) -> frozenset[int]:
    if row.pod and row.namespace:
        wanted = workload_name(row.pod)
        found = session.execute(
            select(Job.id, Job.name).where(col(Job.cluster_id) == row.cluster_id,
                                           col(Job.external_id).startswith(f"{row.namespace}/")))
        return frozenset(i for i, name in found if i and workload_name(name) == wanted)
    if row.node:
        query = (select(Sample.job_id).distinct()
                 .join(Gpu, col(Gpu.id) == Sample.gpu_id).join(Node, col(Node.id) == Gpu.node_id)
                 .where(col(Node.cluster_id) == row.cluster_id, col(Node.hostname) == row.node,
                        col(Sample.ts) >= start_ts, col(Sample.ts) < end_ts,
                        col(Sample.job_id).is_not(None)))
        if row.gpu:
            query = query.where(col(Gpu.uuid) == row.gpu)
        return frozenset(int(j) for (j,) in session.execute(query))
    return frozenset()


def gpu_energy(*, session: Session, job_ids: Iterable[int], start_ts: int,
               end_ts: int) -> dict[int, list[tuple[float, float]]]:
    """Per job, (ts, J) of each raw GPU sample in the window.

    J is power times the time since the GPU's sample before (at most MAX_SAMPLE_GAP_S).
    Empty once the samples were pruned.
    """
    ids = sorted(set(job_ids))
    out: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Sample.job_id, Sample.gpu_id, Sample.ts, Sample.power_dw)
            .where(col(Sample.job_id).in_(ids[start:start + 500]),
                   col(Sample.ts) >= start_ts - MAX_SAMPLE_GAP_S, col(Sample.ts) < end_ts)
            .order_by(col(Sample.gpu_id), col(Sample.ts)))
        last: dict[int, int] = {}
        for job, gpu, ts, power_dw in rows:
            prev = last.get(gpu)
            last[gpu] = ts
            if prev is None or ts < start_ts:
                continue
            out[int(job)].append((float(ts), power_dw / 10.0 * min(ts - prev, MAX_SAMPLE_GAP_S)))
    return dict(out)


def save_served(*, session: Session, week: str, served: Sequence[dict[str, Any]]) -> None:
    """Replace the week's served endpoints (each a ServedWeek as JSON)."""
    session.execute(delete(LedgerServed).where(col(LedgerServed.week) == week))
    if served:
        session.execute(insert(LedgerServed), [
            {"week": week, "team": s["team"], "cluster": s["cluster"], "service": s["service"],
             "requests": s["requests"], "energy_j": s["energy_j"],
             "wh_per_1k_requests": s["wh_per_1k_requests"], "data": s} for s in served])


def load_served(*, session: Session, weeks: Sequence[str],
                team: str | None = None) -> list[dict[str, Any]]:
    """Served endpoints of `weeks` as stored (ServedWeek JSON), by week, team and service."""
    query = select(LedgerServed.data).where(col(LedgerServed.week).in_(list(weeks)))
    if team is not None:
        query = query.where(col(LedgerServed.team) == team)
    rows = [dict(d) for (d,) in session.execute(query)]
    return sorted(rows, key=lambda d: (d["week"], d["team"], d["service"], d["cluster"]))
