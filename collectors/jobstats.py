"""Princeton jobstats' job summary, as its epilog stores it in Slurm's AdminComment.

`JS1:` then base64 of gzip'd JSON: {"gpus": n, "nodes": {node: {"gpu_utilization": {gpu: %},
"gpu_used_memory": {gpu: bytes}, "gpu_total_memory": {gpu: bytes}, ...}}, "total_time": s}.
Short jobs get `JS1:Short` (no summary).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class JobstatsGpus:
    """Per GPU of the job, over all its nodes: utilization (%), memory used and total (GiB)."""

    util_pct: list[float]
    used_gib: list[float]
    total_gib: list[float]


def jobstats_summary(admin_comment: str) -> dict[str, Any] | None:
    """The summary's JSON; None if absent or "Short"; ValueError if it cannot be read."""
    if not admin_comment.startswith("JS1:") or admin_comment in ("JS1:Short", "JS1:None"):
        return None
    try:
        summary = json.loads(gzip.decompress(base64.b64decode(admin_comment[4:])))
    except (binascii.Error, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"AdminComment holds an unreadable jobstats summary: {exc}") from exc
    return summary if isinstance(summary, dict) else None


def jobstats_gpus(admin_comment: str) -> JobstatsGpus | None:
    """The GPU figures of a summary; None without one (or without nodes)."""
    summary = jobstats_summary(admin_comment)
    if not summary or not isinstance(summary.get("nodes"), dict):
        return None
    nodes = [n for n in summary["nodes"].values() if isinstance(n, dict)]

    def each(key: str, scale: float = 1.0) -> list[float]:
        try:
            return [float(v) / scale for n in nodes for v in (n.get(key) or {}).values()]
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"jobstats summary: {key} is not per-GPU numbers") from exc

    return JobstatsGpus(util_pct=each("gpu_utilization"),
                        used_gib=each("gpu_used_memory", 2.0**30),
                        total_gib=each("gpu_total_memory", 2.0**30))
