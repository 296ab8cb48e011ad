"""What a job's text settles without any learning: its model's size, and its task when declared.

The task is also settled when the model it names is made for one task. Both judges (the
classifier and the rules) read jobs here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analyzers.classifier.catalog import CatalogModel
from analyzers.classifier.features import mask_user
from analyzers.classifier.sizes import (
    CatalogIndex,
    catalog_index,
    catalog_models,
    family_floor,
    family_tasks,
    models_named,
    written_size,
)
from analyzers.classifier.tasks import (
    TEXT_ENCODER,
    declared_task,
    model_mentions,
    model_task,
    name_task,
    names_code_model,
    names_image_model,
    names_text,
    says_images,
    word_task,
)
from analyzers.records import TASKS, JobRecord
from domain.mentions import FILE_WORD, adapters, model_name, without_settings


@dataclass(frozen=True, slots=True)
class JobReading:
    """A job's model size as (min, max) billions (None: unknown) and its settled task."""

    size: tuple[float, float] | None
    task: str | None  # declared, or the one task of the named model; None: words decide
    names_model: bool = False  # it names a model (a field, a flag's value, a file)
    words: str | None = None  # the one narrow task the job's own words name, if any
    # Size unknown but its name continues a known family line: the line's smallest size.
    floor_b: float | None = None
    # A model in no catalog whose name says code (`Seed-Coder-8B`): where the job's words name
    # no task either, it generates code (text_generation), whatever the network makes of a
    # name it has never seen.
    code: bool = False
    # The tasks of the catalogued models it names, where none settles the task (a generalist:
    # `text_generation`, a VLM: also `image_captioning`), else of the family line its model
    # continues (not a generation server's: see `server`): what the model does when the
    # job's words name no task, whatever the network makes of the rest.
    tasks: tuple[str, ...] = ()
    # It runs a text-generation server (vLLM, SGLang, TGI, llama.cpp, Ollama...) that declares
    # no task, or gives its model an LLM's role (`--generator`, `--max-new-tokens`): it
    # generates, unless its words, or a sure network, say otherwise.
    server: bool = False
    # The fewest bytes per parameter its text allows its weights on the GPUs (inf: the text
    # says nothing, the reported precision decides), see `fewest_weight_bytes`.
    weight_bytes: float | None = math.inf
    # Its model's name says an encoder architecture (BERT, RoBERTa, DeBERTa, ELECTRA...), or
    # a task head (`finemath-classifier`, `...-face-detection`): under 3 B whatever the size
    # head guesses (the largest, XLM-R XXL, writes `xxl`).
    encoder: bool = False
    # Its model's name says it also looks at images (`deepseek-vl2-tiny`, `MiniCPM-V-4_5`):
    # sorting photos with it, a guessed size of 3 B or more stands (other image backbones
    # are small).
    vlm: bool = False
    # Its model, in no catalog and writing no size, is a generalist by its name or family line
    # (chat, instruct, VLM, omni, guard, an LLM's line, LoRA) or by how the job runs it (a
    # generation server, an LLM's role, LoRA tuning): such models are rarely under 3 B.
    generalist: bool = False
    # It runs Text Embeddings Inference, which embeds, ranks or classifies sequences (it tags
    # no tokens and answers no questions): with nothing else said, it embeds.
    embeds: bool = False


# Servers made to generate text (an embedding or scoring task is declared with `--task`).
_GENERATION_SERVER = re.compile(
    r"(?i)vllm serve|vllm\.entrypoints|sglang\.launch_server|text-generation-launcher|"
    r"llama-server|llama\.cpp|ollama (?:run|serve)|lmdeploy serve|trtllm-serve|"
    r"mlc_llm serve|aphrodite run|tabbyapi|tabby serve|"
    # KServe's Hugging Face server run on vLLM (`huggingfaceserver --backend=vllm`)
    r"--backend[= ]vllm")
# Words one of those commands has (a quick test before the regex, which is slow on long
# commands that run none).
_SERVER_HINTS = ("vllm", "sglang", "text-generation-launcher", "llama", "ollama", "lmdeploy",
                 "trtllm", "mlc_llm", "aphrodite", "tabby")
# Their images, where a pod's command is only the server's arguments (Kubernetes args).
_GENERATION_IMAGE = re.compile(
    r"(?i)vllm-openai|vllm/vllm|text-generation-inference|lmsysorg/sglang|(?<![a-z])sglang|"
    r"llama\.cpp|llama-cpp|ollama/ollama|lmdeploy|tritonserver:[\w.-]*trtllm|"
    r"(?<![a-z])tgi(?![a-z])")
# Encoder architectures by name: none reaches 3 B except XLM-R XL/XXL, which say so.
_ENCODER = re.compile(
    r"(?i)(?:bert|electra|mpnet|minilm)(?![a-z])|roberta|deberta|distilbert|"
    r"camembert|flaubert|bertweet|xlm-?r(?![a-z])|splade")  # SPLADE: a BERT's MLM head
