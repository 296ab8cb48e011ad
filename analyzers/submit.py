"""Warnings at submit time: a job's request judged before it runs (pure: no database, no I/O).

A request has no telemetry, so it is judged as a busy job (nothing idle, nothing
overprovisioned by use) by the week's judge and policy: only what the request itself shows can
fire. The rules (`RULES`): oversized_model (a narrow task on a large model, read from the
names, command and image as the weekly judge reads them), notebook_gpus (an interactive job
holding more GPUs than the policy's `interactive_max_gpus`) and fp32 (fp32 asked for on a GPU
that runs bf16). The weekly cost difference assumes the requested GPUs are held for the time
limit, capped at a week (a week when no limit is given), drawing `ASSUMED_LOAD` of their board
power (docs/submit-time.md).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzers.catalog import alternative_for, gpu_spec
from analyzers.records import KINDS, PRECISIONS, TASKS, JobRecord, Verdict
from analyzers.rules import read_params_b
from analyzers.suggestions import SECONDS_PER_WEEK, suggest
from config.organisation import SUBMIT_RULES, PolicyConfig
from domain.types import Rates, Suggestion
from domain.workloads import named_model

RULES = SUBMIT_RULES
SOURCES = ("slurm", "kubernetes", "cli", "api")
ASSUMED_LOAD = 0.6  # share of board power a requested GPU is assumed to draw while held
UNKNOWN_GPU = "unknown GPU"
UNKNOWN_GPU_W = 400.0  # board power assumed for a GPU type the request does not name
UNKNOWN_GPU_MEM_GIB = 80.0
SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "InferenceService"})

Judge = Callable[[Iterable[JobRecord], PolicyConfig], list[Verdict]]


class SubmitInputError(ValueError):
    """A script, manifest or record that cannot be read; the message is the one-line reason."""


@dataclass(frozen=True)
class SubmitRequest:
    """What a submission asks for: the contract's input fields, telemetry absent."""

    job_name: str
    source: str = "api"  # slurm | kubernetes | cli | api
    user: str | None = None
    team: str | None = None  # Slurm account, or the namespace's team
    cluster: str | None = None
    command: str | None = None
    image: str | None = None
    model: str | None = None
    task: str | None = None
    gpus: int = 0
    gpu_type: str | None = None
    precision: str | None = None
    interactive: bool = False  # notebooks, srun --pty, salloc, Jupyter images
    time_limit_s: float | None = None
    kind: str | None = None  # sbatch, Pod, Job, Deployment, InferenceService, record
    replicas: int = 1
    workload: str | None = None  # the contract's kind: training, inference, interactive, batch

    def to_json(self) -> dict[str, Any]:
        """The request as a JSON object (the body of POST /api/v1/check)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SubmitVerdict:
    """What to tell the person submitting: the lines, the rules that fired, deny or not."""

    warnings: tuple[str, ...]  # one or two plain-text lines a person reads at submission
    kinds: tuple[str, ...]  # the rule names that fired (RULES)
    deny: bool  # only when the organisation opted into denying a fired rule
    suggestion: dict[str, Any] | None  # the contract's suggestion shape, the best one
    est_saved_usd_week: float
    task: str | None = None
    params_b: float | None = None
    suggestions: tuple[dict[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The answer of POST /api/v1/check and `ai-cost check --json` (without currency)."""
        return {"warnings": list(self.warnings), "deny": self.deny, "kinds": list(self.kinds),
                "suggestion": self.suggestion,
                "est_saved_usd_week": round(self.est_saved_usd_week, 2)}


NOTHING = SubmitVerdict(warnings=(), kinds=(), deny=False, suggestion=None,
                        est_saved_usd_week=0.0)


# --- judging ------------------------------------------------------------------------------

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
        alt = alternative_for(task)
        instead = (f"use {alt.model.split('/')[-1]} on 1 GPU" if alt
                   else "use a smaller task-specific model")
        return (f"{req.job_name} looks like {task.replace('_', ' ')} on {model} with {gpus}: "
                f"{instead}{saving}.")
    if kind == "notebook_gpus":
        keep = max(1, policy.interactive_max_gpus)
        return f"{req.job_name} is interactive and holds {gpus}: ask for {keep}{saving}."
    return (f"{req.job_name} asks for fp32 on {record.gpu_type}, which runs bf16 natively: "
            f"use bf16{saving}.")


# --- reading requests ---------------------------------------------------------------------

