"""Judging a request: the week's judge and policy on a busy job, and the lines to print."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from analyzers.catalog import alternative_for, gpu_spec
from analyzers.records import KINDS, JobRecord, Verdict
from analyzers.rules import read_params_b
from analyzers.submit.request import NOTHING, SubmitRequest, SubmitVerdict
from analyzers.suggestions import SECONDS_PER_WEEK, suggest
from config.organisation import PolicyConfig
from domain.types import Rates, Suggestion
from domain.workloads import named_model

ASSUMED_LOAD = 0.6  # share of board power a requested GPU is assumed to draw while held
UNKNOWN_GPU = "unknown GPU"
UNKNOWN_GPU_W = 400.0  # board power assumed for a GPU type the request does not name
UNKNOWN_GPU_MEM_GIB = 80.0
SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "InferenceService"})

Judge = Callable[[Iterable[JobRecord], PolicyConfig], list[Verdict]]


def held_s(req: SubmitRequest) -> float:
    """Seconds in a week the request holds its GPUs: its time limit, at most a week."""
    limit = req.time_limit_s
    return SECONDS_PER_WEEK if limit is None or limit <= 0 else min(limit, SECONDS_PER_WEEK)


def _workload(req: SubmitRequest) -> str | None:
    if req.interactive:
        return "interactive"
    if req.workload in KINDS:
        return req.workload
    return "inference" if req.kind in SERVING_KINDS else None


def as_record(req: SubmitRequest, policy: PolicyConfig) -> JobRecord:
    """The request as a job record of a busy job: telemetry that fires no telemetry reason."""
    gpu_type = req.gpu_type or UNKNOWN_GPU
    spec = gpu_spec(gpu_type)
    mem = spec.mem_gib if spec else UNKNOWN_GPU_MEM_GIB
    board_w = spec.tdp_w if spec else UNKNOWN_GPU_W
    return JobRecord(
        job_id=req.job_name, gpu_type=gpu_type, gpus=max(1, req.gpus), duration_s=held_s(req),
        gpu_util_mean=policy.busy_util_pct, gpu_util_max=100.0,
        gpu_mem_used_gib_max=mem * policy.mem_headroom * 0.6, gpu_mem_total_gib=mem,
        team=req.team, user=req.user, name=req.job_name, command=req.command or "",
        image=req.image, model=req.model, task=req.task, kind=_workload(req),
        power_w_mean=board_w * ASSUMED_LOAD, precision=req.precision)


def _scaled(found: Suggestion, replicas: int) -> Suggestion:
    if replicas <= 1:
        return found
    return dataclasses.replace(
        found, saved_energy_j_week=found.saved_energy_j_week * replicas,
        saved_cost_usd_week=found.saved_cost_usd_week * replicas,
        saved_co2e_kg_week=found.saved_co2e_kg_week * replicas,
        saved_gpu_hours_week=found.saved_gpu_hours_week * replicas)


def _fewer_interactive_gpus(record: JobRecord, keep: int, rates: Rates) -> Suggestion:
    """An interactive job asking for `keep` GPUs instead of record.gpus, held as long."""
    from analyzers.accounting import J_PER_KWH, account

    freed = record.gpus - keep
    energy_j = record.energy_kwh_or_estimate() * J_PER_KWH
    spec = gpu_spec(record.gpu_type)
    idle_w = spec.idle_w if spec else 50.0
    before = account(gpu_s=record.gpus * record.duration_s, energy_j=energy_j, rates=rates)
    after = account(gpu_s=keep * record.duration_s,
                    energy_j=energy_j - freed * idle_w * record.duration_s, rates=rates)
    return Suggestion(
        kind="fewer_gpus",
        title=(f"Ask for {keep} GPU{'s' * (keep > 1)} for {record.name} instead of "
               f"{record.gpus}: an interactive session rarely keeps more busy"),
        change={"gpus": {"from": record.gpus, "to": keep}},
        saved_energy_j_week=max(0.0, before.energy_j - after.energy_j),
        saved_cost_usd_week=before.cost_usd - after.cost_usd,
        saved_co2e_kg_week=max(0.0, before.co2e_kg - after.co2e_kg), confidence=0.6,
        note="A notebook holds its GPUs while it waits for the person; the ones given back "
             "save their GPU-hours and idle draw.",
        saved_gpu_hours_week=max(0.0, before.gpu_hours - after.gpu_hours))


def _money(usd: float, currency: str) -> str:
    return f"${usd:,.0f}" if currency == "USD" else f"{usd:,.0f} {currency}"


def check_request(req: SubmitRequest, *, policy: PolicyConfig, rates: Rates,
                  deny_rules: frozenset[str] | Sequence[str] = frozenset(),
                  link: str | None = None, judge: Judge | None = None,
                  currency: str = "USD") -> SubmitVerdict:
    """Judge a request with the week's judge and policy; warnings only on evidence.

    `rates` price the request's GPU type where it runs; `judge` defaults to the judge the
    weekly refresh uses (the classifier when shipped). Savings are per week, in `currency`.
    """
    if req.gpus <= 0:
        return NOTHING
    if judge is None:
        from analyzers.judges import default_judge_name, get_judge
        judge = get_judge(default_judge_name())
    record = as_record(req, policy)
    verdict = judge([record], policy)[0]
    found: list[tuple[str, Suggestion | None]] = []
    params_b = read_params_b(record)
    if "oversized_model" in verdict.reasons:
        best = suggest(record, Verdict(record.job_id, verdict.task, True, verdict.score,
                                       ["oversized_model"]),
                       rates=rates, policy=policy, measured_only=True)
        found.append(("oversized_model", best[0] if best else None))
    if req.interactive and req.gpus > policy.interactive_max_gpus:
        found.append(("notebook_gpus",
                      _fewer_interactive_gpus(record, max(1, policy.interactive_max_gpus),
                                              rates)))
    if "precision" in verdict.reasons:
        best = suggest(record, Verdict(record.job_id, verdict.task, False, 1.0, ["precision"]),
                       rates=rates, policy=policy, measured_only=True)
        found.append(("fp32", best[0] if best else None))
    if not found:
        return dataclasses.replace(NOTHING, task=verdict.task, params_b=params_b)
    scaled = [(kind, _scaled(s, req.replicas) if s else None) for kind, s in found]
    ranked = sorted(scaled, key=lambda ks: -(ks[1].saved_cost_usd_week if ks[1] else 0.0))
    kinds = tuple(kind for kind, _ in ranked)
    best_suggestion = next((s for _, s in ranked if s is not None), None)
    saved = best_suggestion.saved_cost_usd_week if best_suggestion else 0.0
    phrases = [_phrase(kind, s, req, record, verdict.task, params_b, policy, currency)
               for kind, s in ranked]
    lines = [f"ai-cost: {phrases[0]}"]
    rest = " ".join(phrases[1:])
    tail = f"More: {link}" if link else ""
    second = " ".join(p for p in (rest, tail) if p)
    if second:
        lines.append(second)
    return SubmitVerdict(
        warnings=tuple(lines), kinds=kinds, deny=bool(set(kinds) & set(deny_rules)),
        suggestion=best_suggestion.to_json() if best_suggestion else None,
        est_saved_usd_week=saved, task=verdict.task, params_b=params_b,
        suggestions=tuple(s.to_json() for _, s in ranked if s is not None))


def _phrase(kind: str, found: Suggestion | None, req: SubmitRequest, record: JobRecord,
            task: str, params_b: float | None, policy: PolicyConfig, currency: str) -> str:
    """One finding in a sentence: what the job looks like, what instead, and the saving."""
    saving = (f" and save about {_money(found.saved_cost_usd_week, currency)}/week (est.)"
              if found is not None and found.saved_cost_usd_week >= 0.5 else "")
    gpus = f"{req.gpus} GPU{'s' * (req.gpus > 1)}"
    if req.replicas > 1:
        gpus = f"{req.replicas} replicas of {gpus}"
    if kind == "oversized_model":
        named = named_model(req.model, req.command, req.image)
        size = f"a {params_b:.0f}B model" if params_b is not None else "a large model"
        model = f"{size} ({named.rstrip('/').split('/')[-1]})" if named else size
        alt = alternative_for(task, req.job_name, req.command, named, req.task)
        instead = (f"use {alt.model.split('/')[-1]} on 1 GPU" if alt
                   else "use a smaller task-specific model")
        return (f"{req.job_name} looks like {task.replace('_', ' ')} on {model} with {gpus}: "
                f"{instead}{saving}.")
    if kind == "notebook_gpus":
        keep = max(1, policy.interactive_max_gpus)
        return f"{req.job_name} is interactive and holds {gpus}: ask for {keep}{saving}."
    return (f"{req.job_name} asks for fp32 on {record.gpu_type}, which runs bf16 natively: "
            f"use bf16{saving}.")