# A model named for the one narrow task it was fine-tuned to (`HuggingFaceTB/finemath-
# classifier`, `dima806/deepfake_vs_real_image_detection`, `.../Medical-NER`) and writing no
# size: a task head on a small network. None of 60 such models of the realistic jobs had 3 B
# (an LLM made a classifier writes its size or names its line: `Qwen2.5-7B-...`, guards).
_TASK_HEAD = re.compile(
    r"(?i)(?<![a-z])(?:classifier|classification|detector|detection|tagger|sentiment|ner|"
    r"emotions?|toxicity)(?![a-z])")
# timm's pretrained tags (`nfnet_l0.ra2_in1k`, `vit_base_patch16_224.augreg_in21k`): image
# backbones, none of 3 B unless its name writes it (`vit_7b_patch16_dinov3.lvd1689m`).
_TIMM_TAG = re.compile(
    r"(?i)\.(?:\w+_)?(?:in1k|in12k|in21k|in22k|lvd\d+m|laion2b\w*)(?![a-z0-9])")
_LARGE_ENCODER = re.compile(r"(?i)(?<![a-z])xx?l(?:arge)?(?![a-z])")
# A model sharded over GPUs by tensor parallelism (or TGI's shards) is at least this large:
# no one splits a model that one GPU holds (every such job of the realistic sets ran 8 B or
# more).
SHARDED_FLOOR_B = 3.0
# A T5's XXL (`t5_xxl_true_nli_mixture`, `umt5-xxl`): no T5 line's XXL has fewer parameters
# than sentence-T5's and GTR's (4.86 B, their encoder alone); flan-T5's has 11.3 B, mT5's 13 B.
T5_XXL_FLOOR_B = 4.8
_T5_XXL = re.compile(r"(?i)(?:(?<![a-z0-9])(?:flan[-_]?|sentence[-_]|gtr[-_])?(?:u?m|by)?t5|"
                     r"(?<![a-z])mt0)(?![0-9]).*(?<![a-z])xxl(?![a-z])")
_TENSOR_PARALLEL = re.compile(
    r"(?i)(?:--tensor[-_]parallel[-_]size|--tp(?:[-_]size)?|(?<![\w-])-tp|--num[-_]shard|"
    r"tensor_parallel_size)(?:\s*=\s*|\s+)(\d+)")


def _sharded(command: str) -> bool:
    """Whether the command splits its model over two GPUs or more (`--tensor-parallel-size 4`)."""
    return any(int(n) >= 2 for n in _TENSOR_PARALLEL.findall(command))


# A path or name that names no model: where a server finds whatever it serves.
_GENERIC_PATH = frozenset({
    "models", "model", "current", "latest", "base", "final", "best", "prod", "production",
    "active", "data", "snapshot", "snapshots", "main", "default", "weights", "serving",
    "export", "output", "merged", "stable", "live", "mnt", "ckpt", "checkpoints", "scratch",
    "opt", "srv", "app", "workspace", "artifacts", "repo", "models-cache", "cache", "hf"})
# A server's own name is none of the job's words (`text-embeddings-router` serves classifiers).
_SERVER_NAMES = re.compile(r"(?i)text-embeddings-(?:router|inference)")


# A name made only of these says the role a served model plays (Triton's `--load-model
# retrieval`, a repository's `text-embedder`), not which model it is.
_ROLE_WORDS = frozenset({
    "retrieval", "retriever", "embed", "embedder", "embedding", "embeddings", "encoder",
    "rerank", "reranker", "ranker", "ranking", "classifier", "classification", "router",
    "routing", "ensemble", "detector", "detection", "tagger", "ner", "asr", "stt", "tts",
    "ocr", "llm", "chat", "chatbot", "generator", "guard", "guardrail", "guardrails",
    "moderation", "judge", "scorer", "scoring", "preprocess", "postprocess", "pipeline",
    "tokenizer", "service", "server", "api", "backend", "search", "text", "vision", "speech",
    "nlp", "qa", "intent", "sentiment", "summarizer", "translator", "transcriber"})


def names_something(mention: str) -> bool:
    """Whether a mention names a model: not only where one is kept, or its role.

    `/models/current` says where, Triton's `--load-model retrieval` what it does.
    """
    return any(p and p.lower() not in _GENERIC_PATH
               and not all(w in _ROLE_WORDS or w in _GENERIC_PATH or FILE_WORD.fullmatch(w)
                           for w in re.split(r"[-_.]+", p.lower()) if w)
               for p in re.split(r"[/:]+", mention.replace("\\", "/")))


# Settings that make such a server embed, rerank or score instead (`--task embed` is declared).
_NOT_GENERATING = re.compile(
    r"(?i)--is-embedding|--embeddings?(?![-\w])|--rerank(?:ing)?(?![-\w])|--pooling|"
    r"--runner[= ]pooling|--convert[= ](?:embed|classify|reward)|"
    r"--task[= ](?:embed\w*|classify|score|reward|transcription)")


# Bytes per parameter of weights at the precision a job reports (TF32 is FP32 weights; mixed
# precision keeps FP32 masters); unknown precision, as small as 4-bit.
_PRECISION_BYTES = {"fp32": 4.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0,
                    "int8": 1.0, "int4": 0.5}
