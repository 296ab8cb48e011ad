"""The rules judge: reads task and model size from a job's text with keywords and patterns.

It is the baseline the classifier must beat, and the judge used when no classifier is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzers.policy import evaluate
from analyzers.records import TASKS, JobRecord, Verdict
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
_TASK_SYNONYMS = {
    "sentiment-analysis": "text_classification",
    "feature-extraction": "sentence_similarity",
    "transcription": "asr",
    "automatic-speech-recognition": "asr",
    "ner": "token_classification",
    "text2text-generation": "text_generation",
}

# "8x22b", "70b", "1.5B", "350m"
_MOE = re.compile(r"(\d+)x(\d+(?:\.\d+)?)b\b", re.IGNORECASE)
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([bm])\b", re.IGNORECASE)
_KNOWN_SIZES_B = (
    ("distilbert", 0.066), ("distilroberta", 0.082), ("minilm", 0.033), ("tinybert", 0.015),
    ("deberta-v3-small", 0.14), ("deberta-v3-large", 0.43), ("bert-large", 0.34),
    ("roberta-large", 0.355), ("bert-base", 0.11), ("roberta-base", 0.125), ("bert", 0.11),
    ("whisper-large", 1.55), ("whisper-medium", 0.77), ("whisper-small", 0.24),
    ("whisper", 0.24), ("wav2vec2", 0.32), ("t5-small", 0.06), ("t5-base", 0.22),
    ("t5-large", 0.77), ("gpt2", 0.124), ("resnet", 0.025), ("vit", 0.086), ("detr", 0.041),
    ("yolo", 0.03), ("mixtral", 46.7), ("llama", 8.0), ("mistral", 7.2), ("falcon", 7.0),
)


def read_task(record: JobRecord) -> str:
    """The task a job does, from its declared task, else from its text."""
    if record.task:
        declared = record.task.strip().lower()
        if declared in TASKS:
            return declared
        if declared in _TASK_SYNONYMS:
            return _TASK_SYNONYMS[declared]
    text = record.text
    for task, pattern in _TASK_PATTERNS:
        if pattern.search(text):
            return task
    return "other"


def read_params_b(record: JobRecord) -> float | None:
    """Model size in billions of parameters, read from the model field or the job's text."""
    for text in (record.model or "", record.text):
        moe = _MOE.search(text)
        if moe:
            return float(moe.group(1)) * float(moe.group(2))
        sizes = [
            float(m.group(1)) / (1000.0 if m.group(2).lower() == "m" else 1.0)
            for m in _SIZE.finditer(text)
        ]
        if sizes:
            return max(sizes)
        lowered = text.lower()
        for key, size in _KNOWN_SIZES_B:
            if key in lowered:
                return size
    return None


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
