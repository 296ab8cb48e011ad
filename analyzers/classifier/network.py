"""How the judge runs its network: ONNX Runtime where the model ships its graphs, else torch.

A model directory holds the weights (model.safetensors, what training writes and torch loads)
and, exported from them by `python -m analyzers.classifier.export DIR`, two ONNX graphs of the
same arithmetic: encoder.onnx (token ids and mask to the pooled text vector) and heads.onnx
(pooled vectors and telemetry to the three heads' logits). With them, classifying never imports
torch: ONNX Runtime starts in a tenth of a second where torch takes about three, and runs this
small encoder about a third faster on CPUs without native bf16 (measured, bench classify).
Without them (a model trained but not exported, the teacher), torch runs the weights.
tests/analyzers/test_classifier_network.py checks both give the same verdicts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from analyzers.classifier.model import Runtime

log = logging.getLogger(__name__)
ENCODER_FILE = "encoder.onnx"
HEADS_FILE = "heads.onnx"
_cap: list[int] = []  # thread limits callers set (`one_thread`), innermost last


class Network(Protocol):
    """The encoder and heads of a loaded model, on numpy arrays."""

    hidden: int
    backend: str
    batch: int  # texts per encoder pass: the fastest, measured on 2-core machines

    def pooled(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        """Pooled text vectors (N x 2 hidden, float32) of token ids and mask (N x L int64)."""
        ...

    def logits(self, pooled: np.ndarray, numeric: np.ndarray,
               threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Task, size-class and reason logits of pooled vectors and telemetry features."""
        ...


def thread_cap() -> int | None:
    """The lowest thread limit a caller set, or None."""
    return min(_cap) if _cap else None


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the network on one thread inside the block (torch's and ONNX Runtime's)."""
    _cap.append(1)
    try:
        yield
    finally:
        _cap.pop()


GRAPHS_FILE = "graphs.json"  # the weights the graphs were exported from (their SHA-256)
WEIGHTS_FILE = "model.safetensors"


def weights_digest(directory: Path) -> str:
    return hashlib.sha256((directory / WEIGHTS_FILE).read_bytes()).hexdigest()


def has_graphs(directory: Path) -> bool:
    """Whether `directory` holds graphs exported from the weights it holds now.

    Weights replaced after the export (retrained by hand, copied over) make the graphs stale:
    they are then not used, and a warning says to export again.
    """
    if not all((directory / f).is_file() for f in (ENCODER_FILE, HEADS_FILE, GRAPHS_FILE)):
        return False
    try:
        exported = json.loads((directory / GRAPHS_FILE).read_text()).get("weights_sha256")
        current = weights_digest(directory)
    except (OSError, ValueError, AttributeError):
        return False
    if exported != current:
        log.warning("the ONNX graphs in %s were exported from other weights: torch runs the "
                    "model; run `python -m analyzers.classifier.export %s`", directory,
                    directory)
        return False
    return True


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxNetwork:
    """The exported graphs on ONNX Runtime's CPU provider, one session per thread count."""

    backend = "onnx"
    batch = 32  # attention's working set stays in cache (256 took half as long again)

    def __init__(self, directory: Path) -> None:
        config = json.loads((directory / "config.json").read_text())
        self.hidden = int(config["architecture"]["hidden"])
        self._directory = directory
        self._sessions: dict[tuple[str, int], Any] = {}

    def _session(self, name: str, threads: int) -> Any:
        key = (name, max(1, threads))
        found = self._sessions.get(key)
        if found is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = key[1]
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.log_severity_level = 3
            if key[1] == 1:  # no pool threads spinning beside the one that works
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            found = ort.InferenceSession(str(self._directory / name), options,
                                         providers=["CPUExecutionProvider"])
            self._sessions[key] = found
        return found

    def pooled(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        out = self._session(ENCODER_FILE, threads).run(None, {"ids": ids, "mask": mask})
        return np.asarray(out[0], dtype=np.float32)

    def logits(self, pooled: np.ndarray, numeric: np.ndarray,
               threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        task, size, reasons = self._session(HEADS_FILE, threads).run(
            None, {"pooled": np.ascontiguousarray(pooled, dtype=np.float32),
                   "numeric": np.ascontiguousarray(numeric, dtype=np.float32)})
        return task, size, reasons


class TorchNetwork:
    """The weights on torch (the encoder in bf16 where the CPU computes in it natively)."""

    backend = "torch"
    batch = 256

    def __init__(self, runtime: Runtime, bf16: bool) -> None:
        self.runtime = runtime
        self.hidden = runtime.arch.hidden
        self.bf16 = bf16
        self._encoder = runtime.to_bfloat16() if bf16 else runtime

    @contextlib.contextmanager
    def _threads(self, threads: int) -> Iterator[None]:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(max(1, min(before, threads)))  # a caller's lower setting holds
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def pooled(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        import torch

        with self._threads(threads), torch.inference_mode():
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            states = self._encoder.encode(ids_t, mask_t).float()
            return self.runtime.heads.pool(states, mask_t).numpy()

    def logits(self, pooled: np.ndarray, numeric: np.ndarray,
               threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        with self._threads(threads), torch.inference_mode():
            out = self.runtime.heads.from_pooled(torch.from_numpy(pooled),
                                                 torch.from_numpy(numeric))
            return out.task.numpy(), out.size.numpy(), out.reasons.numpy()


def bf16_native() -> bool:
    """Whether this CPU computes in bf16 natively (AVX512-BF16 or AMX), so bf16 pays."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def load_network(directory: Path, bf16: bool | None = None) -> Network:
    """The network of the model in `directory`.

    ONNX Runtime on its graphs where it has them (and bf16 is not asked for), else torch on its
    weights. `AI_COST_CLASSIFIER_BACKEND=torch` asks for torch.
    """
    wanted = os.environ.get("AI_COST_CLASSIFIER_BACKEND", "").strip().lower()
    if not bf16 and wanted != "torch" and has_graphs(directory) and onnx_available():
        return OnnxNetwork(directory)
    from analyzers.classifier.model import Runtime

    runtime = Runtime.load(directory)
    return TorchNetwork(runtime, bf16_native() if bf16 is None else bf16)