UNKNOWN_PRECISION_BYTES = 0.5
# Words of weights quantized below the job's precision; 1.58-bit models take 0.2 B/param.
_QUANTIZED = re.compile(
    r"(?i)(?<![a-z0-9])(?:awq|gptq|gguf|ggml|exl2|hqq|aqlm|quip|marlin|bnb|bitsandbytes|nf4|"
    r"n?v?fp4|mxfp4|u?int[248]|[248][-_]?bits?|qlora|w[248]a\d+|iq[1-8](?:_\w+)?|q[1-8]_\w+|"
    r"bitnet|"
    r"1\.58|ternary|quant\w*|load_in_\d+bit)(?![a-z])")
_EIGHT_BIT = re.compile(r"(?i)u?int8|8[-_]?bits?|fp8|w8a\d+|q8(?:_\w+)?|load_in_8bit")
QUANTIZED_BYTES = 0.2
# Words of weights that may sit in CPU memory or on disk, not on the GPUs.
_OFFLOAD = re.compile(
    r"(?i)offload|n[-_]gpu[-_]layers|(?<![a-z])-?ngl(?![a-z])|device[-_]map|"
    r"(?<![a-z])cpu(?![a-z])|ollama|llama-server|llama\.cpp|llama-cli|koboldcpp|"
    r"zero[-_]?(?:3|infinity)|zero_stage\W*3|(?<![a-z])stage\W?3|nvme|lowvram|medvram")
# GiB a job must have used for its memory to say anything (a CUDA context alone takes about
# this much; a collector that knows no memory sends 0).
MIN_USED_GIB = 0.5


def fewest_weight_bytes(text: str) -> float | None:
    """The fewest bytes per parameter a job's text allows its weights on the GPUs.

    inf: the text says nothing (the reported precision decides); None: the weights may sit
    off the GPUs (offload, llama.cpp layers, ZeRO-3), so memory bounds nothing.
    """
    if _OFFLOAD.search(text):
        return None
    words = [m.group(0) for m in _QUANTIZED.finditer(text)]
    if not words:
        return math.inf
    return 1.0 if all(_EIGHT_BIT.fullmatch(w) for w in words) else QUANTIZED_BYTES


def size_ceiling(record: JobRecord, text_bytes: float | None) -> float | None:
    """The most parameters (billions) whose weights fit in the GPU memory the job used.

    Peak memory on the busiest GPU times its GPUs bounds what all its GPUs held; None where
    nothing is bounded (weights offloaded, or no memory reported).
    """
    if text_bytes is None or record.gpu_mem_used_gib_max < MIN_USED_GIB:
        return None
    per_param = min(text_bytes, _PRECISION_BYTES.get(record.precision or "",
                                                     UNKNOWN_PRECISION_BYTES))
    return record.gpu_mem_used_gib_max * record.gpus * 2**30 / 1e9 / per_param


# GiB on one GPU that a model's use outside training and outside runtimes that reserve memory
# ahead (vLLM, SGLang, TGI, TensorRT-LLM, JAX) reaches only with large weights: of the
# realistic jobs naming a model in no catalog with no size written, 0.85 to 0.97 of those
# using 16 GiB or more ran 3 B or more (a BERT classifying at batch 32 holds 2 to 6 GiB).
HEAVY_GIB = 16.0
_RESERVES = re.compile(
    r"(?i)vllm|sglang|text-generation-launcher|text-generation-inference|(?<![a-z])tgi(?![a-z])|"
    r"trtllm|tensorrt|lmdeploy|tritonserver|llama-server|llama\.cpp|llama-cpp|ollama|"
    r"(?<![a-z])(?:jax|xla|flax|tensorflow)(?![a-z])|mem[-_]fraction|gpu[-_]memory[-_]utilization")
# Training holds gradients, optimizer states and activations: its memory says little.
_TRAINS = re.compile(r"(?i)(?<![a-z])(?:train\w*|fine-?tun\w*|finetun\w*|fit|sft|dpo|lora|"
                     r"epochs?|lr|learning[-_]rate|max[-_]steps|warmup\w*|grad\w*|deepspeed|"
                     r"fsdp|optim\w*)(?![a-z])")
# Architectures small whatever memory their batches take (speech, vision and text encoders).
_SMALL_ARCHITECTURES = (
    r"whisper|wav2vec|hubert|yolo|(?<![a-z])vit(?![a-z])|convnext|resnet|efficientnet|"
    r"detr|(?<![a-z])sam(?![a-z0-9])|dino|clip|siglip|segformer|colbert|t5|bart|florence|"
    r"pix2struct|donut|pegasus|nougat|layoutlm|moondream|owl-?v|owlv2|swin|"
    r"(?<![a-z])deta(?![a-z])")
_SMALL_ARCH = re.compile(r"(?i)" + _SMALL_ARCHITECTURES + r"|"
                         # ... and a series' small members
                         r"(?<![a-z])(?:base|small|tiny|nano|micro)(?![a-z])")


def is_heavy(record: JobRecord, found: JobReading) -> bool:
    """Whether a job's unknown model used memory only large weights take (see HEAVY_GIB).

    Not in training, not in a runtime that reserves memory, not where weights may sit off
    the GPU, not for an encoder or an architecture small at any batch.
    """
    return (record.gpu_mem_used_gib_max >= HEAVY_GIB and record.kind != "training"
            and found.weight_bytes is not None and not found.encoder
            and not _RESERVES.search(record.text) and not _TRAINS.search(record.text)
            and not _SMALL_ARCH.search(record.text))


