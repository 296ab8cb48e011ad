"""The judges that can give verdicts: the rules (baseline) and the distilled classifier."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from analyzers.records import JobRecord, Verdict
from config.organisation import PolicyConfig

Judge = Callable[[Iterable[JobRecord], PolicyConfig], list[Verdict]]
JUDGES = {"rules": "analyzers.rules", "classifier": "analyzers.classifier.judge"}


def get_judge(name: str) -> Judge:
    """The judge called `name` (rules or classifier); ValueError for any other name."""
    if name not in JUDGES:
        raise ValueError(f"unknown judge {name!r}; choose one of {', '.join(JUDGES)}")
    module = importlib.import_module(JUDGES[name])
    judge: Judge = module.judge
    return judge


def default_judge_name() -> str:
    """The classifier when its weights ship with the package, else the rules."""
    try:
        module = importlib.import_module(JUDGES["classifier"])
        module.load_classifier()
    except (ImportError, OSError):  # not shipped in this checkout, or its weights are absent
        return "rules"
    return "classifier"
