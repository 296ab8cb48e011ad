"""Training from scratch: corpus, tokenizer, teacher, distilled student, calibration, weights."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from analyzers.classifier.corpus import Example, heldout_set, training_set, unseen_set
from analyzers.classifier.export import export
from analyzers.classifier.features import (
    SIZE_CLASSES,
    TextEncoder,
    build_tokenizer,
    job_text,
    numeric_features,
    size_class,
)
from analyzers.classifier.model import Architecture, JobClassifier, Logits, Runtime
from analyzers.records import REASONS, TASKS

WEIGHTS_DIR = Path(__file__).with_name("weights")
# The teacher is not shipped in the package; the benchmarks keep it to measure against.
TEACHER_DIR = Path(__file__).resolve().parents[2] / "bench" / "data" / "classifier_teacher"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class Recipe:
    """Everything that decides the trained weights: data sizes, networks, schedule, seed."""

    seed: int = 20240611
    n_train: int = 24_000
    n_valid: int = 3_000
    n_heldout: int = 5_000
    vocab_size: int = 3_000
    max_len: int = 40
    teacher: tuple[int, int, int, int] = (192, 4, 4, 768)  # hidden, layers, heads, ffn
    student: tuple[int, int, int, int] = (64, 1, 2, 128)  # one layer: half the encoder time
    teacher_jobs: int = 16_000  # the teacher is costly to train on 2 cores: it may see a subset
    teacher_epochs: int = 2
    student_epochs: int = 4
    batch_size: int = 128
    lr: float = 2e-3
    distill_alpha: float = 0.3  # weight of the hard labels; the rest follows the teacher
    distill_temperature: float = 2.0
    threads: int = 1  # the machine is shared: one core for training
    token_dropout: float = 0.15
    # Mixed precision for training pays only where the CPU computes bf16 natively: emulated
    # (this AMD EPYC) a teacher step took 14 s against 1.2 s in fp32 (measured). Off.
    bf16: bool = False


@dataclass(slots=True)
class Tensors:
    """One data set, encoded: token rows, telemetry, and the three labels."""

    rows: list[list[int]]
    numeric: torch.Tensor
    task: torch.Tensor
    size: torch.Tensor
    reasons: torch.Tensor
    soft: Logits | None = field(default=None)


def encode_examples(examples: list[Example], encoder: TextEncoder) -> Tensors:
    """Token rows, telemetry and labels of labelled jobs."""
    records = [e.record for e in examples]
    return Tensors(
        rows=[encoder.ids(job_text(r)) for r in records],
        numeric=torch.from_numpy(numeric_features(records)),
        task=torch.tensor([TASKS.index(e.task) for e in examples]),
        size=torch.tensor([size_class(e.params_b) for e in examples]),
        reasons=torch.tensor([[float(r in e.reasons) for r in REASONS] for e in examples]),
    )


def batches(data: Tensors, size: int, rng: random.Random | None) -> list[list[int]]:
    """Index batches of similar token length (less padding); shuffled when `rng` is given."""
    order = list(range(len(data.rows)))
    if rng is not None:
        rng.shuffle(order)
    chunks = [order[i:i + size * 50] for i in range(0, len(order), size * 50)]
    out = []
    for chunk in chunks:
        chunk.sort(key=lambda i: len(data.rows[i]))
        out += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def _head(data: Tensors, n: int) -> Tensors:
    """The first `n` jobs of a data set (the teacher's training subset)."""
    return Tensors(data.rows[:n], data.numeric[:n], data.task[:n], data.size[:n],
                   data.reasons[:n], None)


def _inputs(data: Tensors, idx: list[int], encoder: TextEncoder) -> tuple[torch.Tensor, ...]:
    ids, mask = encoder.batch([data.rows[i] for i in idx])
    return torch.from_numpy(ids), torch.from_numpy(mask), data.numeric[idx]


def _loss(out: Logits, data: Tensors, idx: list[int], recipe: Recipe) -> torch.Tensor:
    hard = (F.cross_entropy(out.task, data.task[idx]) + F.cross_entropy(out.size, data.size[idx])
            + F.binary_cross_entropy_with_logits(out.reasons, data.reasons[idx]))
    if data.soft is None:
        return hard
    t, a = recipe.distill_temperature, recipe.distill_alpha
    soft = data.soft
    kl = sum(F.kl_div(F.log_softmax(s / t, -1), F.softmax(teacher[idx] / t, -1),
                      reduction="batchmean") * t * t
             for s, teacher in ((out.task, soft.task), (out.size, soft.size)))
    reasons = F.binary_cross_entropy_with_logits(out.reasons, torch.sigmoid(soft.reasons[idx]))
    return a * hard + (1 - a) * (kl + reasons)


def fit(arch: Architecture, data: Tensors, encoder: TextEncoder, epochs: int, recipe: Recipe,
        stage: str, progress: Progress | None, limit: int | None = None) -> JobClassifier:
    """Train one network from scratch with AdamW and a linear warm-up then decay."""
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    model = JobClassifier(arch)
    gen = torch.Generator().manual_seed(recipe.seed)
    subset = data if limit is None else _head(data, limit)
    plan = [batches(subset, recipe.batch_size, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plan)
    optim = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.02, (total - s) / (total - warm))))
    model.train()
    step = 0
    for epoch_plan in plan:
        for idx in epoch_plan:
            ids, mask, numeric = _inputs(data, idx, encoder)
            # Token dropout: no single word may decide, so unseen wrappers matter less.
            dropped = (torch.rand(ids.shape, generator=gen) < recipe.token_dropout) & (ids > 3)
            ids = ids.masked_fill(dropped, 1)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
                out = model(ids, mask, numeric)
            loss = _loss(Logits(*(t.float() for t in out)), data, idx, recipe)
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            step += 1
            if progress is not None:
                progress(stage, step, total)
    return model.eval()