def read_job(record: JobRecord, index: CatalogIndex | None = None, *,
             words: bool = True) -> JobReading:
    """The size of the model the job names (model field first) and its settled task.

    No size without evidence: a job that names no known model and writes no size has none.
    `words`: also read the narrow task the job's own words name (when its task is open).
    """
    index = index or catalog_index()
    mentions = model_mentions(record)  # the model field first
    loaded = adapters(record.command)  # LoRA adapters a server loads
    models: list[CatalogModel] = models_named(record.model, index) if record.model else []
    if not models:  # the model it runs, as its command names it
        for mention in mentions:
            models = models + [m for m in models_named(mention, index) if m not in models]
    if not models and _mentioned_size(mentions) is None:  # else a model its name, image or
        # other words name; not where the model it runs writes its own size (a module or
        # image named after another model: `python -m qwen_audio_api --ckpt acme/Acme-14B`)
        models = catalog_models(without_settings(record.text), index)
    size: tuple[float, float] | None = None
    if models:
        size = (min(m.params_b for m in models), max(m.params_b for m in models))
    if not models:
        written = _mentioned_size(mentions)  # the model it runs, not a served alias
        written = written if written is not None else written_size(record.text)
        size = None if written is None else (written, written)
    vlm_named = _names_vlm(mentions)
    # the tasks of the family line a model in no catalog continues
    line = family_tasks(mentions, index) if not models and mentions else ()
    seen = line or tuple(t for m in models for t in m.tasks)  # what its model is made for
    # ... or, new, what its name says it does to images (`roomclassifier_vit`)
    sees = vlm_named or any(t in _SEEING for t in seen) or (
        not models and names_image_model(mentions))
    task = declared_task(record, sees, bool(seen) and all(MEDIUM[t] == "image" for t in seen))
    if task == "text_generation" and not models and (
            name_task(mentions) == "image_generation"
            or job_words(record, index) == "image_generation"):
        task = "image_generation"  # `thumbnail background generator` on an SDXL pipeline
    if task is None:
        task = model_task(models)
        if task is not None:  # a fine-tune whose name says another task than its base's
            # (`rubert-tiny2-russian-sentiment` of the embedder `rubert-tiny2` classifies)
            shorts = {m.short.lower() for m in models}
            tuned = [_HUB_ORG.sub("", m) for m in mentions
                     if model_name(m).lower() not in shorts and models_named(m, index)]
            said = name_task(tuned) if tuned else None
            # within what the base takes in (an image model's `...-classifier` sees images);
            # a detector's `-panoptic` or `-segmentation` segments (a task of no name)
            if said is not None and (MEDIUM[said] == MEDIUM[task]
                                     or (said == "other" and task in _SEEING)):
                task = said
    if task is None:  # a model in no catalog, or a generalist's fine-tune: what its name says
        # (`.../Llama-3.1-Nemotron-70B-Reward`; not a served alias beside it)
        # A catalogued model's hub organisation says nothing the catalog does not (the `tts`
        # of `mattshumer/Reflection-Llama-3.1-70B`); a new model's may (`DeepFloyd/IF-I-XL`).
        task = name_task([*(_HUB_ORG.sub("", m) for m in mentions if models_named(m, index)),
                          *loaded] if models else [*mentions, *loaded])
        if task is not None and any(task in m.tasks and name_task([m.model_id]) == task
                                    for m in models):
            task = None  # nothing the catalog does not say: a generalist's words still decide
            # (not a fine-tune's name that picks one of its base's tasks:
            # `xlm_roberta_base_multilingual_toxicity_classifier` classifies)
        if task == "text_classification" and (vlm_named or (
                not models and says_images(record.text))) and not (
                any(TEXT_ENCODER.search(model_name(m)) for m in mentions)):
            task = "image_classification"  # a `room-classifier` trained on photos, a VLM guard
    said = job_words(record, index) if words and task is None else None
    floor = family_floor(mentions, index) if size is None and mentions else None
    # the mentions that name a model (not a base's path that names nothing,
    # `/weights/base/guard-base-v3`); an adapter names the model it adapts, of unknown size
    naming = [m for m in mentions if names_something(m)]
    named = bool(models or naming) or any(names_something(m) for m in loaded)
    if size is None and named and _sharded(record.command):
        floor = max(floor or 0.0, SHARDED_FLOOR_B)
    if size is None and any(_T5_XXL.search(model_name(m)) for m in naming):
        floor = max(floor or 0.0, T5_XXL_FLOOR_B)
    code = task is None and not models and names_code_model(mentions)
    tasks = tuple(dict.fromkeys(t for m in models for t in m.tasks)) if task is None else ()
    # whether it is served to generate (asked for the server flag and the generalist prior)
    generates = (task is None or (size is None and named and not models)) and _generates(record)
    server = task is None and generates
    if task is None and not models and not server and not code:  # a new member of a line
        tasks = line
        if not tasks:  # a generalist, new: `Pharia-1-LLM-7B-control`, `MiniCPM-V-4_5`
            if vlm_named:
                tasks = ("image_captioning", "text_generation")
            elif any(_CHAT_NAME.search(model_name(m)) for m in mentions):
                tasks = ("text_generation",)
    generalist = False
    if size is None and named and not models and not code:
        # served to generate or tuned through LoRA, a `-Base` is an LLM's pretrained base
        # (`Llammas-base`; 12 of the 13 such realistic jobs' models are of 3 B or more)
        run_as_llm = generates or bool(_LORA_TUNED.search(record.command))
        generalist = ("text_generation" in line if line else (  # a line of embedders embeds
            vlm_named or any(_GENERALIST_NAME.search(model_name(m)) or _LORA.search(model_name(m))
                             or _LLM_LINE.search(model_name(m)) for m in mentions)
            or ((run_as_llm or _prompted(record))
                and not any(_SMALL_NAME.search(model_name(m)) for m in naming)))
        ) and not any((_NOT_SMALL_VLM if vlm_named else _NOT_GENERALIST).search(model_name(m))
                      or (not run_as_llm and not vlm_named and _BASE.search(model_name(m)))
                      for m in naming)
    encoder = size is None and (any(
        ((_ENCODER.search(m) or (_TASK_HEAD.search(model_name(m))
                                 and not _LLM_LINE.search(model_name(m))))
         and not _LARGE_ENCODER.search(m)) or _TIMM_TAG.search(m) for m in mentions
        # not the name a deployment serves under (`ar-ner` serves a chat model for NER)
        if not (m == record.model and _served_alias(m, index))) or any(
        # a checkpoint read with an encoder's tokenizer (`--tokenizer BSC-LT/mRoBERTa`)
        _ENCODER.search(t) and not _LARGE_ENCODER.search(t) for t in _TOKENIZER.findall(
            record.command)))
    # What the weights take only matters to a guessed size (the regexes are costly).
    weight_bytes = fewest_weight_bytes(record.text) if size is None and named else math.inf
    return JobReading(size, task, named, said, floor, code, tasks, server, weight_bytes,
                      encoder, size is None and vlm_named, generalist,
                      task is None and _runs_embedding_server(record))


