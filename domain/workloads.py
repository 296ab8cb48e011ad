"""Workloads: the runs of one service or recurring job, followed across weeks.

The rule (docs/ratings.md): a workload is (cluster, team, name), the name without the parts
schedulers make up per run: Kubernetes replica-set and pod hashes, run ids and uuids, dates,
array indices.
"""

from __future__ import annotations

import re

from domain.mentions import mentions

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


def named_model(model: str | None, command: str | None, image: str | None) -> str | None:
    """The model a job names: its model field, else the first its command (or image) names.

    Read as the classifier reads it (domain.mentions): `vllm serve X`, `--model-path X`, a
    gguf file, KServe's `--model_id`; not a served alias.
    """
    for field, text in ((model, command or ""), (None, image or "")):
        found = mentions(field, text)
        if found:
            return found[0]
    return None


def workload_key(cluster: str, team: str, name: str) -> str:
    """The workload a run belongs to: cluster/team/name-without-random-parts."""
    return f"{cluster}/{team}/{workload_name(name)}"
