"""More naming styles of real clusters: inference servers, Kubernetes objects, launchers, trackers.

Each style renders one job (name, command, image) from a task cue and a model mention, as the
tool writes it; naming.STYLES gathers them. Traps that look like sizes (sweep, run and
checkpoint ids, replica-set hashes) are added on purpose: they are not sizes.
"""

from __future__ import annotations

import random

from analyzers.classifier.naming import TEAMS, Surface

_K8S = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of Kubernetes' generated name suffixes


def k8s_hash(rng: random.Random, n: int) -> str:
    """A generated suffix as Kubernetes writes it (no vowels, no 0, 1 or 3)."""
    return "".join(rng.choice(_K8S) for _ in range(n))


def pod(rng: random.Random, app: str) -> str:
    """A Deployment's pod: app, replica-set hash, pod suffix."""
    return f"{app}-{k8s_hash(rng, rng.choice((9, 10)))}-{k8s_hash(rng, 5)}"


def k8s_name(text: str) -> str:
    """A name as a Kubernetes object may carry it: lower case, dots and slashes as dashes."""
    return text.lower().replace(".", "-").replace("/", "-").replace("_", "-").replace(":", "-")


def run_id(rng: random.Random) -> str:
    """A sweep, run or checkpoint id that may look like a size (`sweep-12b`, `ckpt-7b`)."""
    word = rng.choice(("sweep", "run", "ckpt", "checkpoint", "trial", "step", "exp", "epoch"))
    tail = rng.choice((f"{rng.randint(1, 99)}{rng.choice('bm')}", f"{rng.randint(100, 9999)}",
                       f"{rng.randint(1, 99)}{rng.choice('abcdef')}{rng.randint(0, 9)}"))
    return f"{word}-{tail}"


def _cue(cue: str | None, default: str) -> str:
    return cue or default


