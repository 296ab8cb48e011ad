"""Held-out evaluation against the rules baseline; writes docs/classifier.md.

Run `python -m analyzers.classifier.evaluate` (or `make eval-classifier`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from analyzers import rules
from analyzers.classifier.corpus import (
    HOLDOUT_FAMILIES,
    HOLDOUT_STYLES,
    Example,
    heldout_set,
    unseen_models,
    unseen_set,
)
from analyzers.classifier.energy import EnergyReading, measure_single_thread
from analyzers.classifier.export import exported_copy
from analyzers.classifier.judge import WEIGHTS_DIR, Classifier
from analyzers.classifier.network import has_graphs
from analyzers.classifier.reading import forget, read_jobs
from analyzers.classifier.sizes import catalog_models
from analyzers.policy import is_idle, is_overprovisioned, is_oversized_model
from analyzers.records import REASONS, Verdict, parse_record
from config.organisation import PolicyConfig

REPORT = Path(__file__).resolve().parents[2] / "docs" / "classifier.md"
# Realistic jobs written apart from the code, with the labels their writers gave them.
REALISTIC = Path(__file__).resolve().parents[2] / "bench" / "data" / "realistic"


def prf(pred: Sequence[bool], truth: Sequence[bool]) -> dict[str, float]:
    """Precision, recall and F1 of boolean predictions, with the support."""
    tp = sum(p and t for p, t in zip(pred, truth, strict=True))
    fp = sum(p and not t for p, t in zip(pred, truth, strict=True))
    fn = sum(t and not p for p, t in zip(pred, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def calibration(scores: Sequence[float], truth: Sequence[bool], bins: int = 10) -> dict[str, float]:
    """Expected calibration error (equal-width bins) and Brier score of `scores`."""
    n = len(scores)
    ece = 0.0
    for b in range(bins):
        members = [i for i, s in enumerate(scores)
                   if b / bins <= s < (b + 1) / bins or (b == bins - 1 and s == 1.0)]
        if members:
            confidence = sum(scores[i] for i in members) / len(members)
            accuracy = sum(truth[i] for i in members) / len(members)
            ece += len(members) / n * abs(confidence - accuracy)
    brier = sum((s - t) ** 2 for s, t in zip(scores, truth, strict=True)) / n if n else 0.0
    return {"ece": ece, "brier": brier}


def metrics(verdicts: Sequence[Verdict], examples: Sequence[Example],
            policy: PolicyConfig | None = None) -> dict[str, Any]:
    """Oversized and per-reason precision/recall/F1, task accuracy, calibration and slices.

    Slices of oversized_model: jobs whose model size can be read exactly (a catalog model or a
    written size), those whose model continues a family line all above the size threshold,
    and those where only a learned guess can tell; and jobs that use a
    model they never name, against the size of that hidden model (not counted in the labels).
    """
    policy = policy or PolicyConfig()
    truth = [bool(e.reasons) for e in examples]
    model_pred = ["oversized_model" in v.reasons for v in verdicts]
    model_true = ["oversized_model" in e.reasons for e in examples]
    reading = read_jobs([e.record for e in examples])
    exact = ~np.isnan(reading.size[:, 0])
    floor = reading.floor if reading.floor is not None else np.full(len(examples), np.nan)
    with np.errstate(invalid="ignore"):
        family = ~exact & (floor >= policy.oversized_model_min_params_b)
    hidden = [i for i, e in enumerate(examples)
              if is_oversized_model(e.task, e.hidden_params_b, policy)]

    def part(keep: Sequence[bool]) -> dict[str, float]:
        return prf([p for p, k in zip(model_pred, keep, strict=True) if k],
                   [t for t, k in zip(model_true, keep, strict=True) if k])

    out: dict[str, Any] = {
        "oversized": prf([v.oversized for v in verdicts], truth),
        "reasons": {r: prf([r in v.reasons for v in verdicts], [r in e.reasons for e in examples])
                    for r in REASONS},
        "task_accuracy": sum(v.task == e.task for v, e in zip(verdicts, examples, strict=True))
        / len(examples),
        "calibration": calibration([v.score for v in verdicts], truth),
        "slices": {
            "size_read_exactly": part(exact.tolist()),
            "size_from_family": part(family.tolist()),
            "size_guessed": part((~exact & ~family).tolist()),
            "hidden_model": {"jobs": len(hidden),
                             "flagged": sum(model_pred[i] for i in hidden) / len(hidden)
                             if hidden else 0.0},
        },
    }
    return out


def _single_ms(clf: Classifier, examples: Sequence[Example], policy: PolicyConfig) -> float:
    """Median milliseconds to judge one job on its own (the collector's per-job path)."""
    times = []
    for e in examples[:200]:
        t0 = time.perf_counter()
        clf.judge([e.record], policy)
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]


