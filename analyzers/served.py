"""Energy labels of served endpoints: Wh per 1,000 requests measured in production.

Pure functions: `refresh` (bot/pipeline.py) hands over the week's counters, runs and GPU
energy; `judge_served` returns one `ServedWeek` per service, which storage keeps in the ledger
and every surface reads. Thresholds are in docs/served.md.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from analyzers.catalog import score_table
from analyzers.ratings import ModelRow, rate_models
from analyzers.rules import read_params_b
from domain.types import JobRecord, RunWeek
from domain.workloads import workload_key

J_PER_WH = 3600.0
IDLE_SHARE_NOTE = 0.5  # over half the energy with no request completing: say so
WORSE_AFTER_DEPLOY_PCT = 10.0  # Wh per 1,000 requests up this much after a deploy: flagged
HISTORY_WEEKS = 4
BENCHMARK_NOTE = ("stars on the AI Energy Score scale of the task; that benchmark runs on one "
                  "reference GPU (H100) with its own prompts, production differs")
# Size classes of text generation in the AI Energy Score tables (docs/ratings.md).
CLASS_EDGES_B = (("A", 20.0), ("B", 66.0))


@dataclass(frozen=True, slots=True)
class CounterPoint:
    """A stored counter reading of one instance of a service, with the jobs it joins to."""

    cluster: str
    service: str
    instance: str
    ts: float
    server: str
    requests: float
    generated_tokens: float | None = None
    model: str | None = None
    task: str | None = None
    job_ids: frozenset[int] = frozenset()


@dataclass(slots=True)
class ServedWeek:
    """A served endpoint's week, as the ledger keeps it. Energy in J, per-request in Wh."""

    week: str
    cluster: str
    team: str
    service: str
    server: str
    models: list[str]
    task: str | None
    size_class: str | None
    requests: float
    generated_tokens: float | None
    energy_j: float
    gpu_type: str
    gpus: int
    wh_per_1k_requests: float | None
    wh_per_1k_tokens: float | None
    idle_share: float | None
    stars: int | None
    stars_note: str
    images: list[str] = field(default_factory=list)
    run_keys: list[str] = field(default_factory=list)
    workload: str = ""
    trend: list[tuple[str, float | None]] = field(default_factory=list)  # earlier weeks
    change_pct: float | None = None
    deploy: str | None = None  # what changed since last week, when something did
    worse_after_deploy: bool = False
    swap: dict[str, Any] | None = None
    advice: str | None = None
    coverage: float = 1.0  # share of the runs' GPU energy inside the counters' intervals

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServedWeek:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["trend"] = [tuple(t) for t in known.get("trend", [])]
        return cls(**known)


def increments(points: Iterable[tuple[float, float]]) -> list[tuple[float, float, float]]:
    """(ts, counter) points to (from, to, increase) intervals; a drop is a restart.

    After a restart the server counts from 0, so the increase is the new value itself.
    """
    out: list[tuple[float, float, float]] = []
    last: tuple[float, float] | None = None
    for ts, value in sorted(points):
        if last is not None:
            out.append((last[0], ts, value - last[1] if value >= last[1] else value))
        last = (ts, value)
    return out


def _merged(spans: Iterable[tuple[float, float]]) -> tuple[list[float], list[float]]:
    starts: list[float] = []
    ends: list[float] = []
    for a, b in sorted(spans):
        if starts and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _inside(ts: float, spans: tuple[list[float], list[float]]) -> bool:
    """Whether `ts` lies in one of the merged (from, to] spans."""
    starts, ends = spans
    i = bisect.bisect_left(starts, ts) - 1
    return i >= 0 and starts[i] < ts <= ends[i]


def energy_split(intervals: Sequence[tuple[float, float, float]],
                 energy: Iterable[tuple[float, float]]) -> tuple[float, float, float]:
    """GPU energy (J) in all, inside the counters' intervals, and inside those with no request.

    `energy` is (ts, J since the GPU's previous sample) of the service's GPUs.
    """
    covered = _merged((a, b) for a, b, _ in intervals)
    busy = _merged((a, b) for a, b, n in intervals if n > 0)
    total = inside = idle = 0.0
    for ts, joules in energy:
        total += joules
        if not _inside(ts, covered):
            continue
        inside += joules
        if not _inside(ts, busy):
            idle += joules
    return total, inside, idle


