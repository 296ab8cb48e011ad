"""The rules judge: reads task and model size from a job's text with keywords and patterns.

It is the baseline the classifier must beat, and the judge used when no classifier is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzers.classifier.features import mask_user
from analyzers.classifier.reading import read_text_of
from analyzers.policy import evaluate
from analyzers.records import JobRecord, Verdict
from config.organisation import PolicyConfig

# Ordered: the first task whose pattern matches wins.
_TASK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (task, re.compile(pattern, re.IGNORECASE))
    for task, pattern in (
        ("asr", r"asr|speech[-_ ]?to[-_ ]?text|transcri|whisper|wav2vec|hubert|speech-rec"),
        ("token_classification", r"\bner\b|_ner|ner[-_]|token[-_ ]?class|pos[-_]tag|entity"),
        ("question_answering", r"squad|question[-_ ]?answer|\bqa\b|[-_]qa\b|\bqa[-_]"),
        ("sentence_similarity", r"embed|similarity|sentence[-_]trans|feature[-_]extraction|"
                                r"retriev|rerank|\bbge\b|bge-|\be5-|gte-|minilm"),
        ("summarization", r"summar"),
        ("translation", r"translat|\bmt[-_]|opus-mt|nllb|m2m"),
        ("image_generation", r"diffusion|sdxl|txt2img|text-to-image|image[-_]gen"),
        ("image_captioning", r"caption|blip|image-to-text"),
        ("object_detection", r"detect|detr|yolo"),
        ("image_classification", r"image[-_ ]?class|imagenet|\bvit\b|vit-|resnet|convnext"),
        ("text_classification", r"sentiment|polarity|classif|toxic|intent|spam|emotion|"
                                r"moderation|sst-?2|topic"),
        ("text_generation", r"\bllm\b|chat|generat|instruct|completion|causal|gpt|llama|"
                            r"mistral|mixtral|qwen|gemma|falcon|\bphi\b"),
    )
)


def read_task(record: JobRecord) -> str:
    """The task a job does: declared, else its model's, else its text's first keywords.

    Declared and model tasks are read by analyzers.classifier.reading, as the classifier does.
    """
    settled = read_text_of(record).task
    if settled is not None:
        return settled
    text = mask_user(record.text, record.user)  # a user's name never decides the task
    for task, pattern in _TASK_PATTERNS:
        if pattern.search(text):
            return task
    return "other"


def read_params_b(record: JobRecord) -> float | None:
    """Model size in billions of parameters as the contract reads it; None when unknown.

    The model the job names (catalog) or the size it writes (analyzers.classifier.sizes);
    a name read two ways gives the smaller size.
    """
    size = read_text_of(record).size
    return None if size is None else size[0]


def judge(records: Iterable[JobRecord], policy: PolicyConfig) -> list[Verdict]:
    """Verdicts for `records` by the rules: hard 0/1 scores, reasons then hints."""
    verdicts = []
    for record in records:
        task = read_task(record)
        findings = evaluate(record, task=task, params_b=read_params_b(record), policy=policy)
        verdicts.append(Verdict(
            job_id=record.job_id,
            task=task,
            oversized=findings.oversized,
            score=1.0 if findings.oversized else 0.0,
            reasons=[*findings.reasons, *findings.hints],
        ))
    return verdicts