def cost(clf: Classifier, directory: Path, examples: Sequence[Example],
         policy: PolicyConfig) -> tuple[list[Verdict], dict[str, Any]]:
    """Verdicts of one model and what they cost: size, latency and energy per 1,000 jobs."""
    records = [e.record for e in examples]
    clf.judge(records[:512], policy)  # warm the allocator before measuring

    def measured() -> tuple[list[Verdict], EnergyReading]:
        forget()  # jobs never seen: nothing of their reading remembered
        return measure_single_thread(lambda: clf.judge(records, policy))

    # The lower of two runs: a shared machine's other work only ever adds to a reading.
    verdicts, reading = min((measured() for _ in range(2)), key=lambda run: run[1].energy_j)
    files = ("model.safetensors", "tokenizer.json", "config.json")  # the weights, not graphs
    return verdicts, {
        "params": sum(v.numel() for k, v in clf.runtime.w.items() if ".qkv." not in k),
        "size_bytes": sum((directory / f).stat().st_size for f in files),
        "architecture": clf.runtime.arch.to_json(),
        "ms_per_job_batch": reading.duration_s / len(records) * 1e3,
        "ms_per_job_single": _single_ms(clf, examples, policy),
        "energy_j_per_1000": reading.energy_j / len(records) * 1e3,
        "energy_method": reading.method,
    }


def compare(examples: Sequence[Example], models: dict[str, Path],
            unseen: Sequence[Example] = ()) -> dict[str, Any]:
    """Metrics of the rules and of each saved model on the same held-out jobs.

    `unseen`: jobs naming models in no catalog, in held-out styles, measured apart.
    """
    policy = PolicyConfig()
    records = [e.record for e in examples]
    result: dict[str, Any] = {
        "heldout": {"jobs": len(examples), "families": sorted(HOLDOUT_FAMILIES),
                    "styles": sorted(HOLDOUT_STYLES)},
        "judges": {"rules": {"metrics": metrics(rules.judge(records, policy), examples,
                                                policy)}},
    }
    with ExitStack() as stack:  # every model on the same runtime (the teacher has no graphs)
        runnable = {name: d if has_graphs(d) else stack.enter_context(exported_copy(d))
                    for name, d in models.items()}
        _compare_models(result, examples, models, runnable, policy)
    if unseen:
        result["unseen"] = unseen_metrics(unseen, models, policy)
    return result


def _compare_models(result: dict[str, Any], examples: Sequence[Example],
                    models: dict[str, Path], runnable: dict[str, Path],
                    policy: PolicyConfig) -> None:
    records = [e.record for e in examples]
    for name, directory in models.items():
        clf = Classifier.load(runnable[name])
        verdicts, spent = cost(clf, directory, examples, policy)
        result["judges"][name] = {"metrics": metrics(verdicts, examples, policy), "cost": spent}
        if name == "student":
            # The ablation: the network alone, no catalog, written size or declared task.
            clf.read_text = False
            result["judges"]["student"]["metrics_head_only"] = metrics(
                clf.judge(records, policy), examples, policy)


