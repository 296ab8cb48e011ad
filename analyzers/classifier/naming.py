"""How people name jobs: task cues, model mentions and the naming styles of schedulers and tools."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from analyzers.classifier.catalog import CatalogModel

# Words people put in job names for each task (domain words, datasets, product nouns).
TASK_CUES: dict[str, tuple[str, ...]] = {
    "text_classification": (
        "sentiment", "reviews-polarity", "polarity", "toxicity", "toxic-filter", "intent",
        "intent-router", "spam-filter", "ticket-triage", "ticket-router", "topic-tagger",
        "lang-id", "language-detect", "emotion", "moderation", "content-mod", "churn-reason",
        "nps-scorer", "review-stars", "classifier", "seq-cls", "zero-shot-cls", "mnli", "sst2",
        "imdb", "ag-news", "stance", "hate-speech", "prompt-guard", "safety-filter",
        "email-labeler", "complaint-routing", "fraud-text-flag", "category-predict",
        "guardrail", "content-safety", "jailbreak-detect", "policy-violation", "abuse-flag",
    ),
    "token_classification": (
        "ner", "named-entity", "entity-extract", "pii-redact", "pii-scrub", "deid", "pos-tag",
        "slot-filling", "invoice-fields", "address-parser", "resume-parser", "conll03",
        "wikiann", "token-cls", "span-tagger", "keyphrase-tag", "drug-mentions", "clinical-ner",
    ),
    "question_answering": (
        "qa", "squad", "squad2", "extractive-qa", "faq-answer", "reading-comp", "doc-qa",
        "answer-span", "support-answers", "policy-qa", "table-qa", "kb-answer", "ask-docs",
    ),
    "sentence_similarity": (
        "embed", "embeddings", "semantic-search", "vector-index", "rag-retriever", "retrieval",
        "rerank", "reranker", "dedup", "near-dup", "sim-search", "sbert", "sentence-sim",
        "doc-vectors", "faiss-build", "similarity", "msmarco", "encode-corpus",
    ),
    "summarization": (
        "summarize", "summariser", "summarization", "tldr", "digest-writer", "meeting-notes",
        "abstracts", "cnn-dm", "xsum", "recap", "condense", "samsum", "brief-gen",
    ),
    "translation": (
        "translate", "translation", "mt", "en-de", "de-en", "fr-en", "localize", "i18n-mt",
        "wmt", "subtitle-translate", "nmt", "multilingual-mt", "ja-en",
    ),
    "text_generation": (
        "chat", "chatbot", "assistant", "copilot", "completion", "codegen", "code-assist",
        "llm-serve", "sft", "dpo", "rlhf", "pretrain", "instruct-tune", "story-gen", "agent",
        "text-gen", "playground",
    ),
    "asr": (
        "asr", "transcribe", "transcription", "speech-to-text", "stt", "dictation",
        "call-transcripts", "voice-notes", "podcast-transcribe", "librispeech", "commonvoice",
        "speech-rec", "meeting-audio",
    ),
    "image_classification": (
        "image-cls", "img-classify", "imagenet", "product-images-cat", "defect-classify",
        "xray-triage", "plant-disease", "photo-tagger", "nsfw-image-filter", "cifar10",
        "food101", "vision-cls",
    ),
    "object_detection": (
        "detection", "object-det", "bbox", "coco-det", "pedestrian-det", "shelf-detect",
        "ppe-detection", "license-plate", "damage-detect", "people-counting", "od-train",
    ),
    "image_generation": (
        "txt2img", "text-to-image", "img-gen", "sd-finetune", "dreambooth", "lora-sd",
        "avatar-gen", "banner-gen", "diffusion", "inpainting", "render-art",
    ),
    "image_captioning": (
        "caption", "captioning", "alt-text", "img2txt", "image-to-text", "coco-captions",
        "describe-images", "product-photo-desc",
    ),
    "other": (
        "etl", "preprocess", "feature-store", "data-prep", "tensorboard", "dask-worker",
        "xgboost", "rl-ppo", "gnn-train", "protein-fold", "weather-sim", "hpo-sweep",
        "recsys-train", "forecast", "debug-shell", "nccl-test", "parquet-compact",
        "video-gen", "text-to-video", "tts", "voice-clone", "segmentation", "depth-est",
        "upscale", "speech-synth",
    ),
}

# The task as a label or annotation declares it, in the words different tools use.
DECLARED: dict[str, tuple[str, ...]] = {
    "text_classification": ("text-classification", "sentiment-analysis", "classification",
                            "zero-shot-classification", "Text Classification", "sentiment"),
    "token_classification": ("token-classification", "ner", "NER",
                             "named entity recognition", "pii-detection"),
    "question_answering": ("question-answering", "QA", "extractive question answering"),
    "sentence_similarity": ("sentence-similarity", "feature-extraction", "embeddings",
                            "retrieval", "reranking"),
    "summarization": ("summarization", "summarisation", "summary"),
    "translation": ("translation", "translation_en_to_de", "machine translation"),
    "text_generation": ("text-generation", "text2text-generation", "chat", "conversational"),
    "asr": ("automatic-speech-recognition", "transcription", "speech-to-text", "asr"),
    "image_classification": ("image-classification", "zero-shot-image-classification"),
    "object_detection": ("object-detection", "zero-shot-object-detection", "detection"),
    "image_generation": ("text-to-image", "image generation", "diffusion"),
    "image_captioning": ("image-to-text", "image captioning", "captioning"),
    "other": ("data-processing", "etl", "analytics"),
}

# Words that say nothing of the task: environments, regions, versions, launchers, wrappers.
NEUTRAL = ("prod", "staging", "dev", "eu-west-1", "us-east", "v2", "v3", "cron", "job", "pipeline",
           "worker", "main", "exp", "trial", "blue", "green", "shard-0", "node", "svc",
           "batch", "daily", "run", "tmp", "final", "new", "old", "test", "backfill", "sched")
LAUNCHERS = ("python", "python3 -u", "bash -c 'python", "conda run -n ml python", "uv run",
             "singularity exec env.sif python", "apptainer run img.sif", "mpirun -np 4 python",
             "sbatch --wrap 'python", "nohup python", "poetry run python", "docker run --gpus all")
TEAMS = ("search", "ads", "support", "risk", "vision", "speech", "nlp", "growth", "research",
         "platform", "health", "legal", "finops")
USERS = ("alice", "bob", "chen", "dmitri", "eva", "farah", "gus", "hana", "ivan", "jo", "kemal",
         "lena", "mo", "nadia", "oscar", "priya", "quentin", "rosa", "sam", "tariq", "uma",
         "victor", "wei", "yusuf", "zoe", "asr-team", "ner", "qa")


def mention(model: CatalogModel, rng: random.Random) -> str:
    """One way a person or tool writes the model's name (hub id, stem, path, tag)."""
    size = model.size_token
    family = model.stem.split("-")[0]
    forms = [model.model_id, model.short, model.short.lower(), model.stem,
             model.stem.replace("-", "_"), f"/models/{model.short}",
             f"/mnt/ckpt/{model.stem}-ft/step_{rng.randint(1, 90) * 500}",
             f"s3://ml-artifacts/{rng.choice(TEAMS)}/{model.stem}/v{rng.randint(1, 12)}",
             f"hf://{model.model_id}"]
    if size:
        bare = model.stem.replace(size, "").strip("-_.").replace("-", "")
        forms += [f"{bare}:{size}", f"{model.short}.Q4_K_M.gguf",
                  f"{family}:{size}-{rng.choice(('instruct', 'q4_K_M', 'fp16'))}"]
        if not family[-1].isdigit():  # `gemma2b`; no one writes Qwen3 2B as `qwen32b`
            forms.append(f"{family}{size}")
    # Kubernetes names carry no dots (`qwen2-5-0-5b`); quantized and adapted copies keep a
    # suffix or a prefix (`-AWQ`, `-GPTQ-Int4`, `-FP8`, `lora-...-on-`).
    forms += [model.stem.replace(".", "-").replace("_", "-"),
              f"{model.model_id}-{rng.choice(('AWQ', 'GPTQ-Int4', 'FP8', 'bnb-4bit'))}",
              f"{model.short}-{rng.choice(('Q4_K_M', 'Q8_0', 'IQ3_M'))}.gguf"]
    return rng.choice(forms)


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice((4, 5, 8))))