# A model in no catalog whose name says it chats or follows instructions: a generalist, which
# generates unless the job's words (or a sure network) name a narrow task.
_CHAT_NAME = re.compile(r"(?i)(?<![a-z])(?:llm|chat|instruct|instruction)(?![a-z])")
# ... and one that also looks at images (`deepseek-vl2-tiny`, `MiniCPM-V-4_5`): it captions
# and answers about them.
_VLM_NAME = re.compile(r"(?i)(?<![a-z])(?:vl|vision[-_]?language)(?![a-z])|vlm(?![a-z])|"
                       r"(?<![a-z0-9])v(?=[-_]\d|:|$)|llava|pixtral|internvl|(?<![a-z])ovis|"
                       r"instructblip|llm[-_]vision|vision[-_](?:instruct|chat|llm)")
def _names_vlm(mentions: Sequence[str]) -> bool:
    """Whether one of the names a job gives its model says a VLM (`_VLM_NAME`)."""
    return any(_VLM_NAME.search(model_name(m)) for m in mentions)


# A generalist's name: it chats, follows instructions or was tuned on preferences; `-it` is
# instruction-tuned (`T-lite-it-1.0`), not Italian (`opus-mt-en-it`, `stt_it_...`).
_GENERALIST_NAME = re.compile(
    r"(?i)(?<![a-z])(?:llm|chat|instruct|instruction|gpt(?!-?2)|omni|moe|sft|dpo|orpo|rlhf)"
    r"(?![a-z])|(?<!-[a-z]{2}-)(?<=-)it(?![a-z])|guard|judge|critic|"
    r"(?<![a-z0-9])o(?=[-_]?\d{1,2}(?!\d))|"  # `MiniCPM-o-2_6` (omni), `Marco-o1` (not `o365`)
    r"(?-i:(?<=[a-z])LLMs?)(?![a-z])")  # written into a name: `DISC-MedLLM`, `KernelLLM`
# ... unless it also says it embeds, ranks or encodes, or is a small member of its series;
# a VLM's `small` and `tiny` are large still (`deepseek-vl2-small` 16 B, `-tiny` 3.4 B).
_NOT_SMALL_VLM = re.compile(r"(?i)embed|rerank|retriev|smol|(?<![a-z])(?:nano|micro)(?![a-z])")
_NOT_GENERALIST = re.compile(r"(?i)embed|rerank|retriev|encoder|bert|smol|(?<![a-z])(?:e5|"
                             r"small|tiny|nano|micro)(?![a-z])|"
                             # encoder-decoders, small whatever they generate
                             r"t5|bart|pegasus|(?<!instruct)blip|pix2struct|donut|florence")
# ... nor, where only how it is run says generalist, a small architecture (`ollama run
# moondream`; not an `AudioLLM-Whisper`, which its name says is an LLM)
_SMALL_NAME = re.compile(r"(?i)" + _SMALL_ARCHITECTURES)
# ... nor a series' base member, unless run as an LLM (served to generate, LoRA-tuned)
_BASE = re.compile(r"(?i)(?<![a-z])base(?![a-z])")
# A text encoder's job that words put on images: on the text about them.
_ON_TEXT = {"image_classification": "text_classification",
            "image_captioning": "question_answering"}