def unseen_metrics(examples: Sequence[Example], models: dict[str, Path],
                   policy: PolicyConfig) -> dict[str, Any]:
    """Metrics of the rules and each model on jobs naming models in no catalog."""
    loaded = {name: Classifier.load(d) for name, d in models.items()}
    judges = judge_metrics(examples, loaded, policy)
    return {"jobs": len(examples), "models": len(unseen_models()),
            "families": len({m.family for m in unseen_models()}),
            "styles": sorted(HOLDOUT_STYLES), "judges": judges}


def judge_metrics(examples: Sequence[Example], classifiers: dict[str, Classifier],
                  policy: PolicyConfig) -> dict[str, dict[str, Any]]:
    """`metrics` of the rules and of each classifier on the same labelled jobs."""
    records = [e.record for e in examples]
    judges = {"rules": metrics(rules.judge(records, policy), examples, policy)}
    for name, clf in classifiers.items():
        judges[name] = metrics(clf.judge(records, policy), examples, policy)
    return judges


def realistic_set(path: Path, policy: PolicyConfig | None = None
                  ) -> tuple[list[Example], list[str | None]]:
    """Labelled jobs of a realistic set, and the model id each was written to name.

    Contract records with an `_expected` task, oversized_model, size and model id (None: no
    model named). The telemetry reasons follow from the policy; oversized_model is the
    writer's label.
    """
    policy = policy or PolicyConfig()
    examples, named = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        expected = raw.pop("_expected")
        record = parse_record(raw)
        reasons = tuple(r for r, holds in (
            ("idle", is_idle(record, policy)),
            ("overprovisioned", is_overprovisioned(record, policy)),
            ("oversized_model", bool(expected["oversized_model"]))) if holds)
        examples.append(Example(record, expected["task"], expected.get("size_b"), None,
                                "realistic", reasons))
        named.append(expected.get("model"))
    return examples, named


def realistic_metrics(models: dict[str, Path], directory: Path = REALISTIC,
                      policy: PolicyConfig | None = None) -> dict[str, Any]:
    """Metrics of the rules and each model on every realistic set in `directory`."""
    policy = policy or PolicyConfig()
    out: dict[str, Any] = {}
    loaded = {name: Classifier.load(d) for name, d in models.items()}
    # set_a ... set_z, then set_aa ...
    for path in sorted(directory.glob("*.jsonl"), key=lambda p: (len(p.stem), p.stem)):
        examples, named = realistic_set(path, policy)
        judges = judge_metrics(examples, loaded, policy)
        models_named = {m for m in named if m}
        out[path.stem] = {"jobs": len(examples), "judges": judges, "models": len(models_named),
                          "uncatalogued": sum(not catalog_models(m) for m in models_named)}
    return out


def render(card: dict[str, Any]) -> str:
    """docs/classifier.md: the held-out comparison as Markdown tables."""
    from analyzers.classifier.card import evaluation_markdown

    return evaluation_markdown(card)


def main(argv: list[str]) -> int:
    """Re-evaluate student, teacher (when kept in bench/data) and rules in one run.

    Writes docs/classifier.md and refreshes the figures in the shipped card.json (its
    training record is kept), so `ai-cost model-card` shows what this run measured.
    """
    from analyzers.classifier.train import TEACHER_DIR

    saved = json.loads((WEIGHTS_DIR / "card.json").read_text())
    recipe = saved["training"]["recipe"]
    examples = heldout_set(recipe["n_heldout"], seed=recipe["seed"] + 2)
    models = {"student": WEIGHTS_DIR}
    if (TEACHER_DIR / "model.safetensors").exists():
        models["teacher"] = TEACHER_DIR
    fresh = compare(examples, models, unseen_set(recipe["n_heldout"], seed=recipe["seed"] + 3))
    fresh["realistic"] = realistic_metrics(models)
    fresh["judges"].setdefault("teacher", saved["judges"]["teacher"])
    fresh["training"] = saved["training"]
    target = Path(argv[0]) if argv else REPORT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(fresh))
    print(f"wrote {target}")
    if not argv:
        (WEIGHTS_DIR / "card.json").write_text(json.dumps(fresh, indent=2) + "\n")
        print(f"refreshed {WEIGHTS_DIR / 'card.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
