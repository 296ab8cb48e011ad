"""Workloads: the runs of one service or recurring job, followed across weeks.

The rule (docs/ratings.md): a workload is (cluster, team, name), the name without the parts
schedulers make up per run: Kubernetes replica-set and pod hashes, run ids and uuids, dates,
array indices.
"""

from __future__ import annotations

import re

# Random parts schedulers add to names: pod hashes, run ids, dates, uuids, array indices.
_RANDOM_PARTS = (
    re.compile(r"[-_.][0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$"),
    re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}$"),
    re.compile(r"[-_.]?20\d\d-?[01]\d-?[0-3]\d(t?[0-2]\d[0-5]\d([0-5]\d)?z?)?"),
    re.compile(r"[-_.](?=[0-9a-f]*\d)[0-9a-f]{7,}(?=$|[-_.])"),
    re.compile(r"[-_.]\d+$"),
)


def workload_name(name: str) -> str:
    """A job's name without the random suffixes that differ from run to run."""
    text = name.strip().lower()
    changed = True
    while changed:
        changed = False
        for pattern in _RANDOM_PARTS:
            stripped = pattern.sub("", text)
            if stripped != text and stripped:
                text, changed = stripped, True
    return text


# How commands name their model: --model_name_or_path X, --model=X, --base-model X, model=X.
_MODEL_FLAG = re.compile(
    r"(?:--(?:model(?:[_-]name(?:[_-]or[_-]path)?|[_-]id)?|base[_-]model(?:[_-]id)?)"
    r"(?:\s+|=)|(?:^|[\s,;|])model=)([^\s,;|\"']+)")


def named_model(model: str | None, command: str | None, image: str | None) -> str | None:
    """The model a job names: its model field, else a model flag in its command or image."""
    if model:
        return model
    for text in (command or "", image or ""):
        match = _MODEL_FLAG.search(text)
        if match:
            return match.group(1)
    return None


def workload_key(cluster: str, team: str, name: str) -> str:
    """The workload a run belongs to: cluster/team/name-without-random-parts."""
    return f"{cluster}/{team}/{workload_name(name)}"