def size_class(model: str | None) -> str | None:
    """The text-generation size class of a model (A up to 20B, B up to 66B, C above)."""
    if not model:
        return None
    params = read_params_b(JobRecord(job_id=model, gpu_type="", gpus=0, duration_s=0.0,
                                     gpu_util_mean=0.0, gpu_util_max=0.0,
                                     gpu_mem_used_gib_max=0.0, gpu_mem_total_gib=0.0,
                                     model=model))
    if params is None:
        return None
    return next((c for c, edge in CLASS_EDGES_B if params <= edge), "C")


def rate(service: str, task: str | None, size: str | None,
         wh_per_1k: float | None) -> tuple[int | None, str]:
    """Stars of a service on its task's published scale, and the note that goes with them."""
    if wh_per_1k is None:
        return None, "not rated: no request completed"
    if task is None:
        return None, ("not rated: the task is unknown (declare it on the job, or as the task "
                      "of its served_counters in the organisation file)")
    reference = [ModelRow(model=r.model, task=r.task, energy_kwh_per_1000=r.energy_kwh_per_1000,
                          size_class=r.size_class) for r in score_table()]
    row = ModelRow(model=service, task=task, energy_kwh_per_1000=wh_per_1k / 1000.0,
                   size_class=size if task == "text_generation" else None)
    result = rate_models([row], reference)[0]
    if result["stars"] is None:
        return None, f"not rated: {result['refused']}"
    return int(result["stars"]), BENCHMARK_NOTE


def _advice(week: ServedWeek) -> str | None:
    if week.idle_share is not None and week.idle_share >= IDLE_SHARE_NOTE:
        return (f"{week.idle_share:.0%} of its GPU energy went by with no request completing: "
                f"too many replicas (or GPUs) for its traffic, not a bad model")
    if week.stars is not None and week.stars <= 2:
        return ("Busy, yet a high energy per request for its task: a smaller or distilled "
                "model would rate better")
    return None


@dataclass(frozen=True, slots=True)
class Swap:
    """An applied model swap of a workload: its suggestion, and the week it was made."""

    workload: str
    suggestion_id: int
    title: str
    week: str
    estimated_j_week: float


def judge_served(*, week: str, points: Sequence[CounterPoint], runs: Sequence[RunWeek],
                 energy_by_job: Mapping[int, Sequence[tuple[float, float]]],
                 tasks: Mapping[int, str], start_ts: float, end_ts: float,
                 history: Mapping[tuple[str, str], Sequence[ServedWeek]],
                 swaps: Sequence[Swap] = (),
                 swap_baselines: Mapping[tuple[str, str, str], ServedWeek] | None = None,
                 ) -> list[ServedWeek]:
    """Each served endpoint's week: requests, GPU energy, Wh per 1,000, idle share, stars.

    `points` are the counters from just before the week to its end; requests count the
    increases whose interval ends inside [start_ts, end_ts). `history` holds earlier weeks of
    each (cluster, service), newest first; `tasks` the judged task of each job.
    """
    by_job: dict[int, list[RunWeek]] = defaultdict(list)
    for run in runs:
        by_job[run.job_id].append(run)
    series: dict[tuple[str, str], dict[str, list[CounterPoint]]] = defaultdict(
        lambda: defaultdict(list))
    for p in points:
        series[(p.cluster, p.service)][p.instance].append(p)
    out = []
    for (cluster, service), instances in sorted(series.items()):
        week_runs = _joined(instances, by_job, cluster)
        if not week_runs:
            continue
        intervals, requests, tokens, generative = [], 0.0, 0.0, False
        for pts in instances.values():
            pts.sort(key=lambda p: p.ts)
            for a, b, n in increments((p.ts, p.requests) for p in pts):
                if start_ts <= b < end_ts:
                    intervals.append((a, b, n))
                    requests += n
            with_tokens = [(p.ts, p.generated_tokens) for p in pts
                           if p.generated_tokens is not None]
            if with_tokens:
                generative = True
                tokens += sum(n for _, b, n in increments(with_tokens) if start_ts <= b < end_ts)
        first = next(iter(instances.values()))[0]
        energy = [e for j in sorted({r.job_id for r in week_runs})
                  for e in energy_by_job.get(j, ())]
        total_j, inside_j, idle_j = energy_split(intervals, energy)
        # Only the energy of the stretch the counters cover: a server scraped since Wednesday
        # is charged Wednesday on. Without raw samples (pruned), the runs' whole week.
        coverage = inside_j / total_j if total_j > 0 else 1.0
        energy_j = sum(r.energy_j for r in week_runs) * coverage
        models = sorted({p.model for pts in instances.values() for p in pts if p.model})
        task = first.task or next((tasks[r.job_id] for r in week_runs if r.job_id in tasks
                                   and tasks[r.job_id] != "other"), None)
        size = size_class(models[0]) if models and task == "text_generation" else None
        wh_req = energy_j / J_PER_WH / (requests / 1000.0) if requests > 0 else None
        wh_tok = (energy_j / J_PER_WH / (tokens / 1000.0)
                  if generative and tokens > 0 else None)
        stars, note = rate(service, task, size, wh_req)
        biggest = max(week_runs, key=lambda r: r.energy_j)
        served = ServedWeek(
            week=week, cluster=cluster, team=biggest.team, service=service, server=first.server,
            models=models, task=task, size_class=size, requests=requests,
            generated_tokens=tokens if generative else None, energy_j=energy_j,
            gpu_type=biggest.gpu_type, gpus=sum(r.gpus for r in week_runs),
            wh_per_1k_requests=wh_req, wh_per_1k_tokens=wh_tok,
            idle_share=idle_j / inside_j if inside_j > 0 else None, stars=stars,
            stars_note=note, images=sorted({r.image for r in week_runs if r.image}),
            run_keys=sorted(r.run_key for r in week_runs),
            workload=workload_key(cluster, biggest.team, biggest.name), coverage=coverage)
        _compare(served, history.get((cluster, service), ()))
        served.swap = _swap(served, swaps, swap_baselines or {})
        served.advice = _advice(served)
        out.append(served)
    return out


