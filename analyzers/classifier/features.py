"""What the model sees of a job: its text as tokens, its telemetry as numbers; size classes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from analyzers.policy import supports_bf16
from analyzers.records import KINDS, PRECISIONS, JobRecord
from domain.mentions import without_settings

# Model-size classes: unknown (no model readable), then bins of billions of parameters.
SIZE_EDGES_B = (0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)
SIZE_CLASSES = ("unknown", f"<{SIZE_EDGES_B[0]:g}B",
                *(f"{lo:g}-{hi:g}B" for lo, hi in zip(SIZE_EDGES_B[:-1], SIZE_EDGES_B[1:],
                                                      strict=True)),
                f">={SIZE_EDGES_B[-1]:g}B")
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
# The image comes last and short: registry paths and version tags say the least per token.
_FIELD_CHARS = {"task": 40, "model": 80, "name": 70, "command": 160, "image": 50}
_HASH = re.compile(r"(?<![a-z0-9])(?=[a-f]*[0-9])[0-9a-f]{5,}(?![a-z0-9])")
_WORDS = re.compile(r"[a-z]+|[0-9]|[^a-z0-9\s]+")
# A notebook server or home folder named after its user: the name says who, never what.
_USER_SLOT = re.compile(r"(?i)((?<![\w-])jupyter(?:hub)?|/home|/users)([-/])([a-z0-9._]+)"
                        r"(?=$|[\s|/'\"])")
NUMERIC_DIM = 10 + len(KINDS) + 1 + len(PRECISIONS) + 1


def size_class(params_b: float | None) -> int:
    """Index into SIZE_CLASSES of a model of `params_b` billion parameters (None: unknown)."""
    if params_b is None:
        return 0
    return 1 + sum(params_b >= edge for edge in SIZE_EDGES_B)


def prob_at_least(size_probs: np.ndarray, threshold_b: float) -> np.ndarray:
    """P(model has >= `threshold_b` billion parameters) from size-class probabilities (N x C).

    A threshold inside a bin takes the bin's share above it, uniform in log(params).
    """
    lows = (0.01, *SIZE_EDGES_B)
    highs = (*SIZE_EDGES_B, 1000.0)
    total = np.zeros(size_probs.shape[0], dtype=np.float64)
    for k, (lo, hi) in enumerate(zip(lows, highs, strict=False), start=1):
        if threshold_b <= lo:
            share = 1.0
        elif threshold_b >= hi:
            share = 0.0
        else:
            share = (math.log(hi) - math.log(threshold_b)) / (math.log(hi) - math.log(lo))
        total += share * size_probs[:, k]
    return total


def mask_user(text: str, user: str | None) -> str:
    """`text` with the user's name (and a notebook's or home folder's owner) as `user`."""
    lowered = text.lower()
    if "jupyter" in lowered or "/home/" in lowered or "/users/" in lowered:
        text = _USER_SLOT.sub(r"\1\2user", text)
    if user and len(user) >= 2 and user.lower() in lowered:
        text = re.sub(rf"(?<![a-z0-9]){re.escape(user.lower())}(?![a-z0-9])", "user",
                      text, flags=re.IGNORECASE)
    return text


def job_text(record: JobRecord) -> str:
    """The job's text fields, each trimmed to a budget, in the order they are most telling.

    A user's name never decides the task: it is masked wherever it appears. Server settings
    that never name the model (`--reasoning-parser deepseek_r1`) are left out.
    """
    parts = []
    for key, limit in _FIELD_CHARS.items():
        value = getattr(record, key) or ""
        if key == "command":
            value = without_settings(value)
        if value:
            parts.append(value[:limit])
    return mask_user(" | ".join(parts), record.user)


def numeric_features(records: Sequence[JobRecord]) -> np.ndarray:
    """Telemetry as a (N x NUMERIC_DIM) float32 matrix of scaled values and one-hot fields."""
    n = len(records)
    out = np.zeros((n, NUMERIC_DIM), dtype=np.float32)
    if n == 0:
        return out
    kinds = {k: i for i, k in enumerate(KINDS)}
    precisions = {p: i for i, p in enumerate(PRECISIONS)}
    base_kind, base_prec = 10, 10 + len(KINDS) + 1
    columns = np.array([(r.gpus, r.gpu_util_mean, r.gpu_util_max, r.gpu_mem_used_gib_max,
                         r.gpu_mem_total_gib, r.duration_s,
                         -1.0 if r.batch_size is None else r.batch_size, r.power_w_mean or 0.0)
                        for r in records], dtype=np.float64)
    gpus, util, util_max, used, total, duration, batch, power = columns.T
    out[:, 0] = np.log2(gpus) / 4.0
    out[:, 1] = util / 100.0
    out[:, 2] = util_max / 100.0
    out[:, 3] = used / total
    out[:, 4] = np.log1p(total) / 5.0
    out[:, 5] = np.log1p(duration) / 12.0
    out[:, 6] = np.log1p(used * gpus) / 7.0
    bf16: dict[str, bool] = {}
    out[:, 7] = [bf16[g] if g in bf16 else bf16.setdefault(g, supports_bf16(g))
                 for g in (r.gpu_type for r in records)]
    out[:, 8] = np.where(batch < 0, -1.0, np.log1p(np.maximum(batch, 0.0)) / 6.0)
    out[:, 9] = power / 700.0
    rows = np.arange(n)
    out[rows, [base_kind + kinds.get(r.kind or "", len(KINDS)) for r in records]] = 1.0
    out[rows, [base_prec + precisions.get(r.precision or "", len(PRECISIONS))
               for r in records]] = 1.0
    return out


def words(text: str) -> list[str]:
    """Pre-tokens of a job text: lower case, hex hashes as `#`, letters, single digits, marks."""
    return _WORDS.findall(_HASH.sub("#", text.lower()))


def build_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """A BPE tokenizer trained (tokenizers library) on the pre-tokens of job texts."""
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=3,
                                  special_tokens=list(SPECIALS), show_progress=False)
    tokenizer.train_from_iterator((" ".join(words(t)) for t in texts), trainer=trainer)
    return tokenizer


class TextEncoder:
    """Token ids of job texts, with the trained tokenizer's pieces cached per pre-token."""

    def __init__(self, tokenizer: Tokenizer, max_len: int) -> None:
        self.tokenizer = tokenizer
        self.max_len = max_len
        cls_id = tokenizer.token_to_id("[CLS]")
        if cls_id is None:
            raise ValueError("the tokenizer has no [CLS] token")
        self.cls_id: int = cls_id
        self._pieces: dict[str, list[int]] = {}

    def _piece(self, word: str) -> list[int]:
        ids = [token.id for token in self.tokenizer.model.tokenize(word)]
        if len(self._pieces) < 200_000:
            self._pieces[word] = ids
        return ids

    def ids(self, text: str) -> list[int]:
        """[CLS] then the text's token ids, cut at max_len."""
        row = [self.cls_id]
        pieces = self._pieces
        for word in words(text):
            cached = pieces.get(word)
            row.extend(cached if cached is not None else self._piece(word))
            if len(row) >= self.max_len:
                return row[: self.max_len]
        return row

    def batch(self, rows: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask (N x L int64) of rows padded to the longest one."""
        length = max((len(r) for r in rows), default=1)
        padded = [r + [0] * (length - len(r)) for r in rows]
        ids = np.array(padded, dtype=np.int64).reshape(len(rows), length)
        return ids, (ids != 0).astype(np.int64)