_PRECISION_WORDS = (
    (re.compile(r"--(?:fp32|float32|full[-_]precision)\b|(?:precision|dtype|torch_dtype)"
                r"[\s=:]+[\"']?(?:fp32|float32|32|32-true|torch\.float32)\b", re.I), "fp32"),
    (re.compile(r"--bf16\b|(?:precision|dtype|torch_dtype)[\s=:]+[\"']?(?:bf16|bfloat16|"
                r"bf16-mixed|torch\.bfloat16)\b", re.I), "bf16"),
    (re.compile(r"--fp16\b|(?:precision|dtype|torch_dtype)[\s=:]+[\"']?(?:fp16|float16|half|"
                r"16-mixed|torch\.float16)\b", re.I), "fp16"),
)
_INTERACTIVE = re.compile(r"\b(jupyter(?:lab)?|notebook|ipykernel|code-server|rstudio|"
                          r"marimo)\b", re.I)
_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def read_precision(text: str) -> str | None:
    """The precision a command or its environment asks for, when it names one."""
    for pattern, precision in _PRECISION_WORDS:
        if pattern.search(text):
            return precision
    return None


def slurm_time_s(value: str) -> float | None:
    """A Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) in seconds."""
    value = value.strip()
    if value.lower() in ("infinite", "unlimited", ""):
        return None
    match = _TIME.match(value)
    if not match:
        raise SubmitInputError(f"unreadable time limit {value!r}: use minutes, HH:MM:SS or "
                               "D-HH:MM:SS")
    days, a, b, c = match.groups()
    parts = [int(x) for x in (a, b, c) if x is not None]
    if days is not None:  # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = (parts + [0, 0])[:3]
        return float(int(days) * 86400 + hours * 3600 + minutes * 60 + seconds)
    if len(parts) == 1:
        return parts[0] * 60.0
    if len(parts) == 2:
        return parts[0] * 60.0 + parts[1]
    return parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]


def _gpu_count(spec: str, option: str) -> tuple[int, str | None]:
    """'[type:]N' of --gpus and its kin; N without a type, or type alone means one."""
    head, _, tail = spec.rpartition(":")
    if tail.isdigit():
        return int(tail), head or None
    if not head and tail:
        return 1, tail
    raise SubmitInputError(f"unreadable {option}={spec!r}: use [type:]count")


def _gres_gpus(value: str) -> tuple[int, str | None]:
    """GPUs in a --gres list: gpu, gpu:N, gpu:type:N (other resources ignored)."""
    total, gpu_type = 0, None
    for item in value.split(","):
        parts = item.strip().split(":")
        if parts[0] != "gpu":
            continue
        rest = [p.split("(")[0] for p in parts[1:]]
        if not rest:
            total += 1
        elif rest[-1].isdigit():
            total += int(rest[-1])
            gpu_type = gpu_type or (rest[0] if len(rest) > 1 else None)
        else:
            total += 1
            gpu_type = gpu_type or rest[0]
    return total, gpu_type


def _options(args: list[str]) -> dict[str, str]:
    """The sbatch options as {long name: value}; flags without a value map to ''."""
    short = {"-J": "job-name", "-A": "account", "-t": "time", "-N": "nodes", "-G": "gpus",
             "-M": "clusters", "-p": "partition", "-n": "ntasks", "-C": "constraint"}
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("-"):
                value, i = args[i + 1], i + 1
            out[name] = value
        elif arg[:2] in short:
            value = arg[2:].lstrip("=")
            if not value and i + 1 < len(args):
                value, i = args[i + 1], i + 1
            out[short[arg[:2]]] = value
        i += 1
    return out


