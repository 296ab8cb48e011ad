"""Synthetic job records generated from the catalog, labelled by the policy with the true task."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from analyzers.classifier.catalog import CatalogModel, load_catalog, parse_catalog
from analyzers.classifier.naming import (
    DECLARED,
    STYLES,
    TASK_CUES,
    TEAMS,
    USERS,
    Style,
    Surface,
    mention,
    noisy,
)
from analyzers.classifier.styles import EXTRA_STYLES, run_id
from analyzers.policy import evaluate
from analyzers.records import NARROW_TASKS, JobRecord
from config.organisation import PolicyConfig

# Whole families and naming styles kept out of training, so held-out figures mean "unseen".
HOLDOUT_FAMILIES = frozenset({"gemma", "deberta", "e5", "yolos", "hubert", "blip2", "olmo",
                              "swin", "falcon", "pegasus"})
# Public models of 2024-2026 in no shipped catalog, of families the catalog does not have; kept
# with the benchmarks (not shipped), for the evaluation of models never seen.
UNSEEN_MODELS = Path(__file__).resolve().parents[2] / "bench" / "data" / "unseen_models.csv"
HOLDOUT_STYLES = frozenset({"airflow", "ray", "kserve", "skypilot", "mlflow"})
ALL_STYLES: dict[str, Style] = {**STYLES, **EXTRA_STYLES}
# Server flags that declare the task, as vLLM and others spell them, per task.
_TASK_FLAGS = {"sentence_similarity": ("embed", "embedding", "score"),
               "text_classification": ("classify",), "text_generation": ("generate",),
               "asr": ("transcription",)}

TASK_WEIGHTS = {
    "text_classification": 14, "token_classification": 8, "question_answering": 7,
    "sentence_similarity": 10, "summarization": 6, "translation": 6, "text_generation": 15,
    "asr": 7, "image_classification": 6, "object_detection": 6, "image_generation": 5,
    "image_captioning": 4, "other": 6,
}
_TEXT_TASKS = frozenset({"text_classification", "token_classification", "question_answering",
                         "sentence_similarity", "summarization", "translation"})
_VISION_TASKS = frozenset({"image_classification", "object_detection", "image_captioning"})
GPUS = (("NVIDIA H100 80GB HBM3", 79.6), ("NVIDIA A100-SXM4-80GB", 80.0),
        ("A100-SXM4-40GB", 40.0), ("NVIDIA A100-PCIE-40GB", 40.0), ("Tesla T4", 15.0),
        ("NVIDIA L4", 22.5), ("NVIDIA A10G", 22.5), ("NVIDIA L40S", 45.0),
        ("Tesla V100-SXM2-32GB", 32.0), ("NVIDIA H200", 141.0))
_SEPARATORS = re.compile(r"[-_.:\s]")
_KIND_BY_STYLE = {"vllm": "inference", "tgi": "inference", "ollama": "inference",
                  "kubernetes": "inference", "notebook": "interactive", "airflow": "batch",
                  "ray": "batch"}


@dataclass(slots=True)
class Example:
    """One labelled job: the record and the truth the policy was applied to."""

    record: JobRecord
    task: str
    params_b: float | None  # None when no model can be read from the job
    family: str | None
    style: str
    reasons: tuple[str, ...]
    hidden_params_b: float | None = None  # the size of a model the job uses but never names


@cache
def _models() -> tuple[CatalogModel, ...]:
    """The shipped catalog's models jobs are generated from: runners' aliases left out."""
    return tuple(m for m in load_catalog() if not m.runner_alias)


def _pick_model(rng: random.Random, task: str,
                catalog: tuple[CatalogModel, ...] | None = None) -> CatalogModel | None:
    catalog = catalog or _models()
    if task == "other":  # video, speech synthesis, segmentation, depth models; or no model
        pool = [m for m in catalog if m.tasks == ("other",)]
        return rng.choice(pool) if pool and rng.random() < 0.4 else None
    generalist_p = 0.35 if task in NARROW_TASKS else 0.3
    if task in _TEXT_TASKS and rng.random() < generalist_p:
        pool = [m for m in catalog if m.tasks[0] == "text_generation"]
    elif task in _VISION_TASKS and rng.random() < generalist_p:
        pool = [m for m in catalog if "image_captioning" in m.tasks and m.generalist]
    elif task == "asr" and rng.random() < 0.1:
        pool = [m for m in catalog if "asr" in m.tasks and m.generalist]
    else:
        pool = [m for m in catalog if task in m.tasks]
    return rng.choice(pool) if pool else None


def _telemetry(rng: random.Random, params_b: float | None) -> dict[str, float | int | str]:
    gpu_type, mem_total = rng.choice(GPUS)
    weights_gib = (params_b if params_b is not None else rng.uniform(0.1, 20.0)) * 2.0
    need = max(1, math.ceil(weights_gib * 1.15 / (0.9 * mem_total)))
    gpus = max(need, rng.choice((1, 1, 1, 1, 2, 2, 4, 8)))
    scenario = rng.random()
    if scenario < 0.12:
        util = rng.uniform(0.0, 7.0)
    elif scenario < 0.35:
        util = rng.uniform(3.0, 40.0)
    else:
        util = rng.uniform(25.0, 98.0)
    low_s = 900.0 if scenario < 0.12 else 120.0
    duration = math.exp(rng.uniform(math.log(low_s), math.log(72 * 3600)))
    used = weights_gib * 1.15 / gpus + rng.uniform(0.2, 0.5 * mem_total)
    return {
        "gpu_type": gpu_type, "gpus": gpus, "duration_s": round(duration, 1),
        "gpu_util_mean": round(util, 2),
        "gpu_util_max": round(min(100.0, util + rng.uniform(0, 40)), 2),
        "gpu_mem_used_gib_max": round(min(mem_total * 0.97, used), 2),
        "gpu_mem_total_gib": mem_total,
        "power_w_mean": round(60.0 + 3.5 * util * rng.uniform(0.8, 1.2), 1),
    }


def _norm(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def names_model(surface: Surface, model_field: str | None, said: str | None,
                model: CatalogModel) -> bool:
    """Whether a reader of the job's fields can tell which model it runs.

    Some styles keep only the last path segment of a mention (a notebook named after
    `/mnt/ckpt/<model>-ft/step_500` shows `step_500`): such a job does not name its model.
    """
    if model_field is not None:
        return True
    if said is None:
        return False
    text = _norm(" ".join(f for f in (surface.name, surface.command, surface.image) if f))
    segment = _norm(said.split("/")[-1])
    return _norm(said) in text or (segment in text and _norm(model.stem) in segment)


def make_example(rng: random.Random, index: int, policy: PolicyConfig,
                 catalog: tuple[CatalogModel, ...] | None = None) -> Example:
    """One random job in one random naming style, with its policy labels.

    `catalog`: the models jobs may name (default: the shipped catalog).
    """
    task = rng.choices(list(TASK_WEIGHTS), weights=list(TASK_WEIGHTS.values()))[0]
    model = _pick_model(rng, task, catalog)
    visible = model is not None and rng.random() < 0.88
    implied = model is not None and visible and model.tasks == (task,)
    if task == "text_generation" and visible:
        implied = True
    need_cue = not implied and task != "other"
    declared = rng.choice(DECLARED[task]) if rng.random() < (0.3 if need_cue else 0.12) else None
    show_cue = rng.random() < (0.85 if need_cue and declared is None else 0.4 if need_cue else 0.7)
    if need_cue and declared is None:
        show_cue = True
    if task == "other" and not show_cue:
        show_cue = rng.random() < 0.85
    cue = rng.choice(TASK_CUES[task]) if show_cue else None
    style = rng.choice(list(ALL_STYLES))
    render = ALL_STYLES[style] if style in HOLDOUT_STYLES else noisy(ALL_STYLES[style])
    said = mention(model, rng) if model is not None and visible else None
    model_field = None
    if said is not None and rng.random() < 0.3:
        model_field = rng.choice((said, model.model_id if model else said))
        if rng.random() < 0.5:
            said = None
    surface = render(rng, cue, said, task)
    if rng.random() < 0.15:  # a run, sweep or checkpoint id that looks like a size
        surface.name = f"{surface.name}-{run_id(rng)}"
    if declared is None and task in _TASK_FLAGS and rng.random() < 0.1:
        surface.command += f" --task {rng.choice(_TASK_FLAGS[task])}"
    kind = _KIND_BY_STYLE.get(style, rng.choice(("training", "training", "batch")))
    batch = rng.choice((1, 2, 4, 8, 16, 32, 64, None)) if kind == "inference" else None
    shown = model is not None and names_model(surface, model_field, said, model)
    # Labels are the policy applied to what the job shows: a model it never names has no size
    # anyone could read, so it is kept aside (hidden_params_b) for a slice metric, not the label.
    params_b = model.params_b if model is not None and shown else None
    hidden_b = model.params_b if model is not None and not shown else None
    raw = {
        "job_id": f"job-{index}", "team": rng.choice(TEAMS), "user": rng.choice(USERS),
        "name": surface.name, "command": surface.command, "image": surface.image,
        "model": model_field, "task": declared,
        "kind": kind if rng.random() < 0.7 else None,
        "precision": rng.choice(("fp32", "bf16", "fp16", "int8", None, None)),
        "batch_size": batch if rng.random() < 0.7 else None,
        **_telemetry(rng, model.params_b if model is not None else None),
    }
    record = JobRecord(**raw)  # type: ignore[arg-type]
    findings = evaluate(record, task=task, params_b=params_b, policy=policy)
    return Example(record, task, params_b, model.family if model else None, style,
                   findings.reasons, hidden_b)


def is_heldout(example: Example) -> bool:
    """Whether the job's family or naming style is kept out of training."""
    return example.style in HOLDOUT_STYLES or example.family in HOLDOUT_FAMILIES


