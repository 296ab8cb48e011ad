"""Export a model's weights as the two ONNX graphs the judge runs (analyzers/classifier/network.py).

    python -m analyzers.classifier.export [DIR ...]   (default: the shipped model)

Training calls it for the student it saves; run it again after replacing a model's weights by
hand. The graphs compute what `Runtime` computes (tests check the verdicts agree).
"""

from __future__ import annotations

import json
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from shutil import copy2

import torch
from torch import nn

from analyzers.classifier.model import Runtime
from analyzers.classifier.network import ENCODER_FILE, GRAPHS_FILE, HEADS_FILE, weights_digest

OPSET = 17


class _Encoder(nn.Module):
    """Runtime.encode then Heads.pool: token ids and mask to the pooled text vector."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.runtime.heads.pool(self.runtime.encode(ids, mask), mask)


class _Heads(nn.Module):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.heads = runtime.heads

    def forward(self, pooled: torch.Tensor,
                numeric: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.heads.from_pooled(pooled, numeric)
        return out.task, out.size, out.reasons


def export(directory: Path, out: Path | None = None) -> Path:
    """Write encoder.onnx and heads.onnx of the model in `directory` to `out` (default: it)."""
    runtime = Runtime.load(directory)
    out = out or directory
    out.mkdir(parents=True, exist_ok=True)
    arch = runtime.arch
    ids = torch.ones((2, arch.max_len), dtype=torch.int64)
    mask = torch.ones((2, arch.max_len), dtype=torch.int64)
    pooled = torch.zeros((2, 2 * arch.hidden))
    numeric = torch.zeros((2, arch.numeric_dim))
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it keeps symbolic
        torch.onnx.export(_Encoder(runtime), (ids, mask), str(out / ENCODER_FILE),
                          input_names=["ids", "mask"], output_names=["pooled"],
                          dynamic_axes={"ids": {0: "n", 1: "length"},
                                        "mask": {0: "n", 1: "length"}, "pooled": {0: "n"}},
                          opset_version=OPSET, dynamo=False)
        torch.onnx.export(_Heads(runtime), (pooled, numeric), str(out / HEADS_FILE),
                          input_names=["pooled", "numeric"],
                          output_names=["task", "size", "reasons"],
                          dynamic_axes={"pooled": {0: "n"}, "numeric": {0: "n"}, "task": {0: "n"},
                                        "size": {0: "n"}, "reasons": {0: "n"}},
                          opset_version=OPSET, dynamo=False)
    (out / GRAPHS_FILE).write_text(json.dumps(
        {"weights_sha256": weights_digest(directory), "opset": OPSET}, indent=2) + "\n")
    return out


@contextmanager
def exported_copy(directory: Path) -> Iterator[Path]:
    """A temporary copy of a model, with its graphs.

    For a model kept without them (the teacher): it runs on the shipped student's runtime.
    """
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp)
        for name in ("config.json", "model.safetensors", "tokenizer.json"):
            copy2(directory / name, target / name)
        yield export(directory, target)


def main(argv: list[str]) -> None:
    from analyzers.classifier.judge import WEIGHTS_DIR

    for directory in [Path(a) for a in argv] or [WEIGHTS_DIR]:
        print(f"wrote {export(directory)}/{{{ENCODER_FILE},{HEADS_FILE},{GRAPHS_FILE}}}")


if __name__ == "__main__":
    main(sys.argv[1:])
