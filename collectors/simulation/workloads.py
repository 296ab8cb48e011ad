"""Kinds of work the simulated cluster runs: healthy jobs and every kind of oversized one."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Workload:
    """An archetype of job: what it is, how it uses its GPUs, and how it is named."""

    key: str
    weight: float
    kind: str
    task: str
    models: tuple[str, ...]
    gpus: tuple[int, ...]
    util: tuple[float, float]  # mean and standard deviation, %
    mem_frac: tuple[float, float]  # peak memory as a fraction of the GPU's, low..high
    gpu_classes: tuple[str, ...]  # "big" (>= 40 GiB), "small" (< 40 GiB)
    min_duration_s: float = 300.0
    max_duration_s: float = 7 * 86400.0
    continuous: bool = False
    precision: tuple[str | None, ...] = ("bf16",)
    batch_size: tuple[int | None, ...] = (None,)
    declare_task: float = 0.3  # how often the label says the task


WORKLOADS: tuple[Workload, ...] = (
    Workload("llm-pretrain", 3, "training", "text_generation",
             ("meta-llama/Llama-3.1-8B", "mistralai/Mistral-7B-v0.3", "Qwen/Qwen2.5-14B"),
             (4, 8), (88, 6), (0.7, 0.92), ("big",), min_duration_s=3600),
    Workload("llm-serve", 2, "inference", "text_generation",
             ("meta-llama/Llama-3.1-70B-Instruct", "Qwen/Qwen2.5-72B-Instruct"),
             (4,), (62, 12), (0.8, 0.92), ("big",), continuous=True, batch_size=(32, 64)),
    Workload("small-classifier-serve", 3, "inference", "text_classification",
             ("distilbert/distilbert-base-uncased-finetuned-sst-2-english",
              "cardiffnlp/twitter-roberta-base-sentiment-latest"),
             (1,), (45, 12), (0.15, 0.3), ("small",), continuous=True, batch_size=(16, 32)),
    Workload("finetune-bert", 3, "training", "token_classification",
             ("google-bert/bert-base-cased", "microsoft/deberta-v3-base"),
             (1,), (80, 8), (0.4, 0.7), ("small", "big"), min_duration_s=1200),
    Workload("whisper-batch", 2, "batch", "asr",
             ("openai/whisper-small", "distil-whisper/distil-large-v3"),
             (1,), (70, 10), (0.3, 0.5), ("small",), batch_size=(16,)),
    Workload("vit-train", 1.5, "training", "image_classification",
             ("google/vit-base-patch16-224", "microsoft/resnet-50"),
             (2,), (85, 7), (0.5, 0.8), ("big", "small"), min_duration_s=1800),
    Workload("sdxl-gen", 1, "batch", "image_generation",
             ("stabilityai/stable-diffusion-xl-base-1.0",), (1,), (90, 5), (0.5, 0.7), ("big",)),
    # Oversized: GPUs held and left idle.
    Workload("idle-notebook", 0.7, "interactive", "other", ("",), (1, 2), (1.2, 1.0),
             (0.05, 0.2), ("big", "small"), min_duration_s=2 * 3600, max_duration_s=18 * 3600),
    # Oversized: held many, used a fraction.
    Workload("half-used-train", 2, "training", "text_generation",
             ("meta-llama/Llama-3.2-1B", "Qwen/Qwen2.5-1.5B"),
             (8, 4), (14, 5), (0.08, 0.2), ("big",), min_duration_s=3600),
    # Oversized: one big GPU for a tiny job.
    Workload("tiny-on-big", 2, "inference", "sentence_similarity",
             ("BAAI/bge-small-en-v1.5", "sentence-transformers/all-MiniLM-L6-v2"),
             (1,), (6, 3), (0.03, 0.1), ("big",), min_duration_s=2 * 3600,
             continuous=False, batch_size=(1, 2, 8)),
    # Oversized: a big general-purpose model doing a narrow task.
    Workload("llm-for-sentiment", 2, "inference", "text_classification",
             ("meta-llama/Llama-3.1-70B-Instruct", "mistralai/Mixtral-8x22B-Instruct-v0.1"),
             (4,), (58, 10), (0.75, 0.9), ("big",), continuous=True, batch_size=(1, 4)),
    Workload("llm-for-ner", 1, "batch", "token_classification",
             ("Qwen/Qwen2.5-72B-Instruct",), (4,), (72, 8), (0.8, 0.9), ("big",),
             min_duration_s=3600),
    Workload("llm-embeddings", 1, "inference", "sentence_similarity",
             ("intfloat/e5-mistral-7b-instruct",), (1,), (55, 10), (0.35, 0.5), ("big",),
             continuous=True, batch_size=(8,)),
    Workload("fp32-train", 1, "training", "image_classification",
             ("facebook/convnext-base-224",), (2,), (82, 6), (0.6, 0.85), ("big",),
             min_duration_s=1800, precision=("fp32",)),
)

_SHORT = {
    "text_generation": ("chat", "llm", "gen", "assistant"),
    "text_classification": ("reviews-polarity", "ticket-sentiment", "toxicity", "intent-router"),
    "token_classification": ("ner", "pii-tagger", "entity-extract"),
    "sentence_similarity": ("embed", "search-embeddings", "dedup-sim"),
    "asr": ("transcribe", "call-asr", "meeting-notes-stt"),
    "image_classification": ("imagenet", "product-classifier", "defect-cls"),
    "image_generation": ("txt2img", "banner-gen"),
    "other": ("scratch", "explore", "debug"),
}
TASK_WORDS = {
    "text_generation": ("text-generation", "chat"),
    "text_classification": ("sentiment-analysis", "text-classification"),
    "token_classification": ("ner", "token-classification"),
    "sentence_similarity": ("feature-extraction", "embeddings"),
    "asr": ("transcription", "automatic-speech-recognition"),
    "image_classification": ("image-classification",),
    "image_generation": ("text-to-image",),
    "other": ("",),
}


def short_model(model: str) -> str:
    return model.rsplit("/", 1)[-1].lower()


def job_text(rng: random.Random, w: Workload, model: str, user: str,
             style: str) -> tuple[str, str, str | None]:
    """A job name, command and image the way people write them on each kind of cluster."""
    base = rng.choice(_SHORT[w.task])
    sm = short_model(model) if model else ""
    suffix = f"{rng.getrandbits(24):06x}"[:5]
    if w.key == "idle-notebook":
        name = f"jupyter-{user}" if style == "k8s" else f"interactive-{user}"
        return name, "jupyter lab --no-browser --port 8888", "quay.io/jupyter/pytorch-notebook"
    if style == "k8s":
        name = f"{base}-api-{suffix}" if w.kind == "inference" else f"{base}-{sm[:20]}-{suffix}"
        server = "vllm serve" if w.task == "text_generation" or "llama" in sm else "python serve.py"
        command = f"{server} --model {model}" if w.kind == "inference" else \
            f"torchrun --nproc_per_node={max(w.gpus)} train.py --model_name_or_path {model}"
        image = "vllm/vllm-openai:v0.6.3" if "vllm" in server else "ghcr.io/acme/ml-runtime:2.4"
        return name, command, image
    script = {"training": "train", "batch": "run", "inference": "serve"}.get(w.kind, "run")
    name = f"{base}_{script}"
    command = f"srun python {script}_{base.split('-')[0]}.py model={model} seed={rng.randint(0, 9)}"
    return name, command, None