@torch.inference_mode()
def logits_of(net: torch.nn.Module, data: Tensors, encoder: TextEncoder) -> Logits:
    """Logits of a network over a whole data set, in the data set's order."""
    parts: list[tuple[list[int], Logits]] = []
    for idx in batches(data, 256, None):
        parts.append((idx, net(*_inputs(data, idx, encoder))))
    order = torch.tensor([i for idx, _ in parts for i in idx])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(len(order))
    joined = [torch.cat([getattr(out, f) for _, out in parts])[inverse] for f in Logits._fields]
    return Logits(*joined)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The softmax temperature minimising negative log-likelihood (grid search)."""
    grid = [0.5 + 0.05 * i for i in range(51)]
    losses = [F.cross_entropy(logits / t, labels).item() for t in grid]
    return grid[int(np.argmin(losses))]


def runtime_of(model: JobClassifier) -> Runtime:
    """The plain-torch runtime of a trained network, as inference will load it."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Runtime(model.arch, state)


def train(out_dir: Path = WEIGHTS_DIR, teacher_dir: Path = TEACHER_DIR,
          recipe: Recipe | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Train teacher then student, calibrate; save both, and the student's card.json."""
    from analyzers.classifier.evaluate import compare

    recipe = recipe or Recipe()
    torch.set_num_threads(recipe.threads)
    started = time.perf_counter()
    train_ex = training_set(recipe.n_train, seed=recipe.seed)
    valid_ex = training_set(recipe.n_valid, seed=recipe.seed + 1)
    tokenizer = build_tokenizer((job_text(e.record) for e in train_ex), recipe.vocab_size)
    encoder = TextEncoder(tokenizer, recipe.max_len)
    data, valid = encode_examples(train_ex, encoder), encode_examples(valid_ex, encoder)
    vocab = tokenizer.get_vocab_size()
    teacher_arch = Architecture(*recipe.teacher, vocab_size=vocab, max_len=recipe.max_len)
    student_arch = Architecture(*recipe.student, vocab_size=vocab, max_len=recipe.max_len)
    t0 = time.perf_counter()
    teacher = fit(teacher_arch, data, encoder, recipe.teacher_epochs, recipe, "teacher", progress,
                  limit=recipe.teacher_jobs)
    teacher_s = time.perf_counter() - t0
    data.soft = logits_of(runtime_of(teacher), data, encoder)
    t0 = time.perf_counter()
    student = fit(student_arch, data, encoder, recipe.student_epochs, recipe, "student", progress)
    student_s = time.perf_counter() - t0
    temperatures = {}
    for name, net in (("teacher", teacher), ("student", student)):
        out = logits_of(runtime_of(net), valid, encoder)
        temperatures[name] = {"task": fit_temperature(out.task, valid.task),
                              "size": fit_temperature(out.size, valid.size)}
    extra: dict[str, object] = {
        "temperatures": temperatures["student"], "size_classes": list(SIZE_CLASSES),
        "tasks": list(TASKS), "reasons": list(REASONS), "recipe": _recipe_json(recipe)}
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    student.save(out_dir, extra)
    export(out_dir)  # the graphs the judge runs, from these weights (stale ones replaced)
    teacher.save(teacher_dir, {**extra, "temperatures": temperatures["teacher"]})
    tokenizer.save(str(teacher_dir / "tokenizer.json"))
    thresholds = {name: tune_threshold(directory, valid_ex)
                  for name, directory in (("student", out_dir), ("teacher", teacher_dir))}
    if progress is not None:
        progress("evaluate", 0, 1)
    heldout = heldout_set(recipe.n_heldout, seed=recipe.seed + 2)
    card = compare(heldout, {"student": out_dir, "teacher": teacher_dir},
                   unseen_set(recipe.n_heldout, seed=recipe.seed + 3))
    card["training"] = {
        "recipe": _recipe_json(recipe), "train_jobs": len(train_ex),
        "heldout_jobs": recipe.n_heldout,
        "teacher_s": round(teacher_s, 1), "student_s": round(student_s, 1),
        "total_s": round(time.perf_counter() - started, 1), "torch": torch.__version__,
        "teacher_params": teacher.parameter_count(), "student_params": student.parameter_count(),
        "thresholds": thresholds,
    }
    (out_dir / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def tune_threshold(directory: Path, examples: list[Example]) -> float:
    """The P(oversized_model) threshold with the best F1 on validation jobs (never held-out).

    Written to config.json as `threshold`; the judge flags jobs at or above it.
    """
    from analyzers.classifier.judge import Classifier
    from config.organisation import PolicyConfig

    clf = Classifier.load(directory)
    policy = PolicyConfig()
    records = [e.record for e in examples]
    p_model = clf.p_oversized_model(records, clf.predict(records), policy)
    truth = np.array(["oversized_model" in e.reasons for e in examples])
    best, best_f1 = 0.5, -1.0
    for threshold in np.round(np.arange(0.2, 0.81, 0.05), 2):
        flagged = p_model >= threshold
        tp = float((flagged & truth).sum())
        f1 = 2 * tp / (flagged.sum() + truth.sum()) if truth.any() else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(threshold), f1
    config_path = directory / "config.json"
    config = json.loads(config_path.read_text())
    config["threshold"] = best
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    return best


def _recipe_json(recipe: Recipe) -> dict[str, object]:
    return {name: getattr(recipe, name) for name in recipe.__dataclass_fields__}

