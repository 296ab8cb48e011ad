"""Where a job names the model it runs: its model field, a model flag, a served path.

One reader for every surface: the classifier's size and task, a suggestion's `from`, the
payload of an approved swap.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Where a job writes the model it runs: the value of a model flag or key, a served path.
_MENTION = re.compile(
    r"(?i)(?:(?<![\w-])--?(?:model|model[-_]id|model[-_]path|model[-_]dir|"
    r"model[-_]name(?:[-_]or[-_]path)?|"
    r"base[-_]model(?:[-_]id)?|pretrained|ckpt(?:[-_]path)?|checkpoint(?:[-_]path)?|weights|"
    r"hf[-_]model|llm(?:[-_]model)?|generator(?:[-_]model)?|chat[-_]model|backbone|arch|m|"
    # the model of a retrieval or vision step: `--reranker BAAI/...`, `--vlm openbmb/...`
    r"reranker|cross[-_]encoder|vlm|embedder|embedding[-_]model|"
    # a scoring step's model: `--rm acme/RM-8B`, `--judge-model`
    r"rm|reward[-_]model(?:[-_]path|[-_]name)?|judge(?:[-_]model)?|critic(?:[-_]model)?|"
    r"classifier(?:[-_]model)?|detector(?:[-_]model)?|"
    # a retriever's encoders (DPR's); `--encoder` (often a segmenter's backbone, `vitl`)
    # and `--onnx` only as a hub id or a path (`--encoder nvidia/MM-Embed`)
    r"(?:query|question|passage|ctx|context|doc)[-_]encoder|"
    r"(?:encoder|onnx)(?=(?:\s*=\s*|\s+)['\"]?[\w.-]+/)|"
    # ... and `--peft`, `--init` (a model to start from: `--init google/t5-v1_1-xxl`)
    r"(?:peft|init(?:[-_]from)?)(?=(?:\s*=\s*|\s+)['\"]?[\w.-]+/)|"
    # KServe's storage: `--storage_uri hf://acme/x`, `STORAGE_URI=hf://...` below (not a
    # volume claim, `pvc://faq-pvc`, named for whatever it holds)
    r"storage[-_]uri(?=(?:\s*=\s*|\s+)['\"]?(?!pvc:))|"
    # the model an RL rollout or trainer runs (`--policy acme/x`), LeRobot's `--policy.path=`
    r"policy(?:[-_]model|\.path|\.pretrained_path)?|"
    # an adapter counts the model it adapts; llama.cpp's `-hf` and `--hf-repo` take a hub repo
    r"adapter(?:[-_]path|[-_]id|[-_]name[-_]or[-_]path)?|lora[-_]path|peft[-_]model(?:[-_]id)?|"
    r"hf[-_]repo|hf)"
    r"|--base"  # a training script's base model (`--base unsloth/Phi-4-mini-instruct`)
    # a config group's model (Hydra's `judge.model=`, verl's `actor_rollout_ref.model.path=`;
    # not a backbone's: `model.backbone.pretrained=` is a detector's classifier)
    r"|(?<![\w.])(?:[\w-]+\.)+model(?:_name|_id|_path)?(?:\.(?:path|name|name_or_path|id))?"
    r"(?=\s*=)"
    r"|(?<![\w.])(?:model(?:_name|_id|_path|_dir)?|"
    r"model\.(?:name_or_path|pretrained|name|path|id|base|adapter\w*)|"
    r"pretrained(?:_name)?|MODEL_ID|MODEL_NAME|MODEL|"  # NeMo's `pretrained_name=...`
    # a launcher's environment (SkyPilot's `--env BASE_MODEL=...`, a script's `HF_MODEL_ID=`)
    r"base_model(?:_id|_name|_path)?|hf_model(?:_id|_name)?|backbone|llm(?:_id|_name|_model)|"
    r"reward_model(?:_id|_name|_path)?|storage_uri(?=\s*=\s*['\"]?(?!pvc:)))"  # MLflow's `-P x=`
    r"|\"MODEL(?:_ID|_NAME)?\":"  # a JSON environment: `{"env_vars": {"MODEL_ID": "..."}}`
    r"|vllm serve|ollama (?:run|pull)|--load-model|trtllm-serve|mlc_llm serve|aphrodite run|"
    r"lmdeploy serve (?:api_server|gradio))"
    # the value ends at a comma: lm-eval's `--model_args pretrained=acme/x,dtype=bfloat16`
    r"(?:\s*=\s*|\s+)['\"]?(?!-)([^\s'\"|,]+)")  # a flag after `vllm serve` is not a model
_GGUF = re.compile(r"(?i)[^\s'\"=|]+\.gguf")
# KServe's model servers take the name they serve under as `--model_name` (the model itself
# is `--model_id` or `--storage_uri`): an alias, like vLLM's `--served-model-name`.
_KSERVE_ALIAS = re.compile(r"(?i)--model[-_]name(?:\s*=\s*|\s+)[^\s'\"|]+")
# `python -m module` (and torchrun's, accelerate's, deepspeed's `-m`) runs a module: `-m`
# names a model only for other tools (llama.cpp).
_PYTHON_MODULE = re.compile(r"(?i)(\b(?:python[\d.]*|torchrun|accelerate launch|deepspeed)"
                            r"(?:\s+-[a-lnzA-Z]+)*\s+)-m\s+\S+")


# vLLM's LoRA adapters, `--lora-modules alias=repo [alias=repo ...]`: an adapter counts the
# model it adapts, and its name may say what it was tuned for (`...-RobloxGuard-1.0`).
# SGLang's are `--lora-paths alias=repo [...]`.
# TGI's are `--lora-adapters alias=repo`; a script's `--adapter repo` loads one.
_LORA_MODULES = re.compile(r"(?i)--lora-(?:modules|paths|adapters)((?:\s+[\w.-]+=[^\s'\"]+)+)")
_ADAPTER_FLAG = re.compile(r"(?i)--(?:adapter(?:[-_](?:path|id|name[-_]or[-_]path))?|lora[-_]path|"
                           r"peft[-_]model(?:[-_]id)?|peft(?=(?:\s*=\s*|\s+)['\"]?[\w.-]+/))"
                           r"(?:\s*=\s*|\s+)['\"]?([^\s'\"|,-][^\s'\"|,]*)")


def adapters(command: str) -> tuple[str, ...]:
    """The LoRA adapters a command loads (their repos or paths)."""
    found: tuple[str, ...] = ()
    if "--lora-" in command:
        found = tuple(m.split("=", 1)[1] for hit in _LORA_MODULES.finditer(command)
                      for m in hit.group(1).split())
    if "--adapter" in command or "--lora" in command or "--peft" in command:
        found += tuple(_ADAPTER_FLAG.findall(command))
    return found


# The last parts of a path that name a version or a checkpoint of the model above them
# (`s3://artifacts/risk/rex-omni/v8`, `/mnt/ckpt/acme-vl/step_21500/hf`), not the model.
_NOT_A_NAME = re.compile(r"(?i)(?:v?\d+(?:[._]\d+)*|(?:step|checkpoint|ckpt|epoch|iter|global_step|"
                         r"run|version)[-_]?\d*|final|latest|best|hf|merged|export(?:ed)?|"
                         r"model|weights|main|snapshots?|[0-9a-f]{12,40})")


# Words of a weights file's name that say its version, quantization or format, not its model
# (`/models/v12-Q6_K.gguf`, `ggml-model-f16.gguf`).
FILE_WORD = re.compile(r"(?i)v?\d+|i?q\d|[kslm]|xx?s|b?f(?:p)?(?:8|16|32)|gguf|ggml|bin|"
                       r"safetensors|onnx|pth?|model")


def file_words_only(part: str) -> bool:
    """Whether a path's part says only a file's version, quantization or format."""
    return all(FILE_WORD.fullmatch(w) for w in re.split(r"[-_.]+", part) if w)


@lru_cache(maxsize=65_536)
def model_name(mention: str) -> str:
    """A mention's model name: its path's last part, above any version or checkpoint parts.

    And above files that name no model (`/models/MiniCPM-V-4/ggml-model-Q4_K_M.gguf`).
    """
    parts = [p for p in mention.rstrip("/").split("/") if p]
    while len(parts) > 1 and (_NOT_A_NAME.fullmatch(parts[-1]) or file_words_only(parts[-1])):
        parts.pop()
    return parts[-1] if parts else mention


@lru_cache(maxsize=65_536)
def mentions(model: str | None, command: str) -> tuple[str, ...]:
    """The strings a job names its model with, the model field first.

    Then model flags, served paths and gguf files in its command: not a served alias, not a
    Python module run with `-m`, not a server setting (a speculative decoder's draft model).
    """
    found = [model] if model else []
    command = without_settings(command)  # a draft model, a parser: not the model it runs
    if "huggingfaceserver" in command or "kserve" in command.lower() or (
            # a pod's arguments only, its image the server's
            "--model_name" in command and ("--model_id" in command or "--storage_uri" in command)):
        command = _KSERVE_ALIAS.sub(" ", command)
    if "-m " in command:
        command = _PYTHON_MODULE.sub(r"\1", command)
    found += _MENTION.findall(command)
    if ".gguf" in command.lower():
        found += _GGUF.findall(command)
    if any(f.startswith("$") for f in found):  # `--model $MODEL`: what the script set
        values = {name: value for name, value in _ASSIGNMENT.findall(command)
                  if not value.startswith("$")}
        found = [_resolved(f, values) if f.startswith("$") else f for f in found]
    return tuple(f for f in found if f and not f.startswith(("-", "$")))


# Settings of inference servers (vLLM, SGLang, TGI, llama.cpp) and notebooks that never name
# the model a job runs nor what it does: engine tuning, parsers and templates, a speculative
# decoder's draft model. `--reasoning-parser deepseek_r1` serves no DeepSeek-R1, `--chat-template
# minicpmv` no MiniCPM-V, `--limit-mm-per-prompt image=5` classifies no images, `--jinja`
# (llama.cpp's chat templates) and `--ServerApp.token=''` are no task at all.
_VALUED = (
    "reasoning-parser", "tool-call-parser", "chat-template", "chat-template-content-format",
    "tokenizer-mode", "speculative-model", "speculative-config", "draft-model", "model-draft",
    "limit-mm-per-prompt", "mm-processor-kwargs", "max-model-len", "gpu-memory-utilization",
    "tensor-parallel-size", "pipeline-parallel-size", "data-parallel-size", "max-num-seqs",
    "max-num-batched-tokens", "kv-cache-dtype", "dtype", "quantization", "quantize",
    "max-loras", "max-lora-rank", "swap-space", "block-size", "seed", "port", "host",
    "hostname", "api-key", "uvicorn-log-level", "download-dir", "load-format",
    "distributed-executor-backend", "hf-overrides", "override-generation-config",
    "generation-config", "compilation-config", "rope-scaling", "rope-theta",
    "guided-decoding-backend", "response-role", "tp", "tp-size", "dp", "dp-size",
    "mem-fraction-static", "context-length", "max-running-requests", "chunked-prefill-size",
    "attention-backend", "cuda-graph-max-bs", "schedule-policy", "ctx-size", "n-gpu-layers",
    "flash-attn", "parallel", "ubatch-size", "cache-type-k", "cache-type-v", "split-mode",
    "tensor-split", "main-gpu", "max-input-tokens", "max-input-length", "max-total-tokens",
    "max-batch-prefill-tokens", "max-batch-total-tokens", "num-shard", "max-concurrent-requests",
    "cuda-memory-fraction",
)
_VALUED_SHORT = ("md", "ngl", "ctk", "ctv", "fa", "np", "ub", "tp", "pp", "dp", "sm", "ts", "mg")
_SWITCHES = (
    "jinja", "trust-remote-code", "enable-prefix-caching", "enable-chunked-prefill",
    "enforce-eager", "enable-auto-tool-choice", "enable-reasoning", "disable-log-requests",
    "disable-log-stats", "enable-expert-parallel", "async-scheduling", "enable-torch-compile",
    "disable-radix-cache", "cont-batching", "mlock", "no-mmap", "sharded", "no-browser",
    "allow-root",
)


def _dashed(names: tuple[str, ...]) -> str:
    """`--name` alternatives, each `-` in a name also written `_`."""
    return "|".join(re.escape(n).replace(r"\-", "[-_]") for n in
                    sorted(names, key=len, reverse=True))


_SETTING = re.compile(
    rf"(?i)(?<![\w-])(?:(?:--(?:{_dashed(_VALUED)})|-(?:{_dashed(_VALUED_SHORT)})|"
    r"--(?:Server|Notebook|Lab)App\.[\w.]+)(?:\s*=\s*|\s+)(?:'[^']*'|\"[^\"]*\"|\S+)"
    rf"|--(?:{_dashed(_SWITCHES)}))(?![\w-])")


@lru_cache(maxsize=4096)
def without_settings(text: str) -> str:
    """`text` without the settings that never name the model a job runs nor its task.

    Remembered for the last few thousand texts: a job's command is read for its mentions,
    its catalog names and its words.
    """
    return _SETTING.sub(" ", text) if "-" in text else text


# A shell variable as a script sets it (`export MODEL=...`, `CKPT="..."`), and as it is used.
_ASSIGNMENT = re.compile(r"(?:^|[\s;])(?:export\s+)?([A-Za-z_]\w*)=['\"]?([^\s'\";]+)")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")


def _resolved(mention: str, values: dict[str, str]) -> str:
    """A mention with its shell variables replaced by what the command sets them to.

    `$MODEL`, `${MODEL}`, `$ROOT/acme-7b`; a variable the command never sets reads as "";
    "" when nothing of a name is left.
    """
    text = _VARIABLE.sub(lambda used: values.get(used.group(1), ""), mention)
    return text if text.strip("/") else ""
