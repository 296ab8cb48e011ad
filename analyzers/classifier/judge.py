"""The classifier judge: same contract as analyzers.rules.judge, task and size read by the model.

Reasons: idle and overprovisioned are exact functions of telemetry, so they come from
analyzers.policy with the configured thresholds; oversized_model comes from the model's task and
size-class probabilities against the configured size threshold. The score is the calibrated
probability of oversized_model, or 1 when a telemetry reason holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from analyzers.classifier.features import TextEncoder, job_text, numeric_features, prob_at_least
from analyzers.classifier.model import Runtime
from analyzers.policy import hints, is_idle, is_overprovisioned
from analyzers.records import NARROW_TASKS, TASKS, JobRecord, Verdict
from config.organisation import PolicyConfig

WEIGHTS_DIR = Path(__file__).with_name("weights")
_NARROW = np.array([t in NARROW_TASKS for t in TASKS])
BATCH = 256


@dataclass(slots=True)
class Prediction:
    """Calibrated probabilities per job: task (N x 13), size class (N x 12), reasons (N x 3)."""

    task: np.ndarray
    size: np.ndarray
    reasons: np.ndarray


class Classifier:
    """A loaded model: tokenizer, runtime network and calibration temperatures."""

    def __init__(self, runtime: Runtime, encoder: TextEncoder, temperatures: dict[str, float]):
        self.runtime = runtime
        self.encoder = encoder
        self.temperatures = temperatures

    @classmethod
    def load(cls, directory: Path) -> Classifier:
        """The model saved in `directory` (config.json, model.safetensors, tokenizer.json)."""
        runtime = Runtime.load(directory)
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        config = json.loads((directory / "config.json").read_text())
        return cls(runtime, TextEncoder(tokenizer, runtime.arch.max_len), config["temperatures"])

    @torch.inference_mode()
    def predict(self, records: Sequence[JobRecord]) -> Prediction:
        """Probabilities for `records`, batched by token length."""
        n = len(records)
        task = np.zeros((n, len(TASKS)), dtype=np.float32)
        size = np.zeros((n, self.runtime.heads.size.out_features), dtype=np.float32)
        reasons = np.zeros((n, self.runtime.heads.reasons.out_features), dtype=np.float32)
        if n == 0:
            return Prediction(task, size, reasons)
        rows = [self.encoder.ids(job_text(r)) for r in records]
        numeric = torch.from_numpy(numeric_features(records))
        order = np.argsort([len(r) for r in rows], kind="stable")
        t_task, t_size = self.temperatures["task"], self.temperatures["size"]
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            ids, mask = self.encoder.batch([rows[i] for i in idx])
            out = self.runtime(torch.from_numpy(ids), torch.from_numpy(mask), numeric[idx])
            task[idx] = torch.softmax(out.task / t_task, -1).numpy()
            size[idx] = torch.softmax(out.size / t_size, -1).numpy()
            reasons[idx] = torch.sigmoid(out.reasons).numpy()
        return Prediction(task, size, reasons)

    def judge(self, records: Iterable[JobRecord], policy: PolicyConfig) -> list[Verdict]:
        """Verdicts for `records` under `policy`: task, oversized, score, reasons then hints."""
        records = list(records)
        pred = self.predict(records)
        p_narrow = pred.task[:, _NARROW].sum(1)
        p_model = p_narrow * prob_at_least(pred.size, policy.oversized_model_min_params_b)
        best = pred.task.argmax(1)
        best_narrow = np.where(_NARROW, pred.task, -1.0).argmax(1)
        verdicts = []
        for i, record in enumerate(records):
            reasons = []
            if is_idle(record, policy):
                reasons.append("idle")
            if is_overprovisioned(record, policy):
                reasons.append("overprovisioned")
            model_too_big = bool(p_model[i] >= 0.5)
            if model_too_big:
                reasons.append("oversized_model")
            task = TASKS[best_narrow[i] if model_too_big else best[i]]
            score = 1.0 if len(reasons) > model_too_big else float(p_model[i])
            verdicts.append(Verdict(
                job_id=record.job_id, task=task, oversized=bool(reasons), score=score,
                reasons=[*reasons, *hints(record, policy)],
            ))
        return verdicts


@lru_cache(maxsize=4)
def load_classifier(directory: Path = WEIGHTS_DIR) -> Classifier:
    """The shipped (or given) model, loaded once per process."""
    return Classifier.load(directory)


def judge(records: Iterable[JobRecord], policy: PolicyConfig) -> list[Verdict]:
    """Verdicts by the shipped classifier; same signature and meaning as rules.judge."""
    return load_classifier().judge(records, policy)
