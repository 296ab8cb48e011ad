"""GPUs and nodes as collectors introduce them: each belongs to the cluster that registered it.

Registration is conflict-safe: two batches that introduce the same GPU or node at once both
insert with ON CONFLICT DO NOTHING and then read the row that won, on SQLite and PostgreSQL
alike. Rows are inserted in key order, so concurrent PostgreSQL transactions take their locks
in one order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from domain.samples import GpuSample
from storage.models import Gpu, Node

_CHUNK = 500


@dataclass(slots=True)
class GpuRefusal:
    """Why the sample at `index` cannot be stored against a GPU."""

    index: int
    reason: str
    other_cluster: bool = False


def insert_for(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _owners(session: Session, uuids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """GPU uuid -> (GPU id, id of the cluster it belongs to), for those registered."""
    found: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(uuids):
        for uuid, gid, cid in session.execute(
                select(Gpu.uuid, Gpu.id, Node.cluster_id).join(Node, Node.id == Gpu.node_id)
                .where(Gpu.uuid.in_(chunk))):
            found[uuid] = (int(gid), int(cid))
    return found


def register_nodes(*, session: Session, cluster_id: int,
                   hostnames: Sequence[str]) -> dict[str, int]:
    """Hostname -> node id in the cluster, registering the nodes it does not have yet."""
    wanted = sorted(set(hostnames))
    if not wanted:
        return {}
    session.execute(
        insert_for(session)(Node).on_conflict_do_nothing(index_elements=["cluster_id",
                                                                         "hostname"]),
        [{"cluster_id": cluster_id, "hostname": h} for h in wanted])
    ids: dict[str, int] = {}
    for chunk in _chunks(wanted):
        for hostname, nid in session.execute(select(Node.hostname, Node.id).where(
                Node.cluster_id == cluster_id, Node.hostname.in_(chunk))):
            ids[hostname] = int(nid)
    return ids


def resolve_gpus(*, session: Session, cluster_id: int, samples: Sequence[GpuSample],
                 ok: list[bool]) -> tuple[dict[str, int], list[GpuRefusal]]:
    """GPU uuid -> id for the samples still `ok`, registering new GPUs to `cluster_id`.

    A sample of a GPU registered to another cluster, or of a new GPU sent without its type
    and memory, is refused (and `ok` cleared): a collector writes only its own cluster's GPUs.
    """
    uuids = sorted({s.gpu_uuid for i, s in enumerate(samples) if ok[i]})
    owners = _owners(session, uuids)
    new: dict[str, GpuSample] = {}
    for i, s in enumerate(samples):
        if ok[i] and s.gpu_uuid not in owners and s.gpu_uuid not in new \
                and s.gpu_type and s.mem_total_mib:
            new[s.gpu_uuid] = s
    if new:
        nodes = register_nodes(session=session, cluster_id=cluster_id,
                               hostnames=[s.node for s in new.values()])
        session.execute(
            insert_for(session)(Gpu).on_conflict_do_nothing(index_elements=["uuid"]),
            [{"uuid": u, "node_id": nodes[new[u].node], "gpu_type": new[u].gpu_type,
              "mem_total_mib": int(new[u].mem_total_mib or 0)} for u in sorted(new)])
        owners.update(_owners(session, sorted(new)))  # ours, or the row a concurrent batch won
    ids: dict[str, int] = {}
    refused: list[GpuRefusal] = []
    for i, s in enumerate(samples):
        if not ok[i]:
            continue
        found = owners.get(s.gpu_uuid)
        if found is None:
            refused.append(GpuRefusal(i, f"unknown GPU {s.gpu_uuid}: send gpu_type and "
                                         f"mem_total_mib with its first sample"))
        elif found[1] != cluster_id:
            refused.append(GpuRefusal(i, f"GPU {s.gpu_uuid} belongs to another cluster: a "
                                         f"token writes only its own cluster's GPUs",
                                      other_cluster=True))
        else:
            ids[s.gpu_uuid] = found[0]
            continue
        ok[i] = False
    return ids, refused