def _join(rng: random.Random, *parts: str | None) -> str:
    sep = rng.choice(("-", "-", "_", "."))
    return sep.join(p.replace("-", sep) if sep == "_" else p for p in parts if p)


@dataclass(slots=True)
class Surface:
    """The text fields a collector would report for one job."""

    name: str
    command: str
    image: str | None = None
    model: str | None = None


Style = Callable[[random.Random, str | None, str | None, str], Surface]


def slurm(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    script = rng.choice(("train.py", "finetune.py", "run.py", "main.py", "infer.py"))
    flag = rng.choice(("--model_name_or_path", "--model", "--base-model", "--ckpt"))
    name = _join(rng, cue, model.split("/")[-1] if model and rng.random() < 0.4 else None,
                 rng.choice(("job", "run", None, f"r{rng.randint(1, 99)}")))
    args = f" {flag} {model}" if model else ""
    if cue and rng.random() < 0.5:
        args += f" --task {cue}"
    return Surface(name or "job", f"srun python {script}{args} --seed {rng.randint(0, 9)}")


def kubernetes(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    app = _join(rng, cue or rng.choice(("svc", "worker", "backend")),
                rng.choice(("api", "svc", "worker", "server", None)))
    name = f"{app}-{_suffix(rng)}-{_suffix(rng)[:5]}"
    image = f"registry.corp/{rng.choice(TEAMS)}/{app}:{rng.randint(0, 3)}.{rng.randint(0, 20)}"
    command = f"python -m serve --port 8080 --model {model}" if model else "python -m serve"
    return Surface(name, command, image)


def vllm(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    default = "llm" if task == "text_generation" else rng.choice(("model", "svc", "team"))
    name = _join(rng, cue or default, rng.choice(("vllm", "serve", "inference")), _suffix(rng))
    tp = rng.choice((1, 2, 4, 8))
    command = f"vllm serve {model or '/models/current'} --tensor-parallel-size {tp}"
    return Surface(name, command, "vllm/vllm-openai:v0.6.3")


def tgi(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    name = _join(rng, cue or "tgi", "tgi", _suffix(rng))
    command = f"--model-id {model or '/data/model'} --num-shard {rng.choice((1, 2, 4))}"
    return Surface(name, command, "ghcr.io/huggingface/text-generation-inference:2.4")


def notebook(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    # Users' names are any words, task words included: the judge masks them (features).
    user = rng.choice(USERS) if rng.random() < 0.6 else pseudo_word(rng)
    nb = _join(rng, cue, model.split("/")[-1] if model else None, "explore") + ".ipynb"
    return Surface(f"jupyter-{user}", f"jupyter lab --notebook-dir /home/{user} {nb}",
                   "quay.io/jupyter/pytorch-notebook:cuda12")


def hydra(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    script = f"run_{(cue or 'exp').replace('-', '_')}.py"
    args = f" model={model}" if model else ""
    return Surface(_join(rng, cue or "exp", _suffix(rng)[:4]),
                   f"python {script}{args} trainer.max_epochs={rng.randint(1, 9)}")


def torchrun(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    flag = rng.choice(("--llm", "--model_id", "--pretrained", "--backbone"))
    args = f" {flag} {model}" if model else ""
    launcher = rng.choice(("torchrun --nproc_per_node 8", "accelerate launch",
                           "deepspeed --num_gpus 4"))
    task = (cue or "train").replace("-", "_")
    return Surface(_join(rng, rng.choice(USERS), cue or "train"),
                   f"{launcher} {task}.py{args} --bf16")


def ollama(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    return Surface(_join(rng, cue or "ollama", rng.choice(USERS)),
                   f"ollama run {model}" if model else "ollama serve", "ollama/ollama:0.3")


def airflow(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    dag = _join(rng, rng.choice(("nightly", "hourly", "weekly")), cue or "pipeline")
    command = f"airflow tasks run {dag} {rng.choice(('score', 'step', 'run_model'))}"
    return Surface(f"{dag}.{rng.choice(('batch', 'infer', 'load'))}",
                   command + (f" --conf model={model}" if model else ""))


def ray(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    entry = f"batch_{(cue or 'job').replace('-', '_')}.py"
    args = f" --model-path {model}" if model else ""
    return Surface(f"raysubmit_{_suffix(rng)}", f"ray job submit -- python {entry}{args}",
                   f"rayproject/ray-ml:2.{rng.randint(9, 40)}.0-gpu")


def generic(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    words = [rng.choice(NEUTRAL) for _ in range(rng.randint(0, 3))]
    parts = [*words[:1], cue, *words[1:]]
    rng.shuffle(parts)
    name = _join(rng, *parts, _suffix(rng) if rng.random() < 0.5 else None) or "job"
    script = _join(rng, rng.choice(NEUTRAL), cue) + ".py" if cue and rng.random() < 0.5 else \
        rng.choice(("main.py", "entry.py", "app.py", "job.py"))
    flag = rng.choice(("--model", "--model-name", "--hf-model", "--weights", "-m", "--checkpoint"))
    args = " ".join(f"--{rng.choice(NEUTRAL)} {rng.randint(1, 64)}"
                    for _ in range(rng.randint(0, 2)))
    launcher = rng.choice(LAUNCHERS) if rng.random() < 0.6 else \
        f"{pseudo_word(rng)} {rng.choice(('run', 'exec', 'submit', 'start', '--'))}"
    command = f"{launcher} {script}" + (f" {flag} {model}" if model else "")
    image = f"{rng.choice(('docker.io', 'gcr.io', 'harbor.internal'))}/" \
            f"{rng.choice(NEUTRAL)}/{rng.choice(NEUTRAL)}:{rng.randint(1, 9)}" \
        if rng.random() < 0.5 else None
    return Surface(name, f"{command} {args}".strip(), image)


def pseudo_word(rng: random.Random) -> str:
    """A made-up word (a tool, project or host name nobody has seen): it says nothing."""
    consonants, vowels = "bcdfghjklmnprstvwxyz", "aeiouy"
    return "".join(rng.choice(consonants) + rng.choice(vowels) * rng.randint(0, 1)
                   for _ in range(rng.randint(2, 5)))


def _filler(rng: random.Random) -> str:
    return rng.choice(NEUTRAL) if rng.random() < 0.4 else pseudo_word(rng)


def noisy(style: Style) -> Style:
    """The same style with words that say nothing (known or made up) added now and then.

    It teaches the model that unfamiliar wrappers carry no task, so it reads unseen
    schedulers' and tools' names by their cues, not by their boilerplate.
    """
    def wrapped(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
        surface = style(rng, cue, model, task)
        if rng.random() < 0.5:
            words = [_filler(rng) for _ in range(rng.randint(1, 2))]
            surface.name = _join(rng, *words, surface.name) if rng.random() < 0.5 else \
                _join(rng, surface.name, *words)
        if rng.random() < 0.5:
            extra = f"--{_filler(rng)} {rng.choice((str(rng.randint(1, 99)), _filler(rng)))}"
            surface.command = (f"{_filler(rng)} {surface.command}" if rng.random() < 0.5
                               else f"{surface.command} {extra}")
        if rng.random() < 0.4:
            tag = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}"
            surface.image = f"{_filler(rng)}/{_filler(rng)}-{_filler(rng)}:{tag}"
        return surface
    return wrapped


STYLES: dict[str, Style] = {
    "slurm": slurm, "kubernetes": kubernetes, "vllm": vllm, "tgi": tgi, "notebook": notebook,
    "hydra": hydra, "torchrun": torchrun, "ollama": ollama, "airflow": airflow, "ray": ray,
    "generic": generic,
}
