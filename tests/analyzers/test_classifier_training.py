"""`train` end to end on a few dozen jobs: same seed, same weights; a loadable model and card."""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file

from analyzers.classifier.card import model_card
from analyzers.classifier.judge import Classifier
from analyzers.classifier.network import OnnxNetwork
from analyzers.classifier.train import Recipe, train
from config.organisation import PolicyConfig

TINY = Recipe(n_train=80, n_valid=40, n_heldout=40, teacher_jobs=60, vocab_size=300,
              teacher=(32, 2, 2, 64), student=(16, 1, 1, 32), teacher_epochs=1,
              student_epochs=1, batch_size=16)


def test_training_is_reproducible_and_yields_a_working_model(tmp_path: Path) -> None:
    steps: list[str] = []
    card = train(tmp_path / "a", tmp_path / "ta", TINY, lambda stage, *_: steps.append(stage))
    train(tmp_path / "b", tmp_path / "tb", TINY)
    assert {"teacher", "student"} <= set(steps)
    first = load_file(str(tmp_path / "a" / "model.safetensors"))
    second = load_file(str(tmp_path / "b" / "model.safetensors"))
    assert all((first[k] == second[k]).all() for k in first)
    clf = Classifier.load(tmp_path / "a", bf16=False)
    assert isinstance(clf.network, OnnxNetwork)  # training exported the graphs it runs
    assert len(clf.judge([], PolicyConfig())) == 0
    assert "teacher" in model_card(card) and card["judges"]["rules"]["metrics"]["task_accuracy"] > 0