# What each task takes in (`other`: anything): a fine-tune's name may change its task within
# it, and a sure network may pick another task a catalogued model takes in (the judge).
MEDIUM = {**dict.fromkeys(("text_classification", "token_classification", "question_answering",
                           "sentence_similarity", "summarization", "translation",
                           "text_generation"), "text"),
          **dict.fromkeys(("image_classification", "object_detection", "image_captioning",
                           "image_generation"), "image"), "asr": "audio", "other": "other"}
# Tasks of a model that sees images (a backbone, a detector; a VLM by its name): a
# classification that names no text (`Insassenklassifikation`, `clasificación del estado de
# la calzada`) is of images with it. Not a generalist the catalog says also sees images
# (Gemma 3, Llama 4, Magistral 1.2): most jobs give them text (`classification des
# courriers`).
_SEEING = frozenset({"image_classification", "object_detection"})
_HUB_ORG = re.compile(r"^(?:hf://)?[\w.-]+/(?=[\w.-]+(?::[\w.-]+)?$)")


def _runs_embedding_server(record: JobRecord) -> bool:
    return ("text-embeddings-router" in record.command
            or bool(record.image and "text-embeddings-inference" in record.image))


def _generates(record: JobRecord) -> bool:
    """Whether a job serves its model with a generation server, or gives it a generative role.

    The server declares no other use (`--task embed`, pooling). What such servers serve is a
    generative LLM: of the catalogued ones writing no size, 0.91 are of 3 B or more (224 of
    246; the rest are GPT-2s, T5s and Phi-1/2, older than most servers), as were 59 of the 66
    such models of the realistic jobs.
    """
    return ((_runs_generation_server(record.command)
             or bool(record.image and _GENERATION_IMAGE.search(record.image)))
            and not _NOT_GENERATING.search(record.command)) or bool(
        _GENERATIVE_ROLE.search(record.command))


_TOKENIZER = re.compile(r"(?i)--tokenizer(?:[-_]name(?:[-_]or[-_]path)?)?(?:\s*=\s*|\s+)(\S+)")
# An LLM's line written into a fine-tune's name (`ConflLlama-NER-TOI`, `RankMistral`,
# `Llama_Sentiment_Classifier`): 117 of the catalog's 124 such names writing no size are of
# 3 B or more (the rest: Phi-1 and -2, ColQwen2); a task head on an LLM is no small encoder.
# (`unsloth`: the tool only LLMs are tuned with, `banking-intent-unsloth`.)
_LLM_LINE = re.compile(
    r"(?i)llama|mistral|mixtral|qwen|gemma|falcon|deepseek|(?<![a-z])phi[-_]?[34]|olmo|"
    r"internlm|baichuan|chatglm|zephyr|vicuna|(?<![a-z])jais(?![a-z])|unsloth")
# A LoRA adapter's name (`cabrita-lora-v0-1`): adapters are made for LLMs and image generators
# (an encoder is fine-tuned whole), and an image generator's task is no narrow one.
_LORA = re.compile(r"(?i)(?<![a-z])q?lora(?![a-z])")


# A model given as a pipeline's LLM (`--generator` of a RAG service, `--llm`, `--chat-model`)
# or asked for new tokens (`--max-new-tokens 8`): a generative model too.
_GENERATIVE_ROLE = re.compile(
    r"(?i)--(?:llm|generator|chat)(?:[-_]model)?(?:[-_](?:name|id|path))?[= ]|"
    r"max[-_]new[-_]tokens")
# A model tuned through LoRA adapters (`--lora_r 16`): an LLM's way (an encoder is fine-tuned
# whole), whatever task it is tuned for.
# (Hydra's `peft.r=32` too)
_LORA_TUNED = re.compile(r"(?i)--lora[-_]?(?:r|rank|alpha)(?![a-z])|--use[-_]lora|--peft(?![a-z])|"
                         r"(?<![\w.])(?:peft|lora)\.(?:r|rank|alpha)(?![a-z])")


# A model given a prompt, a question or an instruction in words (`--prompt-file
# prompts/propaganda_label.txt`, `--question 'Is the shelf empty?'`): an instruction-following
# LLM or VLM. 29 of the 35 such realistic jobs' models in no catalog and writing no size are
# of 3 B or more; the six smaller are a speech or vision architecture, a base or a document
# model, which the vetoes name.
_PROMPTED = re.compile(r"(?i)--(?:task[-_]|system[-_]|user[-_])?prompt(?:[-_]file)?(?![-\w])|"
                       r"--question(?![-\w])|--instruction(?![-\w])")


def _prompted(record: JobRecord) -> bool:
    return ("--" in record.command and _PROMPTED.search(record.command) is not None
            and not _SMALL_ARCH.search(record.text))


def _runs_generation_server(command: str) -> bool:
    lowered = command.lower()
    return (any(hint in lowered for hint in _SERVER_HINTS)
            and _GENERATION_SERVER.search(command) is not None)