def _joined(instances: Mapping[str, Sequence[CounterPoint]],
            by_job: Mapping[int, Sequence[RunWeek]], cluster: str) -> list[RunWeek]:
    jobs = {j for pts in instances.values() for p in pts for j in p.job_ids}
    return [r for j in sorted(jobs) for r in by_job.get(j, ()) if r.cluster == cluster]


def _compare(served: ServedWeek, earlier: Sequence[ServedWeek]) -> None:
    """Trend against earlier weeks, and the flag of a deploy that made things worse."""
    served.trend = [(w.week, w.wh_per_1k_requests) for w in earlier[:HISTORY_WEEKS]]
    if not earlier:
        return
    last = earlier[0]
    now, before = served.wh_per_1k_requests, last.wh_per_1k_requests
    if now is not None and before:
        served.change_pct = 100.0 * (now - before) / before
    changed = []
    if last.models and served.models and last.models != served.models:
        changed.append(f"model {', '.join(last.models)} -> {', '.join(served.models)}")
    if last.images and served.images and last.images != served.images:
        changed.append(f"image {', '.join(last.images)} -> {', '.join(served.images)}")
    if not changed and last.run_keys and not set(served.run_keys) & set(last.run_keys):
        changed.append("new run (redeployed)")
    served.deploy = "; ".join(changed) or None
    served.worse_after_deploy = bool(served.deploy and served.change_pct is not None
                                     and served.change_pct >= WORSE_AFTER_DEPLOY_PCT)


def _swap(served: ServedWeek, swaps: Sequence[Swap],
          baselines: Mapping[tuple[str, str, str], ServedWeek]) -> dict[str, Any] | None:
    """The measured saving of an applied model swap: Wh per 1,000 requests before and after."""
    for swap in swaps:
        if swap.workload != served.workload:
            continue
        before = baselines.get((swap.week, served.cluster, served.service))
        after = served.wh_per_1k_requests
        if before is None or before.wh_per_1k_requests is None or after is None:
            continue
        saved_wh = before.wh_per_1k_requests - after
        return {"suggestion_id": swap.suggestion_id, "title": swap.title,
                "suggested_week": swap.week,
                "before_wh_per_1k_requests": before.wh_per_1k_requests,
                "after_wh_per_1k_requests": after,
                "saved_pct": 100.0 * saved_wh / before.wh_per_1k_requests,
                "saved_kwh_week": saved_wh * served.requests / 1000.0 / 1000.0,
                "estimated_kwh_week": swap.estimated_j_week / 3.6e6}
    return None


def points_of(rows: Iterable[Mapping[str, Any]]) -> list[CounterPoint]:
    """Counter points from storage's rows (storage/served_repo.load_counters)."""
    return [CounterPoint(cluster=r["cluster"], service=r["service"], instance=r["instance"],
                         ts=r["ts"], server=r["server"], requests=r["requests"],
                         generated_tokens=r["generated_tokens"], model=r["model"],
                         task=r["task"], job_ids=frozenset(r["job_ids"])) for r in rows]


def history_of(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[ServedWeek]]:
    """Stored weeks per (cluster, service), newest first."""
    out: dict[tuple[str, str], list[ServedWeek]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r["week"], reverse=True):
        out[(r["cluster"], r["service"])].append(ServedWeek.from_json(r))
    return dict(out)
