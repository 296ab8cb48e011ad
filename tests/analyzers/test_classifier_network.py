"""The judge runs the shipped model's exported graphs on ONNX Runtime: same verdicts as torch
on its weights, stale graphs impossible to ship unnoticed, and `ai-cost classify` starting
without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analyzers.classifier.corpus import heldout_set, unseen_set
from analyzers.classifier.energy import measure_single_thread
from analyzers.classifier.export import exported_copy
from analyzers.classifier.judge import WEIGHTS_DIR, Classifier
from analyzers.classifier.network import OnnxNetwork, TorchNetwork, has_graphs
from analyzers.classifier.train import TEACHER_DIR
from config.organisation import PolicyConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def records() -> list:  # type: ignore[type-arg]
    return [e.record for e in (*heldout_set(400, seed=5), *unseen_set(200, seed=6))]


def test_the_shipped_graphs_give_the_weights_verdicts(records: list) -> None:  # type: ignore[type-arg]
    """The graphs shipped beside the weights compute what the weights do: same task, verdict
    and reasons for every job, probabilities equal to a millionth (graphs exported from other
    weights would not be)."""
    assert has_graphs(WEIGHTS_DIR)
    onnx = Classifier.load(WEIGHTS_DIR, bf16=False)
    torch_clf = Classifier(TorchNetwork(onnx.runtime, bf16=False), onnx.encoder,
                           onnx.temperatures, onnx.threshold, onnx.guess_min, WEIGHTS_DIR)
    assert isinstance(onnx.network, OnnxNetwork)
    policy = PolicyConfig()
    a, b = onnx.judge(records, policy), torch_clf.judge(records, policy)
    assert [(v.task, v.oversized, v.reasons) for v in a] == [
        (v.task, v.oversized, v.reasons) for v in b]
    pa, pb = onnx.predict(records), torch_clf.predict(records)
    assert np.abs(pa.task - pb.task).max() < 1e-4
    assert np.abs(pa.size - pb.size).max() < 1e-4


def test_a_model_without_graphs_runs_on_torch_and_its_export_agrees(
        records: list) -> None:  # type: ignore[type-arg]
    """The teacher is kept without graphs: torch runs it; exported, ONNX Runtime gives the
    same verdicts, also on one thread (how the energy benchmark measures it)."""
    teacher = Classifier.load(TEACHER_DIR, bf16=False)
    assert isinstance(teacher.network, TorchNetwork)
    policy = PolicyConfig()
    with exported_copy(TEACHER_DIR) as directory:
        exported = Classifier.load(directory)
        assert isinstance(exported.network, OnnxNetwork)
        one, _ = measure_single_thread(lambda: exported.judge(records[:200], policy))
    assert [(v.task, v.reasons) for v in one] == [
        (v.task, v.reasons) for v in teacher.judge(records[:200], policy)]


def test_the_torch_backend_can_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_COST_CLASSIFIER_BACKEND", "torch")
    assert isinstance(Classifier.load(WEIGHTS_DIR).network, TorchNetwork)


def test_classify_starts_without_torch(tmp_path: Path) -> None:
    """`ai-cost classify` imports neither torch nor the database layers (seconds of start-up
    on a small machine), and judges as before."""
    source = tmp_path / "jobs.jsonl"
    source.write_text(json.dumps({
        "job_id": "j1", "name": "intent-router", "command": "vllm serve acme/Acme-Chat-14B "
        "--task classify", "gpu_type": "NVIDIA H100 80GB HBM3", "gpus": 1,
        "duration_s": 86400, "gpu_util_mean": 40, "gpu_util_max": 90,
        "gpu_mem_used_gib_max": 40, "gpu_mem_total_gib": 79.6}) + "\n")
    probe = ("import sys\nsys.argv = ['ai-cost', 'classify', '--input', sys.argv[1]]\n"
             "from bot.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('LOADED', sorted(m for m in ('torch', 'sqlalchemy', 'alembic', "
             "'slack_sdk') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, str(source)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    verdict = json.loads(done.stdout.splitlines()[0])
    assert verdict["job_id"] == "j1" and "oversized_model" in verdict["reasons"]
    assert done.stdout.splitlines()[-1] == "LOADED []"


def test_graphs_of_other_weights_are_not_used(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """Weights replaced after the export (a model retrained by hand, a file copied over):
    the stale graphs are not run; torch runs the weights, and the log says to export again."""
    for name in ("config.json", "model.safetensors", "tokenizer.json", "encoder.onnx",
                 "heads.onnx", "graphs.json"):
        (tmp_path / name).write_bytes((WEIGHTS_DIR / name).read_bytes())
    assert isinstance(Classifier.load(tmp_path).network, OnnxNetwork)
    from safetensors.torch import load_file, save_file

    weights = load_file(str(tmp_path / "model.safetensors"))
    first = next(iter(weights))
    weights[first] = weights[first] * 1.01
    save_file(weights, str(tmp_path / "model.safetensors"))
    with caplog.at_level("WARNING"):
        assert isinstance(Classifier.load(tmp_path).network, TorchNetwork)
    assert "exported from other weights" in caplog.text