def _mentioned_size(mentions: Sequence[str]) -> float | None:
    """The largest size the model's own mentions write (field, model flags, gguf files)."""
    sizes = [b for b in map(written_size, mentions) if b is not None]
    return max(sizes) if sizes else None


def _served_alias(mention: str, index: CatalogIndex) -> bool:
    """Whether a model field is a name served under: no hub id, path or file, no known model."""
    return not any(c in mention for c in "/:.") and not models_named(mention, index)


def job_words(record: JobRecord, index: CatalogIndex | None = None) -> str | None:
    """The one narrow task the job's own words name; its model's names and user left out."""
    # (a server's settings are none: `--chat-template` chats no more than `--port` ports)
    text = " ".join(p for p in (record.name, without_settings(record.command), record.image)
                    if p)
    mentions = model_mentions(record)
    for mention in sorted(mentions, key=len, reverse=True):  # a path before its file's name
        if mention == record.model and _served_alias(mention, index or catalog_index()):
            continue  # the name a deployment serves under (`rerank14`) says what it does
        text = text.replace(mention, " ")
    said = word_task(_SERVER_NAMES.sub(" ", mask_user(text, record.user)))
    if said in _ON_TEXT and any(TEXT_ENCODER.search(model_name(m)) for m in mentions):
        return _ON_TEXT[said]  # a BERT labelling chest X-ray reports reads the reports
    if said == "text_classification" and not names_text(record) and _names_vlm(mentions):
        return "image_classification"  # a VLM given labels sorts what it sees
    asked = f"{record.command} {record.task or ''}"
    if said in _ASKED and (_CHOICE.search(asked)
                           or ("," in record.command and _LABEL_LIST.search(record.command))
                           or (said != "question_answering" and _PICK.search(asked))):
        # asked for a choice, or given the labels to choose from: it sorts what it reads
        return ("image_classification" if says_images(text) or _names_vlm(mentions)
                else "text_classification")
    return said


# A question whose answer is a choice (`Is the parcel damaged? Answer DAMAGED or OK.`, `Answer
# yes or no`, `in one word`, `which category`): asked of images, it sorts them (9 of the 9
# realistic jobs so asked of images are labelled image classification).
_CHOICE = re.compile(r"(?i)(?<![a-z])(?:answer|reply|respond)(?:\s+(?:only|just|with))*:?\s+"
                     r"['\"]?[a-z_]+['\"]?\s+or\s+['\"]?[a-z_]+|(?<![a-z])one[-\s]word(?![a-z])|"
                     # ... or for a category (`Which category is this exhibit photo: ...?`)
                     r"(?<![a-z])(?:which|what)\s+(?:category|class|label)(?![a-z])|"
                     # labels to answer with (`Responda só com: FIBRA|MOVEL|TV|OUTRO`)
                     r"(?-i:(?<![\w|])[A-Z][A-Z_]+(?:\s?\|\s?[A-Z][A-Z_]+)+(?![\w|]))|"
                     # a grammar that lets it answer only a digit or one of a few words
                     # (llama.cpp's `--grammar 'root ::= [1-5]'`)
                     r"root\s*::=\s*(?:\[[^\]]{1,12}\]|\"[^\"]+\"(?:\s*\|\s*\"[^\"]+\")+)\s*['\"]")
_ASKED = frozenset({None, "image_captioning", "question_answering", "text_generation"})
# ... or told to pick one label, not asked a question (a yes/no answered about a question is
# question answering: PubMedQA's): `medical necessity yes/no`, `Assign one IAB tier-1
# category`, `verdict in {good, needs_fix, escalate}`.
_PICK = re.compile(r"(?i)(?<![a-z])yes\s*/\s*no(?![a-z])|"
                   r"(?<![a-z])(?:assign|pick|choose|select)\s+(?:exactly\s+)?(?:one|a|the)\s+"
                   r"(?:[\w-]+\s+){0,3}?(?:category|label|class|topic|tag)(?![a-z])|"
                   r"(?<![a-z])(?:in|one\s+of)\s*[{\[]\s*\w+(?:\s*,\s*\w+)+\s*[}\]]")
# Labels given as a list (`--labels acceptable,needs_revision,reject`, `--classes a,b,c`,
# `--rubric ...`): of the realistic jobs so given, 246 sort texts, 122 images, 64 tag tokens
# and 11 draw boxes (their words say so); none generates.
_LABEL_LIST = re.compile(r"(?i)(?:--?(?:labels?|classes|categories|verdicts?|rubric|scale|choices|"
                         r"candidate[-_]labels|label[-_]set|options|tags)(?:\s*=\s*|\s+)|"
                         # ... or in a comment (`# labels: host_read_ad, programmatic_ad`)
                         r"(?<![\w-])(?:labels?|classes|categories):\s*)"
                         r"['\"\[]?[^\s,'\"]+(?:,\s?[^\s,'\"]+)+")