def vllm_served(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    served = _cue(cue, rng.choice(("default", "primary", "gw")))
    entry = rng.choice(("vllm serve {m}",
                        "python -m vllm.entrypoints.openai.api_server --model {m}"))
    flags = f" --served-model-name {served} --max-model-len {rng.choice((4096, 8192, 32768))}"
    if rng.random() < 0.3:
        flags += f" --quantization {rng.choice(('awq', 'gptq', 'fp8'))}"
    return Surface(pod(rng, k8s_name(served) + "-vllm"),
                   entry.format(m=model or "/mnt/models") + flags, "vllm/vllm-openai:v0.8.5")


def sglang(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    command = (f"python3 -m sglang.launch_server --model-path {model or '/models/active'} "
               f"--tp {rng.choice((1, 2, 4, 8))} --port 30000")
    return Surface(f"{_cue(cue, 'sgl')}-sglang-{rng.randint(0, 3)}", command,
                   "lmsysorg/sglang:v0.4.6-cu124")


def triton(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    folder = "_".join(p for p in (cue, k8s_name(model.split("/")[-1]) if model else None) if p)
    command = (f"tritonserver --model-repository=s3://triton-repo/{folder or 'ensemble'} "
               f"--model-control-mode=explicit --load-model={folder or 'ensemble'}")
    return Surface(pod(rng, f"triton-{_cue(cue, 'server')}"), command,
                   "nvcr.io/nvidia/tritonserver:24.08-py3")


def kserve(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    isvc = k8s_name(_cue(cue, rng.choice(("llm", "model", "svc"))))
    if model and rng.random() < 0.4:
        isvc = f"{isvc}-{k8s_name(model.split('/')[-1])}"[:50].strip("-")
    name = f"{isvc}-predictor-{rng.randint(1, 9):05d}-deployment-{k8s_hash(rng, 10)}-" \
           f"{k8s_hash(rng, 5)}"
    uri = f"--model_id={model}" if model else f"--storage_uri=pvc://{isvc}-pvc"
    command = f"python -m huggingfaceserver --model_name={isvc} {uri}"
    return Surface(name, command, "kserve/huggingfaceserver:v0.14.0")


def rayserve(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    app = _cue(cue, "app").replace("-", "_")
    args = f" model_id={model}" if model else ""
    return Surface(f"rayservice-{k8s_name(app)}-raycluster-{k8s_hash(rng, 5)}-head",
                   f"serve run serve_{app}:deployment{args}", "rayproject/ray-ml:2.40.0-gpu")


def gguf(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    quant = rng.choice(("Q4_K_M", "Q5_K_M", "Q8_0", "IQ4_XS", "Q6_K"))
    path = f"/models/{model.split('/')[-1]}-{quant}.gguf" if model else "/models/model.gguf"
    tool = rng.choice(("llama-server -m", "./llama-cli -m", "python -m llama_cpp.server --model"))
    return Surface(f"{_cue(cue, 'llamacpp')}-{rng.choice(('cpp', 'gguf', 'local'))}",
                   f"{tool} {path} -c 4096 -ngl 99", "ghcr.io/ggerganov/llama.cpp:server-cuda")


def lora(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    adapter = f"adapters/{_cue(cue, 'ft')}-lora-r{rng.choice((8, 16, 64))}"
    flag = rng.choice(("--base_model", "--model_name_or_path", "--base-model-id"))
    base = f" {flag} {model}" if model else ""
    command = f"python peft_train.py{base} --lora_r 16 --output_dir {adapter}"
    if rng.random() < 0.4:
        command = (f"vllm serve {model or '/models/base'} --enable-lora "
                   f"--lora-modules {_cue(cue, 'ft')}={adapter}")
    return Surface(f"{_cue(cue, 'peft')}-lora-{rng.choice(('ft', 'train', 'serve'))}", command)


def launcher_hydra(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    launcher = rng.choice(("torchrun --nnodes 2 --nproc-per-node 8", "accelerate launch "
                           "--config_file fsdp.yaml", "deepspeed --num_gpus 8",
                           "python -m torch.distributed.run --nproc_per_node=4"))
    key = rng.choice(("model.name_or_path", "model.pretrained", "model=", "backbone.name"))
    model_arg = (f" {key}{model}" if key.endswith("=") else f" {key}={model}") if model else ""
    data = f" data={cue.replace('-', '_')}" if cue else ""
    return Surface(f"{rng.choice(TEAMS)}-{run_id(rng)}",
                   f"{launcher} train.py{model_arg}{data} trainer.max_steps="
                   f"{rng.randint(1, 50) * 1000} +experiment={rng.choice(('base', 'ablate'))}")


def mlflow(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    run = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    params = f" -P model_name={model}" if model else ""
    if cue:
        params += f" -P dataset={cue}"
    return Surface(f"mlflow-run-{run[:12]}", f"mlflow run . -e train{params}",
                   f"ghcr.io/{rng.choice(TEAMS)}/mlflow-train:{rng.randint(1, 9)}")


def skypilot(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    env = f" --env MODEL_ID={model}" if model else ""
    return Surface(f"sky-{_cue(cue, 'task')}-{k8s_hash(rng, 4)}-head",
                   f"sky launch -c {_cue(cue, 'dev')}-{rng.choice(TEAMS)} serve.yaml{env} "
                   f"--gpus H100:{rng.choice((1, 2, 8))}")


def sbatch(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    job = _cue(cue, rng.choice(("job", "train", "eval")))
    command = (f"#!/bin/bash\n#SBATCH --job-name={job}\n#SBATCH --gres=gpu:{rng.choice((1, 4, 8))}"
               f"\nsrun python {rng.choice(('train.py', 'eval.py', 'infer.py'))}"
               + (f" --model {model}" if model else "") + f" --out runs/{run_id(rng)}")
    return Surface(f"{job}_{run_id(rng)}" if rng.random() < 0.5 else job, command)


def ollama_tag(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    return Surface(pod(rng, f"ollama-{_cue(cue, 'local')}"),
                   f"ollama run {model}" if model else "ollama serve", "ollama/ollama:0.6.8")


def tgi_k8s(rng: random.Random, cue: str | None, model: str | None, task: str) -> Surface:
    command = (f"text-generation-launcher --model-id {model or '/data'} "
               f"--max-input-tokens {rng.choice((2048, 4096))} --num-shard {rng.choice((1, 2))}")
    app = k8s_name(_cue(cue, "tgi"))
    if model and rng.random() < 0.5:
        app = f"{app}-{k8s_name(model.split('/')[-1])}"[:40].strip("-")
    return Surface(pod(rng, app), command, "ghcr.io/huggingface/text-generation-inference:3.0")


EXTRA_STYLES = {
    "vllm_served": vllm_served, "sglang": sglang, "triton": triton, "kserve": kserve,
    "rayserve": rayserve, "gguf": gguf, "lora": lora, "launcher_hydra": launcher_hydra,
    "mlflow": mlflow, "skypilot": skypilot, "sbatch": sbatch, "ollama_tag": ollama_tag,
    "tgi_k8s": tgi_k8s,
}