def parse_sbatch(text: str, **defaults: Any) -> SubmitRequest:
    """An sbatch script's request: #SBATCH options (until the first command) and its commands.

    Reads -J/--job-name, -A/--account (the team), -M/--clusters, -t/--time,
    --gres=gpu[:type]:N, --gpus/-G, --gpus-per-node x --nodes, --gpus-per-task x --ntasks
    and the command lines. `defaults` fill what the script does not say (source, user,
    cluster, job_name...); options given on the sbatch command line can be passed as
    `args=[...]` and win over the script's, as in Slurm.
    """
    if "\x00" in text:
        raise SubmitInputError("not an sbatch script: it holds binary data")
    directives: list[str] = []
    commands: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not commands and stripped.startswith("#SBATCH"):
            try:
                directives += shlex.split(stripped[len("#SBATCH"):], comments=True)
            except ValueError as exc:
                raise SubmitInputError(f"line {number}: unreadable #SBATCH line: {exc}") from exc
        elif stripped and not stripped.startswith("#"):
            commands.append(stripped)
    extra = defaults.pop("args", None) or []
    opts = _options(directives)
    opts.update(_options(list(extra)))
    gpus, gpu_type = 0, None
    if "gres" in opts:
        gpus, gpu_type = _gres_gpus(opts["gres"])
    if "gpus" in opts:
        gpus, gpu_type = _gpu_count(opts["gpus"], "--gpus")
    per_node = opts.get("gpus-per-node")
    if per_node:
        count, gpu_type = _gpu_count(per_node, "--gpus-per-node")
        gpus = count * _int(opts.get("nodes", "1").split("-")[0], "--nodes")
    per_task = opts.get("gpus-per-task")
    if per_task:
        count, gpu_type = _gpu_count(per_task, "--gpus-per-task")
        gpus = count * _int(opts.get("ntasks", "1"), "--ntasks")
    if gpus and "gres" in opts and gpu_type is None:
        gpu_type = _gres_gpus(opts["gres"])[1]
    command = " ; ".join(commands)[:4000]
    time_limit = slurm_time_s(opts["time"]) if opts.get("time") else None
    fields: dict[str, Any] = {"source": "slurm", "kind": "sbatch"}
    fields.update({k: v for k, v in defaults.items() if v is not None})
    name = opts.get("job-name") or fields.pop("job_name", None) or "sbatch"
    fields.pop("job_name", None)
    found = {
        "job_name": name, "team": opts.get("account") or fields.get("team"),
        "cluster": opts.get("clusters") or fields.get("cluster"),
        "command": command or fields.get("command"), "gpus": gpus,
        "gpu_type": gpu_type or fields.get("gpu_type"),
        "precision": read_precision(command) or fields.get("precision"),
        "interactive": bool(_INTERACTIVE.search(command)) or bool(fields.get("interactive")),
        "time_limit_s": time_limit if time_limit is not None else fields.get("time_limit_s"),
    }
    return _request({**fields, **found})


def _int(value: str, option: str) -> int:
    if not value.strip().isdigit():
        raise SubmitInputError(f"unreadable {option}={value!r}: use a whole number")
    return int(value)


def _request(fields: Mapping[str, Any]) -> SubmitRequest:
    known = {f.name for f in dataclasses.fields(SubmitRequest)}
    return SubmitRequest(**{k: v for k, v in fields.items() if k in known})


# Kubernetes --------------------------------------------------------------------------------

_GPU_PRODUCT_LABELS = ("nvidia.com/gpu.product", "cloud.google.com/gke-accelerator",
                       "accelerator", "gpu-type")
_MODEL_ENV = ("MODEL", "MODEL_ID", "MODEL_NAME", "HF_MODEL_ID", "MODEL_PATH", "LLM_MODEL")
_WORKLOADS = {"Pod", "Job", "CronJob", "Deployment", "StatefulSet", "ReplicaSet",
              "DaemonSet", "InferenceService", "Notebook"}


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SubmitInputError(f"{where} must be a mapping")
    return value


def _gpu_limit(container: Mapping[str, Any], where: str) -> int:
    resources = _map(container.get("resources"), f"{where}.resources")
    for part in ("limits", "requests"):
        value = _map(resources.get(part), f"{where}.resources.{part}").get("nvidia.com/gpu")
        if value is not None:
            try:
                return int(str(value))
            except ValueError:
                raise SubmitInputError(f"{where}: nvidia.com/gpu must be a whole number, "
                                       f"got {value!r}") from None
    return 0