@dataclass(slots=True)
class Readings:
    """Readings of many jobs as arrays: sizes (N x 2, NaN unknown), task index (-1: open)."""

    size: np.ndarray
    task: np.ndarray
    names_model: np.ndarray  # bool: a model is named, whether or not its size is known
    words: np.ndarray  # index of the one narrow task the job's words name, -1 if none
    floor: np.ndarray | None = None  # a family line's smallest size (NaN: none), see JobReading
    code: np.ndarray | None = None  # bool: an uncatalogued code model, see JobReading
    # bool N x tasks: the named catalogued models' tasks where none settles it, see JobReading
    tasks: np.ndarray | None = None
    server: np.ndarray | None = None  # bool: a generation server declaring no task
    # The most parameters (billions) the memory each job used can hold (NaN: unbounded)
    ceiling: np.ndarray | None = None
    encoder: np.ndarray | None = None  # bool: the named model is an encoder, see JobReading
    vlm: np.ndarray | None = None  # bool: the named model also looks at images, see JobReading
    generalist: np.ndarray | None = None  # bool: a new generalist of unknown size, see JobReading
    embeds: np.ndarray | None = None  # bool: an embedding server, see JobReading
    heavy: np.ndarray | None = None  # bool: its unknown model's memory says large, `is_heavy`


def read_jobs(records: Sequence[JobRecord], *, words: bool = True) -> Readings:
    """Readings of `records`; jobs with the same text are read once.

    `words`: False leaves the job's own words unread (-1); `words_of` reads them for the jobs
    that need them.
    """
    size = np.full((len(records), 2), np.nan)
    task = np.full(len(records), -1, dtype=np.int64)
    named = np.zeros(len(records), dtype=bool)
    said = np.full(len(records), -1, dtype=np.int64)
    floor = np.full(len(records), np.nan)
    code = np.zeros(len(records), dtype=bool)
    tasks = np.zeros((len(records), len(TASKS)), dtype=bool)
    server = np.zeros(len(records), dtype=bool)
    ceiling = np.full(len(records), np.nan)
    encoder = np.zeros(len(records), dtype=bool)
    vlm = np.zeros(len(records), dtype=bool)
    generalist = np.zeros(len(records), dtype=bool)
    embeds = np.zeros(len(records), dtype=bool)
    heavy = np.zeros(len(records), dtype=bool)
    seen: dict[tuple[str | None, str, str | None], JobReading] = {}
    index = catalog_index()
    for i, record in enumerate(records):
        k = (record.model, record.text, record.task)
        found = seen.get(k)
        if found is None:
            found = seen[k] = read_job(record, index, words=words)
            if not words:  # what `read_text_of` would read: the suggestions ask it again
                _remember((id(index), *k), found)
        if found.size is not None:
            size[i] = found.size
        if found.task is not None:
            task[i] = TASKS.index(found.task)
        named[i] = found.names_model
        if found.words is not None:
            said[i] = TASKS.index(found.words)
        if found.floor_b is not None:
            floor[i] = found.floor_b
        code[i] = found.code
        for t in found.tasks:
            tasks[i, TASKS.index(t)] = True
        server[i] = found.server
        encoder[i] = found.encoder
        vlm[i] = found.vlm
        generalist[i] = found.generalist
        embeds[i] = found.embeds
        if found.size is None:  # a bound on a guess: none is made where the size is read
            most = size_ceiling(record, found.weight_bytes)
            if most is not None:
                ceiling[i] = most
            heavy[i] = found.names_model and is_heavy(record, found)
    return Readings(size, task, named, said, floor, code, tasks, server, ceiling, encoder,
                    vlm, generalist, embeds, heavy)


def words_of(records: Sequence[JobRecord], rows: np.ndarray) -> np.ndarray:
    """Index of the narrow task each job's words name, for the jobs where `rows`; else -1."""
    out = np.full(len(records), -1, dtype=np.int64)
    seen: dict[tuple[str, str, str | None, str | None, str | None], str | None] = {}
    index = catalog_index()  # once: it looks at the user's catalog file
    for i in np.flatnonzero(rows).tolist():
        record = records[i]
        k = (record.name, record.command, record.image, record.user, record.model)
        if k not in seen:
            seen[k] = job_words(record, index)
        found = seen[k]
        if found is not None:
            out[i] = TASKS.index(found)
    return out


_SEEN: dict[tuple[int, str | None, str, str | None], JobReading] = {}


def read_text_of(record: JobRecord) -> JobReading:
    """`read_job` without the job's words, remembered per text (the rules, suggestions)."""
    index = catalog_index()
    k = (id(index), record.model, record.text, record.task)
    found = _SEEN.get(k)
    if found is None:
        found = _remember(k, read_job(record, index, words=False))
    return found


def _remember(k: tuple[int, str | None, str, str | None], found: JobReading) -> JobReading:
    if len(_SEEN) >= 100_000:
        _SEEN.clear()
    _SEEN[k] = found
    return found


def forget() -> None:
    """Forget every reading remembered (jobs, model names, commands).

    The next job is read from scratch, as a job never seen is: for measuring what reading
    new jobs costs.
    """
    from analyzers.classifier import sizes, tasks
    from domain import mentions

    _SEEN.clear()
    sizes._NAMED.clear()
    tasks._name_said.cache_clear()
    mentions.mentions.cache_clear()
    mentions.without_settings.cache_clear()