def generate(n: int, *, seed: int, keep: Callable[[Example], bool],
             policy: PolicyConfig | None = None,
             catalog: tuple[CatalogModel, ...] | None = None) -> list[Example]:
    """`n` labelled jobs for which `keep` holds, reproducibly from `seed`."""
    rng = random.Random(seed)
    policy = policy or PolicyConfig()
    out: list[Example] = []
    index = 0
    while len(out) < n:
        example = make_example(rng, index, policy, catalog)
        index += 1
        if keep(example):
            out.append(example)
    return out


def training_set(n: int, seed: int = 1) -> list[Example]:
    """Jobs from the training families and styles only."""
    return generate(n, seed=seed, keep=lambda e: not is_heldout(e))


def heldout_set(n: int, seed: int = 7) -> list[Example]:
    """Jobs whose model family or naming style never appears in training."""
    return generate(n, seed=seed, keep=is_heldout)


@cache
def unseen_models() -> tuple[CatalogModel, ...]:
    """The evaluation's models that neither training nor any shipped catalog has."""
    return parse_catalog(UNSEEN_MODELS.read_text(encoding="utf-8"))


def unseen_set(n: int, seed: int = 11) -> list[Example]:
    """Jobs in held-out naming styles that name only models in no catalog (or none)."""
    return generate(n, seed=seed, keep=lambda e: e.style in HOLDOUT_STYLES,
                    catalog=unseen_models())