def _pod_spec(doc: Mapping[str, Any], kind: str) -> tuple[Mapping[str, Any], int, float | None]:
    """The pod spec of a workload, its replicas and its deadline in seconds."""
    spec = _map(doc.get("spec"), "spec")
    if kind == "Pod":
        return spec, 1, _seconds(spec.get("activeDeadlineSeconds"))
    if kind == "CronJob":
        job = _map(_map(spec.get("jobTemplate"), "spec.jobTemplate").get("spec"),
                   "spec.jobTemplate.spec")
        template = _map(job.get("template"), "spec.jobTemplate.spec.template")
        return (_map(template.get("spec"), "template.spec"), 1,
                _seconds(job.get("activeDeadlineSeconds")))
    template = _map(spec.get("template"), "spec.template")
    replicas = spec.get("replicas", spec.get("parallelism", 1))
    replicas = replicas if isinstance(replicas, int) and replicas > 0 else 1
    return (_map(template.get("spec"), "spec.template.spec"), replicas,
            _seconds(spec.get("activeDeadlineSeconds")))


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _container_words(container: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    words = [str(x) for key in ("command", "args") for x in (container.get(key) or [])
             if isinstance(x, str | int | float)]
    env = {str(e.get("name")): str(e.get("value")) for e in container.get("env") or []
           if isinstance(e, Mapping) and e.get("value") is not None}
    return " ".join(words), env


def _from_containers(containers: Sequence[Any], where: str) -> dict[str, Any]:
    gpus, image, commands, model, precision = 0, None, [], None, None
    for i, container in enumerate(containers):
        container = _map(container, f"{where}[{i}]")
        count = _gpu_limit(container, f"{where}[{i}]")
        words, env = _container_words(container)
        if count and image is None:
            image = container.get("image") if isinstance(container.get("image"), str) else None
        gpus += count
        if words:
            commands.append(words)
        model = model or next((env[k] for k in _MODEL_ENV if env.get(k)), None)
        precision = precision or read_precision(words + " " + " ".join(
            f"{k}={v}" for k, v in env.items()))
        if image is None and isinstance(container.get("image"), str):
            image = container["image"]
    return {"gpus": gpus, "image": image, "command": " ; ".join(commands)[:4000] or None,
            "model": model, "precision": precision}


def _gpu_type(pod: Mapping[str, Any]) -> str | None:
    selector = _map(pod.get("nodeSelector"), "nodeSelector")
    return next((str(selector[k]) for k in _GPU_PRODUCT_LABELS if selector.get(k)), None)


def _inference_service(doc: Mapping[str, Any], meta: Mapping[str, Any]) -> dict[str, Any]:
    predictor = _map(_map(doc.get("spec"), "spec").get("predictor"), "spec.predictor")
    containers: list[Any] = list(predictor.get("containers") or [])
    model_uri = None
    for value in predictor.values():  # model: {...} or a framework: huggingface, pytorch
        if isinstance(value, Mapping) and ("resources" in value or "storageUri" in value):
            containers.append(value)
            model_uri = model_uri or value.get("storageUri")
    found = _from_containers(containers, "spec.predictor")
    if not found["model"] and isinstance(model_uri, str):
        found["model"] = re.sub(r"^(hf|gs|s3|pvc|https?)://", "", model_uri)
    replicas = predictor.get("minReplicas", 1)
    found["replicas"] = replicas if isinstance(replicas, int) and replicas > 0 else 1
    found["gpu_type"] = _gpu_type(predictor)
    return found


def parse_manifest(doc: Mapping[str, Any], **defaults: Any) -> list[SubmitRequest]:
    """The requests of one Kubernetes object (a workload kind, or a List of them).

    Pod, Job, CronJob, Deployment, StatefulSet, ReplicaSet, DaemonSet, Kubeflow Notebook and
    KServe InferenceService. GPUs are the containers' nvidia.com/gpu limits (else
    requests); the GPU type the node selector's product label; the model an env variable
    (MODEL, HF_MODEL_ID...) or KServe's storageUri. Objects of other kinds give no request.
    `defaults` fill the rest (user...).
    """
    if not isinstance(doc, Mapping):
        raise SubmitInputError("a Kubernetes manifest must be a mapping with kind and metadata")
    kind = doc.get("kind")
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List")):
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise SubmitInputError("items of a List must be a list")
        return [r for item in items for r in parse_manifest(item, **defaults)]
    if not isinstance(kind, str):
        raise SubmitInputError("not a Kubernetes object: no kind")
    if kind not in _WORKLOADS:
        return []
    meta = _map(doc.get("metadata"), "metadata")
    name = meta.get("name") or meta.get("generateName") or kind.lower()
    labels = _map(meta.get("labels"), "metadata.labels")
    annotations = _map(meta.get("annotations"), "metadata.annotations")
    if kind == "InferenceService":
        found = _inference_service(doc, meta)
        deadline = None
    else:
        pod, replicas, deadline = _pod_spec(doc, kind)
        containers = pod.get("containers") or []
        if not isinstance(containers, list):
            raise SubmitInputError("spec.containers must be a list")
        found = _from_containers(containers, "containers")
        found["replicas"] = replicas
        found["gpu_type"] = _gpu_type(pod)
    text = " ".join(str(x) for x in (found.get("image"), found.get("command")) if x)
    interactive = (kind == "Notebook" or bool(_INTERACTIVE.search(text))
                   or any(k.startswith("notebook") or k == "notebook-name" for k in labels))
    fields: dict[str, Any] = {"source": "kubernetes", "kind": kind}
    fields.update({k: v for k, v in defaults.items() if v is not None})
    fields.update({k: v for k, v in found.items() if v is not None})
    fields.update({
        "job_name": str(name),
        "team": meta.get("namespace") or fields.get("team"),
        "model": found.get("model") or annotations.get("ai-cost/model") or fields.get("model"),
        "task": annotations.get("ai-cost/task") or labels.get("ai-cost/task")
        or fields.get("task"),
        "interactive": interactive or bool(fields.get("interactive")),
        "time_limit_s": deadline if deadline is not None else fields.get("time_limit_s"),
    })
    return [_request(fields)]


# Job records ----------------------------------------------------------------------------

def parse_record(obj: Any, **defaults: Any) -> SubmitRequest:
    """A job record of the contract (contracts/job-records.md) as a request.

    Telemetry fields, when present, are ignored: a request is judged on what it asks for.
    """
    from analyzers.records import RecordError, _number, _text

    if not isinstance(obj, dict):
        raise SubmitInputError("a job record must be a JSON object")
    try:
        name = _text(obj, "name") or obj.get("job_id")
        if name is None or str(name) == "" or isinstance(name, bool):
            raise RecordError("name or job_id is required")
        gpus = obj.get("gpus", 0)
        if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
            raise RecordError(f"gpus must be an integer >= 0, got {gpus!r}")
        kind = _text(obj, "kind", choices=KINDS)
        fields: dict[str, Any] = {"source": "cli", "kind": "record"}
        fields.update({k: v for k, v in defaults.items() if v is not None})
        fields.update({
            "job_name": str(name), "team": _text(obj, "team") or fields.get("team"),
            "user": _text(obj, "user") or fields.get("user"),
            "cluster": _text(obj, "cluster") or fields.get("cluster"),
            "command": _text(obj, "command"), "image": _text(obj, "image"),
            "model": _text(obj, "model"), "task": _text(obj, "task", choices=TASKS),
            "gpus": gpus, "gpu_type": _text(obj, "gpu_type"),
            "precision": _text(obj, "precision", choices=PRECISIONS),
            "interactive": kind == "interactive", "workload": kind,
            "time_limit_s": _number(obj, "duration_s", lo=0, required=False),
        })
    except RecordError as exc:
        raise SubmitInputError(str(exc)) from exc
    return _request(fields)


def request_from_json(obj: Any) -> SubmitRequest:
    """A SubmitRequest from a JSON object of its fields (POST /api/v1/check).

    Unknown fields are refused, so a typo is not silently ignored.
    """
    if not isinstance(obj, dict):
        raise SubmitInputError("the body must be a JSON object of the request's fields")
    known = {f.name: f for f in dataclasses.fields(SubmitRequest)}
    unknown = sorted(set(obj) - set(known))
    if unknown:
        raise SubmitInputError(f"unknown field {unknown[0]!r}; fields: {', '.join(known)}")
    name = obj.get("job_name")
    if not isinstance(name, str) or not name.strip():
        raise SubmitInputError("job_name is required and must be a non-empty string")
    for key in ("gpus", "replicas"):
        value = obj.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise SubmitInputError(f"{key} must be an integer >= 0, got {value!r}")
    if obj.get("source", "api") not in SOURCES:
        raise SubmitInputError(f"source must be one of {', '.join(SOURCES)}")
    limit = obj.get("time_limit_s")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float)
                              or limit < 0 or limit != limit):
        raise SubmitInputError(f"time_limit_s must be a number >= 0, got {limit!r}")
    if not isinstance(obj.get("interactive", False), bool):
        raise SubmitInputError("interactive must be true or false")
    for key in ("user", "team", "cluster", "command", "image", "model", "task", "gpu_type",
                "precision", "kind", "workload"):
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise SubmitInputError(f"{key} must be a string or null, got {value!r}")
    for key, choices in (("task", TASKS), ("precision", PRECISIONS), ("workload", KINDS)):
        if obj.get(key) is not None and obj[key] not in choices:
            raise SubmitInputError(f"{key} must be one of {', '.join(choices)} or null")
    return SubmitRequest(**{k: v for k, v in obj.items() if v is not None or k not in
                            ("source", "gpus", "replicas", "interactive")})


def decode_json_request(body: bytes) -> SubmitRequest:
    """A request from the raw JSON body of POST /api/v1/check."""
    try:
        obj = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SubmitInputError(f"the body is not valid JSON: {exc}") from exc
    return request_from_json(obj)
