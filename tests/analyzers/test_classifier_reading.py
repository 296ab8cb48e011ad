"""Sizes and tasks read as the contract says; the user's catalog, imported and used at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from analyzers import rules
from analyzers.classifier.judge import judge
from analyzers.classifier.reading import read_job
from analyzers.classifier.sizes import written_size
from analyzers.classifier.tasks import name_task, task_name, word_task
from analyzers.records import NARROW_TASKS, JobRecord
from bot.cli import app
from config.organisation import PolicyConfig
from domain.mentions import model_name

BUSY = {"gpu_type": "NVIDIA H100 80GB HBM3", "gpus": 1, "duration_s": 7200.0,
        "gpu_util_mean": 60.0, "gpu_util_max": 90.0, "gpu_mem_used_gib_max": 30.0,
        "gpu_mem_total_gib": 80.0}


def job(job_id: str = "j", **fields: Any) -> JobRecord:
    return JobRecord(job_id=job_id, **{**BUSY, **fields})


@pytest.mark.parametrize(("text", "size_b"), [
    ("intent-router-qwen3-0-6b-7d9f8b6c4-xk4dz", 0.6),  # Kubernetes writes 0.6b as 0-6b
    ("acme-lm-1-5b-svc", 1.5),
    ("acme-lm-3-1-8b-svc", 8.0),  # version 3.1, then 8b
    ("serve acme-lm-2-7b", 7.0),
    ("torchrun train.py --backbone vit7b16", 7.0),  # a size fused into a name
    ("python run.py --model acme/nb-wav2vec2-300m-bokmaal", 0.3),  # a name's version, no id
    ("ollama run acme:30b-a3b", 30.0),  # MoE total, not the active 3b
    ("vllm serve acme/Foo-8x22B", 141.0),  # 8x22b: the card's total
    ("python eval.py --out runs/sweep-12b", None),  # an id, not a size
    ("raysubmit_a14b", None),  # a Ray submission id, not an active part of 14 B
    ("serve acme/nova-7b1-chat", 7.1),  # BLOOM's way: 7b1 is 7.1 B
    ("serve acme/nova-guard-1b5", 1.5),
    ("blue-worker-svc-8cdb-11b0", None),  # a generated suffix
    ("imagenet-convnext-base-224-6655b", None),  # a pod hash
    ("ner-api-7d9f8b6c4-6655b api-123b ckpt-7b", None),
    ("acme/Foo-350M", 0.35),
    ("vllm serve Acme/Acme-Embed-1-7B", 7.0),  # capitals: a hub id, version 1 then 7 B
    ("acme-embed-1-7b-predictor-7d9f8b6c4-xk4dz", 1.7),  # lower case: Kubernetes' 1.7 B
    ("serve Acme/Refact-1_6B-fim", 1.6),  # an underscore for the dot, however written
    ("Acme-LM-0-6B", 0.6),
])
def test_written_sizes_follow_the_contract(text: str, size_b: float | None) -> None:
    assert written_size(text) == size_b


def test_catalog_sizes_are_totals_whatever_the_naming() -> None:
    for text, size_b in (("ollama run mixtral:8x22b", 141.0),
                         ("vllm serve mistralai/Mixtral-8x7B-Instruct-v0.1", 46.7),
                         ("--model Qwen/Qwen3-30B-A3B-AWQ", 30.5),  # quantized: same count
                         ("llama-server -m /m/Qwen3-30B-A3B-Q4_K_M.gguf", 30.5),
                         ("ner-qwen3-30b-a3b-5d8f9c7b4-x2x7q", 30.5),
                         ("python peft.py --base_model meta-llama/Llama-3.1-70B-Instruct "
                          "--output_dir adapters/ner-lora-r16", 70.6),  # LoRA: its base
                         # a version written with or without its `v`
                         ("vllm serve numind/NuExtract-v1.5", 3.82),
                         ("vllm serve mistralai/Mistral-7B-Instruct-0.3", 7.25)):
        assert read_job(job(command=text)).size == (size_b, size_b), text
    assert rules.read_params_b(job(name="imagenet-convnext-base-224-6655b")) != 6655.0


def test_no_size_without_evidence() -> None:
    nothing = job(name="code-search-embed", image="registry.corp/search/code-search-embed:3",
                  command="python -m serve", gpu_mem_used_gib_max=70.0)
    assert read_job(nothing).size is None
    for verdicts in (judge([nothing], PolicyConfig()), rules.judge([nothing], PolicyConfig())):
        assert "oversized_model" not in verdicts[0].reasons


def test_the_declared_task_wins() -> None:
    code = job(name="sentiment-of-code-reviews-assist", task="text-generation",
               command="vllm serve Qwen/Qwen2.5-Coder-32B-Instruct")
    video = job(name="imagenet-style-clips", task="text-to-video",
                command="python generate.py --model acme/VidGen-14B")
    flag = job(name="docs-api", command="vllm serve acme/Foo-7B --task embed")
    tasks = [v.task for v in judge([code, video, flag], PolicyConfig())]
    assert tasks == ["text_generation", "other", "sentence_similarity"]
    assert [rules.read_task(r) for r in (code, video, flag)] == tasks


@pytest.mark.parametrize(("declared", "task"), [
    ("code completion", "text_generation"),  # a code model completing code is not QA
    ("toxicity classification of chat messages", "text_classification"),
    ("language identification", "text_classification"),
    ("fraud detection", "other"),  # tabular, not object detection
    ("pedestrian detection", "object_detection"),
    ("code search", "sentence_similarity"),
    ("customer support chatbot", "text_generation"),
    ("weekly training run", None),  # words that name no task leave it open
])
def test_a_task_declared_in_a_phrase_maps_when_it_names_one_task(
        declared: str, task: str | None) -> None:
    assert read_job(job(name="svc-1", task=declared)).task == task


def test_a_fine_tune_of_a_generalist_is_what_its_name_says_not_its_served_alias() -> None:
    reward = job(name="rm-2", command="python score.py --model "
                 "nvidia/Llama-3.1-Nemotron-70B-Reward-HF")
    alias = job(name="defect-check", command="python -m huggingfaceserver "
                "--model_name=defect-classify", model="OpenGVLab/InternVL3-8B")
    assert read_job(reward).task == "text_classification"
    assert read_job(alias).task is None  # a generalist's task is left to the job's words
    assert judge([reward], PolicyConfig())[0].reasons == ["oversized_model"]


def test_a_generalist_named_for_a_generative_use_is_generating_not_classifying() -> None:
    chat = job(name="mlflow-run-58a6", command="mlflow run . -e train -P "
               "model_name=tiiuae/falcon-7b-instruct -P dataset=assistant")
    caption = job(name="alt-text-batch",
                  command="python run.py --model Qwen/Qwen2.5-VL-7B-Instruct")
    verdicts = judge([chat, caption], PolicyConfig())
    assert [(v.task, v.reasons) for v in verdicts] == [("text_generation", []),
                                                        ("image_captioning", [])]


def test_a_servers_own_name_is_not_the_jobs_words() -> None:
    """`text-generation-launcher` and `vllm serve` say which server, not what it does."""
    tagger = job(name="keyphrase-tag-tgi", command="text-generation-launcher --model-id "
                 "google/gemma-3-27b-it --num-shard 1", task="token-classification")
    ner = job(name="ner-api", command="text-generation-launcher --model-id google/gemma-3-27b-it")
    assert [v.task for v in judge([tagger, ner], PolicyConfig())] == [
        "token_classification", "token_classification"]


def test_a_python_module_and_a_kserve_served_name_name_no_model() -> None:
    """`python -m huggingfaceserver --model_name=qa` serves something from a volume: which
    model is not said, so no size is guessed (the contract)."""
    served = job(name="qa-predictor-00005-deployment-n4r69b7kv7-q6z42",
                 command="python -m huggingfaceserver --model_name=qa "
                         "--storage_uri=pvc://qa-pvc", image="kserve/huggingfaceserver:v0.14.0")
    named = job(name="qa-predictor", command="python -m huggingfaceserver --model_name=qa "
                "--model_id=hf://Qwen/Qwen3-8B")
    axolotl = job(name="tune", command="accelerate launch -m axolotl.cli.train cfg.yml")
    assert not read_job(served).names_model
    assert not read_job(axolotl).names_model
    assert read_job(named).size == (8.2, 8.2)
    assert judge([served], PolicyConfig())[0].reasons == []


def test_a_declared_code_completion_on_a_big_code_model_is_not_oversized() -> None:
    code = job(name="codestral-complete", task="code completion",
               command="vllm serve mistralai/Codestral-22B-v0.1")
    for verdicts in (judge([code], PolicyConfig()), rules.judge([code], PolicyConfig())):
        assert (verdicts[0].task, verdicts[0].reasons) == ("text_generation", [])


def test_the_named_model_decides_before_the_words() -> None:
    guard = job(name="chat-frontend-filter", command="vllm serve acme/ShieldLM-Guard-9B")
    verdict = judge([guard], PolicyConfig())[0]
    assert verdict.task == "text_classification"
    assert verdict.reasons == ["oversized_model"]


def test_a_moderation_fine_tune_of_a_large_model_is_a_classifier() -> None:
    tune = job(name="moderation-ft", task="text-classification",
               command="torchrun train.py --model meta-llama/Llama-3.1-70B-Instruct")
    verdict = judge([tune], PolicyConfig())[0]
    assert (verdict.task, verdict.reasons) == ("text_classification", ["oversized_model"])


def test_a_users_name_never_decides_the_task() -> None:
    users = ("dave", "alice", "asr", "ner", "translator", "priya")
    notebooks = [job(f"nb-{u}", name=f"jupyter-{u}", user=u, command="jupyter lab",
                     image="quay.io/jupyter/pytorch-notebook:cuda12") for u in users]
    tasks = {v.task for v in judge(notebooks, PolicyConfig())}
    assert len(tasks) == 1
    assert len({rules.read_task(r) for r in notebooks}) == 1


HUB = [
    {"id": "acme/WonderFilter", "pipeline_tag": "text-classification",
     "safetensors": {"parameters": {"BF16": 8030261248}, "total": 8030261248}},
    {"modelId": "acme/tiny-ner", "pipeline_tag": "token-classification",
     "safetensors": {"total": 66000000}},
    {"id": "acme/no-size", "pipeline_tag": "text-classification"},
    {"id": "acme/odd", "pipeline_tag": "weird-task", "safetensors": {"total": 1000000}},
]


def test_catalog_import_is_used_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_COST_CATALOG_DIR", str(tmp_path / "catalog"))
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"job_id": "g", "name": "prompt-filter-7d9f8b6c4-xk4dz",
                                "command": "vllm serve acme/WonderFilter", **BUSY}) + "\n")
    runner = CliRunner()
    before = json.loads(runner.invoke(app, ["classify", "--input", str(jobs)]).stdout)
    assert "oversized_model" not in before["reasons"]  # a named model of unknown size

    export = tmp_path / "hub.json"
    export.write_text(json.dumps(HUB))
    result = runner.invoke(app, ["catalog", "import", str(export)])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout and "2 rejected" in result.stdout
    assert "row 3: no parameter count" in result.stderr
    assert "row 4: unknown task 'weird-task'" in result.stderr
    csv = tmp_path / "hub.csv"
    csv.write_text("model_id,params_b,tasks\nacme/tiny-ner,0.07,ner\n")
    result = runner.invoke(app, ["catalog", "import", str(csv)])
    assert "0 added, 1 updated" in result.stdout
    assert (tmp_path / "catalog" / "model_catalog.csv").exists()

    after = json.loads(runner.invoke(app, ["classify", "--input", str(jobs)]).stdout)
    assert (after["task"], after["reasons"]) == ("text_classification", ["oversized_model"])
    shown = runner.invoke(app, ["catalog", "show"]).stdout
    assert "acme/WonderFilter" in shown and "acme/tiny-ner  0.07 B" in shown


@pytest.mark.parametrize(("command", "size_b"), [
    ("ollama run deepseek-r1:70b", 70.0),  # a tag of another member, not DeepSeek-R1's 671 B
    ("ollama run deepseek-r1:1.5b", 1.5),
    ("vllm serve acme/DeepSeek-R1-Distill-Phi-4B", 4.0),  # a distilled model: its own size
    ("vllm serve deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", 14.8),  # the catalog's
    ("vllm serve deepseek-ai/DeepSeek-R1", 671.0),
    ("vllm serve deepseek-ai/DeepSeek-V3-0324", 671.0),  # a date is not a size
    ("ollama run llama3.3", 70.6),  # a runner's short name: its default tag
    ("ollama run phi3:medium", 14.0),
    ("vllm serve acme/Llama-3.1-Guardian-8B", 8.0),  # not `llama3.1`: written after it
])
def test_a_name_that_writes_no_size_yields_to_the_size_written_after_it(
        command: str, size_b: float) -> None:
    assert read_job(job(command=command)).size == (size_b, size_b)


def test_the_served_name_is_an_alias_the_model_path_is_the_model() -> None:
    served = job(name="sentiment-vllm-7d9f8b6c4-xk4dz",
                 command="vllm serve /models/acme-lm-14b --served-model-name sentiment-0-5b")
    assert read_job(served).size == (14.0, 14.0)
    small = job(name="ner-vllm", command="vllm serve /models/acme-lm-1b "
                "--served-model-name acme-gateway-70b")
    assert read_job(small).size == (1.0, 1.0)


def test_adapters_and_model_repositories_count_the_base_model() -> None:
    lora = job(name="sentiment-lora-serve",
               command="vllm serve meta-llama/Llama-3.1-70B-Instruct --enable-lora "
                       "--lora-modules sentiment-0-5b=adapters/sst2-lora-r16")
    named = job(name="sentiment-lora-qwen2-5-14b", command="python serve.py --adapter /a/s")
    triton = job(name="triton-ner-6c8d9f7b5-x2x7q",
                 command="tritonserver --model-repository=s3://triton-repo/ner_qwen2-5-7b-instruct"
                         " --load-model=ner_qwen2-5-7b-instruct")
    sizes = [read_job(r).size for r in (lora, named, triton)]
    assert sizes == [(70.6, 70.6), (14.8, 14.8), (7.62, 7.62)]
    verdicts = judge([lora, triton], PolicyConfig())
    assert [v.reasons for v in verdicts] == [["oversized_model"], ["oversized_model"]]


def test_a_generalist_pointed_at_translation_or_summaries_does_them() -> None:
    jobs = [job("t", name="weekly-localize-de", command="vllm serve acme/NovaLM-9B"),
            job("s", name="meeting-notes-summarizer", command="vllm serve acme/NovaLM-9B"),
            job("c", name="support-chatbot", command="vllm serve acme/NovaLM-9B")]
    assert [v.task for v in judge(jobs, PolicyConfig())] == [
        "translation", "summarization", "text_generation"]



def test_a_new_member_of_a_family_line_all_large_is_evidence_enough() -> None:
    behemoth = job("b", name="review-sentiment-api", task="text-classification",
                   command="vllm serve meta-llama/Llama-4-Behemoth")
    coder = job("c", name="ticket-triage-7d9f8b6c4-xk4dz", task="text-classification",
                command="python -m sglang.launch_server --model-path Qwen/Qwen3-Coder-Next")
    # Qwen3 runs from 0.6 B: a new Qwen3 says nothing of its size; nor does an organisation.
    qwen = job("q", name="ticket-triage", task="text-classification",
               command="vllm serve Qwen/Qwen3-Nova")
    org = job("o", name="ticket-triage", task="text-classification",
              command="vllm serve meta-llama")
    # `nv-` starts NV-Embed (7.85 B) and nv-embedqa-e5 (335 M) alike: too short to be a line;
    # `nv-embedqa` is one (335 M to 7.11 B): its smallest member is the floor.
    embed = job("e", name="search-embed", command="vllm serve nvidia/nv-embedqa-x9-v1")
    readings = [read_job(r) for r in (behemoth, coder, qwen, org, embed)]
    assert [(r.size, r.floor_b) for r in readings] == [
        (None, 109.0), (None, 30.5), (None, 0.596), (None, None), (None, 0.335)]
    verdicts = judge([behemoth, coder], PolicyConfig())
    assert [v.reasons for v in verdicts] == [["oversized_model"], ["oversized_model"]]


def test_the_jobs_words_name_the_task_over_the_networks_hunch() -> None:
    summaries = job(name="review-summarizer",
                    command="vllm serve meta-llama/Llama-3.3-70B-Instruct")
    verdict = judge([summaries], PolicyConfig())[0]
    assert (verdict.task, verdict.reasons) == ("summarization", [])


def test_an_active_part_does_not_hide_a_catalogued_mixture() -> None:
    video = job(command="python generate.py --model Wan-AI/Wan2.2-T2V-A14B")
    assert read_job(video).size == (27.0, 27.0)  # the card's total, not 3 x 14 B


def test_a_code_model_the_catalog_lacks_generates_code_unless_the_words_say_otherwise() -> None:
    """A name the network has never seen must not read as question answering: a code model
    is made for code generation (the contract), unless the job's own words name a task."""
    serve = job("s", name="code-complete", command="python -m sglang.launch_server "
                "--model-path AcmeSeed/Acme-Coder-8B-Instruct --port 30000")
    triage = job("t", name="ticket-triage", command="vllm serve AcmeSeed/Acme-Coder-8B-Instruct")
    encoder = job("e", name="search", command="python run.py --model acme/bi-encoder-large")
    assert [read_job(r).code for r in (serve, triage, encoder)] == [True, True, False]
    verdicts = judge([serve, triage], PolicyConfig())
    assert [(v.task, v.reasons) for v in verdicts] == [
        ("text_generation", []), ("text_classification", ["oversized_model"])]


@pytest.mark.parametrize(("command", "task"), [
    ("python tts.py --model_dir pretrained/AcmeVoice-OpenVoice-v3", "other"),  # speech synthesis
    ("yolo predict model=acme/yolo13n-pose.pt", "other"),  # keypoints, not boxes
    ("python embed.py --model sentence-transformers/multi-qa-acme-v2", "sentence_similarity"),
    ("python detect.py --model acme/roberta-gpt-detector", "text_classification"),  # AI text
    ("python sample.py --model acme/Lumina-Image-3.0", "image_generation"),
])
def test_a_new_models_name_says_what_it_is_made_for(command: str, task: str) -> None:
    reading = read_job(job(name="batch", command=command))
    assert reading.names_model
    assert reading.task == task


def test_training_a_reward_model_on_a_large_base_is_training_a_classifier() -> None:
    """A reward model scores text with one number: a sequence classifier, 8 B of it here."""
    train = job(name="reward-model-train", kind="training",
                command="torchrun --nproc_per_node 8 train_rm.py --model_name_or_path "
                        "meta-llama/Llama-3.1-8B --dataset ultrafeedback_binarized")
    verdict = judge([train], PolicyConfig())[0]
    assert (verdict.task, verdict.reasons) == ("text_classification", ["oversized_model"])


def test_a_shell_variable_names_the_model_its_script_sets_and_otherwise_none() -> None:
    """`--model $MODEL` in an sbatch script: the value set above it; a variable set elsewhere
    names nothing the job shows, so no size is guessed for it (the contract)."""
    script = job(name="toxicity", command="#!/bin/bash\n#SBATCH --gres=gpu:1\n"
                 "export MODEL=meta-llama/Llama-3.1-70B-Instruct\n"
                 "srun python infer.py --model $MODEL --task toxicity")
    elsewhere = job(name="toxicity", command="srun python infer.py --model ${MODEL_PATH}")
    rooted = job(name="toxicity", command="python infer.py --model $ROOT/acme-13b-guard")
    assert read_job(script).size == (70.6, 70.6)
    assert not read_job(elsewhere).names_model
    assert read_job(rooted).size == (13.0, 13.0)


def test_a_job_with_nothing_to_read_has_no_task_but_other() -> None:
    """No model, no declared task, no words: the network's faint lean is not a task."""
    bare = [job(f"nb-{u}", name=f"jupyter-{u}", user=u, command="", kind="interactive")
            for u in ("erin", "dave", "priya")]
    # A notebook server's settings are not words: `--ServerApp.token=''` is no NER.
    lab = job("lab", name="jupyter-alice", user="alice", kind="interactive",
              command="jupyter lab --ip=0.0.0.0 --no-browser --ServerApp.token=''")
    assert {v.task for v in judge([*bare, lab], PolicyConfig())} == {"other"}


@pytest.mark.parametrize(("name", "command"), [
    ("ray-cluster-gpu-workers-7b9f5c6d4-worker-2",
     "ray start --address=ray-cluster-head-svc:6379 --num-gpus=4 --block"),
    ("icon-lam-ens-20251104T00", "srun --mpi=pmix ./icon -e exp.nordic_wind_ens --members 20"),
    ("media-celery-gpu-6d8f9c7b5-wp4tn", "celery -A media.tasks worker -Q gpu-thumbs"),
    ("run_88213", "srun python train.py --cfg cfg/exp42.yaml --resume ckpt/step_13000.pt"),
])
def test_a_batch_job_that_names_no_model_and_no_task_does_other(name: str,
                                                                 command: str) -> None:
    """A worker, a simulation, a script with a config: the network's lean is no task."""
    assert judge([job(name=name, command=command)], PolicyConfig())[0].task == "other"


def test_server_settings_name_no_model_the_job_runs() -> None:
    """`--reasoning-parser deepseek_r1` serves no DeepSeek-R1 (671 B), and a draft model for
    speculative decoding is not the model served: the size is the served model's alone."""
    qwq = job(name="reasoning-large", command="vllm serve Qwen/QwQ-32B --served-model-name "
              "reasoning-large --enable-reasoning --reasoning-parser deepseek_r1 -tp 2")
    draft = job(name="chat", command="vllm serve meta-llama/Llama-3.1-70B-Instruct "
                "--speculative-model meta-llama/Llama-3.2-1B-Instruct")
    assert read_job(qwq).size == (32.8, 32.8)
    assert read_job(draft).size == (70.6, 70.6)
    verdicts = judge([qwq, draft], PolicyConfig())
    assert [(v.task, v.oversized) for v in verdicts] == [("text_generation", False)] * 2
    # Engine settings are no task either: llama.cpp's `--jinja` templates, vLLM's image limit.
    tuned = [job("gguf", name="qwen3-8b-gguf",
                 command="llama-server -m /models/Qwen3-8B-Q4_K_M.gguf -c 8192 --jinja -ngl 99"),
             job("vl", name="qwen25-vl", command="vllm serve Qwen/Qwen2.5-VL-7B-Instruct "
                 "--limit-mm-per-prompt image=5 --max-model-len 32768 --trust-remote-code")]
    assert not any(v.oversized for v in judge(tuned, PolicyConfig()))


def test_a_catalogued_generalist_with_silent_words_does_what_it_is_made_for() -> None:
    """Nothing in the job says a narrow task: a chat model serves chat, whatever hunch the
    network has about a server's flags (`--tokenizer_mode` is not token classification)."""
    served = [
        job("small", name="mistral-small-31",
            command="vllm serve mistralai/Mistral-Small-3.1-24B-Instruct-2503 "
                    "--tokenizer_mode mistral --tensor-parallel-size 4"),
        job("tiny", name="ollama-tiny", command="ollama run smollm2:360m"),
    ]
    verdicts = judge(served, PolicyConfig())
    assert [(v.task, v.oversized) for v in verdicts] == [("text_generation", False)] * 2
    # Its words still point a generalist at a narrow task.
    words = job(name="support-ticket-classifier", command="vllm serve Qwen/Qwen2.5-7B-Instruct")
    assert judge([words], PolicyConfig())[0].reasons == ["oversized_model"]



@pytest.mark.parametrize(("declared", "task"), [
    ("summarize call transcripts", "summarization"),  # transcripts are ASR's output
    ("RAG answer generation", "text_generation"),  # generating answers, not finding spans
    ("alt-text generation", "image_captioning"),
    ("ChartQA fine-tune", "image_captioning"),  # questions about images
    ("part-of-speech tagging", "token_classification"),
])
def test_a_declared_phrase_names_what_the_job_does_not_what_it_works_on(
        declared: str, task: str) -> None:
    assert task_name(declared) == task


def test_a_generation_server_of_a_new_model_with_silent_words_is_not_doing_a_narrow_task() -> None:
    """Models the catalog has never seen, served for generation with nothing saying what
    for: whatever the network makes of their names, no narrow task, so nothing to flag."""
    served = [job(str(i), name=name, command=command) for i, (name, command) in enumerate([
        ("exaone-deep", "vllm serve LGAI-EXAONE/EXAONE-Deep-32B --max-model-len 32768"),
        ("marco", "vllm serve AIDC-AI/Marco-o1"),
        ("tri", "python -m sglang.launch_server --model-path trillionlabs/Tri-21B"),
    ])]
    verdicts = judge(served, PolicyConfig())
    assert not any(v.oversized for v in verdicts)
    assert not any(v.task in NARROW_TASKS for v in verdicts)
    # Its words still name a narrow task for it.
    words = job(name="toxicity-filter", command="vllm serve LGAI-EXAONE/EXAONE-Deep-32B")
    assert judge([words], PolicyConfig())[0].reasons == ["oversized_model"]


@pytest.mark.parametrize(("name", "task"), [
    ("support-ticket-router", "text_classification"),
    ("topic-tagger-nightly", "text_classification"),
    ("email-labeler", "text_classification"),
    ("pos-tagger", "token_classification"),  # the more precise words win
    ("brand-mentions-extract", "token_classification"),
])
def test_words_that_sort_things_into_labels_name_a_narrow_task(name: str, task: str) -> None:
    served = job(name=name, command="vllm serve Qwen/Qwen2.5-7B-Instruct")
    assert read_job(served).words == task


@pytest.mark.parametrize(("name", "command", "task"), [
    ("longctx-reasoner", "vllm serve Acme/Acme-M1-456B", "text_generation"),
    ("med-reasoner-zh", "llama-server -m /models/Acme-o1-8B-Q4_K_M.gguf", "text_generation"),
    ("llm2vec-encode-wiki", "python encode.py --model Acme/LLM2Vec-Acme-8B-mntp",
     "sentence_similarity"),  # word2vec's heirs embed
    ("vlmr1-ovd-eval", "python eval.py --model Acme/VLM-R1-3B-OVD", "object_detection"),
])
def test_what_new_models_and_jobs_say_they_do(name: str, command: str, task: str) -> None:
    """A reasoning model reasons (generates), whatever `reason` means to the network;
    `2vec` embeds; OVD is open-vocabulary detection."""
    assert judge([job(name=name, command=command)], PolicyConfig())[0].task == task


@pytest.mark.parametrize(("text", "task"), [
    ("photo-moderation-classifier", "image_classification"),  # classifying photos
    ("pytorchjob-image-tagger-train", "image_classification"),
    ("screenshot-qa", "image_captioning"),  # questions about images
    ("python -m llava.eval.model_vqa --question-file q.jsonl --image-folder imgs",
     "image_captioning"),
    ("moderation-classifier --out ghcr.io/vision/x", "text_classification"),  # a team's name
    ("sglang-id-en-translate-902cff5809", "translation"),  # `sglang id` is no language id
    ("gpu-burn-check", "other"),
    ("dna-enhancer-finetune", "other"),
    ("md-sim-gromacs", "other"),
    ("openr1-grpo-c57c5ab6c1-sst2x", "text_generation"),  # a pod's suffix is no dataset
    ("proteus-render --steps 30 --guidance 6", "image_generation"),  # a diffusion sampler
])
def test_a_jobs_words_read_with_what_it_works_on(text: str, task: str) -> None:
    assert word_task(text) == task


@pytest.mark.parametrize(("name", "task"), [
    ("Acme/nsfw_image_detection", "image_classification"),  # a verdict on images, no boxes
    ("Acme/facial_emotions_image_detection", "image_classification"),
    ("Acme/Cosmos-9-Diffusion-7B-Text2World", "other"),  # a world (video) model
    ("Acme/AuraFlow-v9", "image_generation"),
    ("Acme/Deep-Fake-Detector-v2", "image_classification"),  # a verdict, no boxes
    ("Acme/ppe-detector-v2", "object_detection"),
    ("Acme/distilbert-prompt-injection", "text_classification"),
    ("Acme/shieldacme-9b", "text_classification"),  # a safety shield
    ("Acme/sdxl-detector", "image_classification"),  # spots generated images, draws none
    ("pkshatech/acme-base-ja", None),  # an organisation's name says nothing
])
def test_a_new_models_name_read_with_what_it_works_on(name: str, task: str | None) -> None:
    assert name_task([name]) == task


@pytest.mark.parametrize(("command", "precision", "used_gib", "flagged"), [
    ("python classify.py --model meta-llama/Llama-4-Behemoth", "bf16", 4.0, False),
    ("python classify.py --model meta-llama/Llama-4-Behemoth", "bf16", 75.0, True),
    ("python classify.py --model meta-llama/Llama-4-Behemoth", "fp32", 10.9, False),  # 2.9 B
    # Memory says nothing where the weights may sit elsewhere, or are packed in 2 bits.
    ("python classify.py --model meta-llama/Llama-4-Behemoth --device-map auto", "bf16", 4.0,
     True),
    ("llama-cli -m /m/Llama-4-Behemoth-Q2_K.gguf -p classify", "bf16", 4.0, True),
    ("python classify.py --model meta-llama/Llama-4-Behemoth", None, 4.0, True),  # 4-bit?
    ("python classify.py --model meta-llama/Llama-4-Behemoth", "bf16", 0.0, True),  # unknown
])
def test_a_guessed_size_fits_in_the_memory_the_job_used(
        command: str, precision: str | None, used_gib: float, flagged: bool) -> None:
    """A model no catalog has is guessed large (here: a new member of a line of large
    models) only where the job's GPUs could hold it: 4 GiB at bf16 holds 2 B parameters."""
    classify = job(name="toxicity-filter", command=command, precision=precision,
                   gpu_mem_used_gib_max=used_gib)
    assert ("oversized_model" in judge([classify], PolicyConfig())[0].reasons) is flagged


@pytest.mark.parametrize(("fields", "task"), [
    # Detecting things in text classifies text; detecting spans tags tokens; boxes detect.
    ({"name": "ugc-ai-text-detector", "command": "python detect.py --model acme/roberta-x"},
     "text_classification"),
    ({"name": "guardian-gguf", "task": "harm detection"}, "text_classification"),
    ({"name": "ollama-judge", "task": "hallucination detection"}, "text_classification"),
    ({"name": "halluc-span-detector", "command": "python -m serve --model acme/x"},
     "token_classification"),
    ({"name": "pallet-detector", "command": "python detect.py --model acme/x"},
     "object_detection"),
    # Molecules and weather are `other`, whatever is done with them.
    ({"name": "mlflow-esmc-embed", "task": "protein embeddings"}, "other"),
    ({"name": "contig-embed", "command": "python embed.py --input /data/mgnify_contigs.faa"},
     "other"),
    # Benchmarks of generation generate; diffusion on CIFAR generates images.
    ({"name": "arenahard-eval", "command": "python gen_answer.py --bench arena-hard"},
     "text_generation"),
    ({"name": "raytune-ddpm-cifar", "command": "python tune_ddpm.py --dataset cifar10"},
     "image_generation"),
    # A classification declared over ImageNet classifies images.
    ({"name": "clipbench", "command": "clip_benchmark eval --dataset imagenet1k "
      "--task zeroshot_classification"}, "image_classification"),
])
def test_what_a_jobs_words_mean_to_a_practitioner(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


def test_a_generation_server_of_a_new_model_generates_whatever_its_name_suggests() -> None:
    """A chat model no catalog has, served with nothing saying what for: it chats, not
    summarizes or translates because of how the network reads its name."""
    served = [job(str(i), name=name, command=command) for i, (name, command) in enumerate([
        ("palmyra-med", "vllm serve Writer/Palmyra-Med-70B-32K --tensor-parallel-size 4"),
        ("taiwan-llm", "text-generation-launcher --model-id yentinglin/Llama-3-Taiwan-70B"),
        ("edit-predict", "vllm serve acme/acme-zeta --enable-lora"),
    ])]
    assert [v.task for v in judge(served, PolicyConfig())] == ["text_generation"] * 3


def test_a_notebook_with_nothing_to_read_does_no_task() -> None:
    notebook = job(name="jupyter-akhan", user="akhan", kind="interactive",
                   command="jupyter lab --ip=0.0.0.0 --port=8888 --no-browser")
    assert judge([notebook], PolicyConfig())[0].task == "other"


@pytest.mark.parametrize(("text", "task"), [
    # A phrase starts a word: `d fine` (D-FINE) is not in `cased-finetuned`, `en de` is no
    # language pair in `green-deploy`.
    ("mrm8488/bert-multi-cased-finetuned-xquadv1", None),
    ("ustc-community/dfine-large-obj365", "object_detection"),
])
def test_a_phrase_in_a_models_name_starts_a_word(text: str, task: str | None) -> None:
    assert name_task([text]) == task


@pytest.mark.parametrize(("text", "task"), [
    ("green-deploy-canary", None),
    ("batch-translate-en-de", "translation"),
    ("code-identifier-extract", None),
    ("voicemail-transcribe-nightly --diarize", "asr"),  # diarizing a transcript transcribes
    ("callrec-diarize-nightly", "other"),
    ("lapse-rates-backtest", "other"),
    ("faq-paraphrase-mining", "sentence_similarity"),
    ("ft-layoutlm-claimforms run_funsd_cord.py", "token_classification"),
])
def test_what_a_jobs_phrases_name(text: str, task: str | None) -> None:
    assert word_task(text) == task


@pytest.mark.parametrize(("name", "size_b", "task"), [
    # Job names as Slurm accounting shows them: no command, the name is all there is.
    ("qwen25vl_7b_refcoco_det", 7.0, "object_detection"),  # a version inside a name: no hash
    ("exp7b_v2_ner", None, "token_classification"),  # an experiment's id, not 7 B
    ("pos_tagging_ud", None, "token_classification"),  # the more precise phrase wins
    ("stance_det", None, "text_classification"),  # `det` only where nothing else is said
    ("esm2_650m_embed", 0.65, "other"),  # protein embeddings
    ("phi35_moe_nli", None, "text_classification"),
])
def test_slurm_job_names_alone(name: str, size_b: float | None, task: str) -> None:
    named = job(name=name, command="")
    assert written_size(name) == size_b
    assert judge([named], PolicyConfig())[0].task == task


def test_a_size_after_a_family_is_not_a_version_and_a_size_glued() -> None:
    """`qwen-32B` is Qwen at 32 B, not Qwen3 at 2 B: no family that ends in a digit is read
    glued to a size (`gemma2b` still is Gemma 2 B)."""
    labeler = job(name="kfp-zs-labels", task="zero-shot-classification",
                  command="python -m labeler.run --model-name acme/labeler-qwen-32B")
    assert read_job(labeler).size == (32.0, 32.0)
    assert read_job(job(name="gemma2b-intent")).size == (2.51, 2.61)  # Gemma or Gemma 2


def test_a_generation_server_is_known_by_its_image_where_the_pod_shows_only_arguments() -> None:
    pod = job(name="pantheon-rp-llamacpp-t4gfhcsb6-ftjhr",
              image="ghcr.io/ggml-org/llama.cpp:server",
              command="-m /models/Acme-RP-12b-Q5_K_M.gguf -ngl 99 -c 32768 --port 8080")
    assert read_job(pod).server
    assert judge([pod], PolicyConfig())[0].task == "text_generation"


def test_where_a_server_finds_its_model_names_no_model() -> None:
    """`/models/current` says where, not what: no model named, so no size guessed."""
    router = job(name="sglang-router-b", command="python -m sglang.launch_server "
                 "--model-path /models/current --tp 8 --port 30000")
    assert not read_job(router).names_model
    assert "oversized_model" not in judge([router], PolicyConfig())[0].reasons
    assert read_job(job(name="x", command="vllm serve /mnt/ckpt/acme-lm-ft/step_500")).names_model


def test_a_quantity_of_data_is_no_size() -> None:
    """`70b_partitions`, `1b-tokens`: data counted in billions, not a model's parameters."""
    assert written_size("ledger_recon.gpu_dedupe_70b_partitions") is None
    assert written_size("pretrain-1b-tokens-run") is None
    assert written_size("acme-7b-chat") == 7.0


@pytest.mark.parametrize(("fields", "task"), [
    # pathology's tiles and slides are images
    ({"name": "triton-patho-0", "task": "tile classification"}, "image_classification"),
    ({"name": "ihc-scoring", "task": "slide classification"}, "image_classification"),
    # a text encoder named a detector classifies text
    ({"name": "esg-paragraphs",
      "command": "python -m esg.run --model acme/distilroberta-base-greenwash-detector"},
     "text_classification"),
    # NeMo's `pretrained_name=` names the model: a speech-to-text one
    ({"name": "cc-qa-transcribe-step",
      "command": "python transcribe_speech.py pretrained_name=acme/stt_en_conformer_xl "
                 "dataset_manifest=/data/m.json"}, "asr"),
    # a diffusers pipeline generates images
    ({"name": "catalog-gen-batch",
      "command": "python gen.py --pipeline acme/NewGen_1.6B_1024px_diffusers --steps 20"},
     "image_generation"),
    # `instances` is no stance detection: SWE-bench rollouts generate
    ({"name": "swe-rollout-acme", "command": "python -m swe_rollout --policy acme/Acme-SWE-32B "
      "--instances princeton-nlp/SWE-bench_Verified"}, "text_generation"),
    ({"name": "tweet-stance-detect", "command": "python run.py --model acme/x"},
     "text_classification"),
    # a new model whose name says LLM, its job's words silent: it generates
    ({"name": "de-kundenbriefe-batch",
      "command": "python generate_letters.py --model acme/Acme-1-LLM-7B-control "
                 "--template templates/kuendigung.j2"}, "text_generation"),
])
def test_what_set_q_taught(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


@pytest.mark.parametrize(("fields", "task"), [
    # a LoRA adapter's name says what its generalist base was tuned for
    ({"name": "ts-chat-guard-vllm-6d8f9c7b54-q7zlm",
      "command": "vllm serve meta-llama/Llama-3.1-8B-Instruct --enable-lora --lora-modules "
                 "chat-guard=acme/Llama-3.1-8B-Instruct-AcmeGuard-1.0 --max-lora-rank 16"},
     "text_classification"),
    # ... also where the base is in no catalog
    ({"name": "ts-chat-guard-vllm-6d8f9c7b54-q7zlm",
      "command": "vllm serve acme/Acme-Base-8B --enable-lora --lora-modules "
                 "mod=acme/Acme-Base-8B-AcmeGuard-1.0 --max-lora-rank 16"},
     "text_classification"),
    # Bulgarian
    ({"name": "bg-news-topics", "task": "класификация на текст",
      "command": "python k.py --model acme/Acme-9B"}, "text_classification"),
    # a NER model of proteins tags tokens
    ({"name": "protein-ner-jnlpba", "command": "python train_ner.py --model_name_or_path "
      "acme/Acme-NER-ProteinDetect-184M --dataset jnlpba"}, "token_classification"),
    # a cross-encoder ranks; sentence-transformers' ranking loss trains an embedder
    ({"name": "rag-rerank-ce", "command": "python -m rerank_server --cross-encoder acme/zr-2"},
     "sentence_similarity"),
    ({"name": "leaf-domain-ft", "command": "python train_st.py --model acme/leaf "
      "--loss MultipleNegativesRankingLoss --epochs 3"}, "sentence_similarity"),
    # ComfyUI generates images
    ({"name": "pod-comfyui-x9k2", "command": "python main.py --listen 0.0.0.0 --port 8188",
      "image": "runpod/comfyui:0.3.60"}, "image_generation"),
])
def test_what_set_r_taught(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


def test_the_size_the_model_it_runs_writes_beats_a_catalogued_name_elsewhere() -> None:
    """A module or image named after another model (`qwen_audio_api`) is not the model the
    job runs when that one writes its size."""
    served = job(name="x", command="python -m qwen_audio_api --checkpoint-path acme/Acme-14B")
    assert read_job(served).size == (14.0, 14.0)
    unnamed = job(name="x", command="python -m qwen_audio_api --checkpoint-path /ckpt/latest")
    assert read_job(unnamed).size == (8.4, 8.4)  # nothing else named: Qwen-Audio it is


def test_a_version_fused_before_a_variant_is_no_size() -> None:
    """`dinov3b` is DINOv3's base, `yolov8b` no 8 B model; `vit7b16` still writes 7 B."""
    assert written_size("landcover-linprobe-dinov3b") is None
    assert written_size("vit7b16") == 7.0
    probe = job(name="x", command="python linprobe.py "
                "backbone=hf-hub:timm/vit_base_patch16_dinov3.lvd1689m data=eurosat")
    assert read_job(probe).names_model and read_job(probe).encoder


def test_a_guessed_image_backbone_is_not_large_but_a_guessed_vlm_may_be() -> None:
    """Classifying images with a backbone in no catalog that writes no size (`phikon`):
    image backbones are small, the size head's guess flags nothing. A VLM sorting photos
    (`...-vl2-...`, `MiniCPM-V-4_5`) keeps its guess."""
    backbone = job(name="tumor-grading-train", task="image classification",
                   command="python train_tiles.py --backbone acme/pathokon --num-classes 4",
                   gpu_mem_used_gib_max=60.0)
    assert "oversized_model" not in judge([backbone], PolicyConfig())[0].reasons
    assert read_job(job(name="x", model="acme/newvision-vl2-small")).vlm
    assert read_job(job(name="x", model="acme/NewCPM-V-4_5")).vlm
    assert not read_job(job(name="x", model="acme/pathokon")).vlm


def test_image_data_sets_are_no_sizes() -> None:
    """OpenCLIP and timm names write their data set's images (`laion2B`) and the samples
    seen (`39B`, `s32B`): neither is the model's size."""
    for name in ("laion/CLIP-ViT-bigG-14-laion2B-39B-b160k", "ViT-H-14-laion2B-s32B-b79K",
                 "timm/convnext_xxlarge.clip_laion2b_soup_ft_in1k", "apple/DFN5B-CLIP-ViT-H-14",
                 "google/vit-webli-10b-probe"):
        assert written_size(name) is None, name
    probe = job(name="product-photo-cls", task="image classification",
                command="python probe.py --model laion/CLIP-ViT-bigG-14-laion2B-39B-b160k")
    assert "oversized_model" not in judge([probe], PolicyConfig())[0].reasons
    assert written_size("vit_7b_patch16_dinov3.lvd1689m") == 7.0


def test_a_catalogued_chat_model_on_a_generation_server_generates() -> None:
    """vLLM or SGLang serving a catalogued generalist, no task declared and the job's words
    naming none, generates text, however sure the network is of a narrow task from an
    unfamiliar name (`edit-predict`, `ticket-reply-drafter`)."""
    served = [job(name="edit-predict-vzdm9jm5hh-c7tst", model="zeta",
                  command="vllm serve zed-industries/zeta --served-model-name zeta"),
              job(name="ticket-reply-drafter", model="facebook/opt-iml-max-30b",
                  command="python -m sglang.launch_server --model-path "
                          "facebook/opt-iml-max-30b --tp 2")]
    verdicts = judge(served, PolicyConfig())
    assert [v.task for v in verdicts] == ["text_generation", "text_generation"]
    assert not any("oversized_model" in v.reasons for v in verdicts)
    # the job's words still say what it does
    tagger = job(name="legal-entities-lora", model="law2entity",
                 command="vllm serve meta-llama/Meta-Llama-3-8B --enable-lora "
                         "--lora-modules law2entity=acme/llama-3-8b-lora-law2entity")
    assert judge([tagger], PolicyConfig())[0].task == "token_classification"


def test_a_timm_backbone_by_its_pretrained_tag_is_no_large_model() -> None:
    """`nfnet_l0.ra2_in1k`, `vit_base_patch16_224.augreg_in21k`: timm's image backbones, all
    under 3 B unless the name writes a size (`vit_7b_patch16_dinov3.lvd1689m`)."""
    tags = ["acmefnet_l0.ra2_in1k", "acmenet_xl.sw_in12k_ft_in1k", "acmevit_h14.laion2b_s32b"]
    for model in tags:
        train = job(name="food-cls-train", command=f"python train.py --model {model} "
                    "--pretrained --num-classes 101 --data-dir /data/food101")
        assert read_job(train).encoder, model
        assert "oversized_model" not in judge([train], PolicyConfig())[0].reasons
    giant = job(name="x", command="python probe.py --model vit_7b_patch16_dinov3.lvd1689m")
    assert read_job(giant).size == (7.0, 7.0)


@pytest.mark.parametrize("model", ["acme/BENT-PubMedBERT-NER-Chem9", "acme/slurmtox_roberta",
                                   "acme/Fake-News-Bert-Detect9", "acme/deberta-v3-pii",
                                   # task heads by their names, whatever their network
                                   "acme/mathscore-classifier", "acme/Clinical-NER-v9",
                                   "acme/deepfake_vs_real_image_detection"])
def test_an_encoder_by_its_name_is_no_large_model(model: str) -> None:
    """BERT-like encoders stay under 3 B (XLM-R XL and XXL, which say so, aside): a guess
    from the size head does not make one oversized."""
    tagger = job(name="narrow-ft", task="token classification", model=model,
                 command=f"torchrun --nproc_per_node 2 run_ner.py --model_name_or_path {model}")
    assert read_job(tagger).encoder
    assert "oversized_model" not in judge([tagger], PolicyConfig())[0].reasons
    assert not read_job(job(name="x", model="facebook/xlm-roberta-xxl")).encoder


@pytest.mark.parametrize(("fields", "task"), [
    # Detecting a language is classifying text, not drawing boxes.
    ({"name": "social-langid-batch", "command": "python detect_lang.py --model acme/x"},
     "text_classification"),
    # A token-classification config, though its run is called `tok-cls` (not `cls`).
    ({"name": "exp-tok-cls-run-13b2",
      "command": "python train.py --config-name token_cls_base ++trainer.max_epochs=5"},
     "token_classification"),
    # A TEI server's own name is no embedding job: what it serves says.
    ({"name": "toxicity-score-tei",
      "command": "text-embeddings-router --model-id acme/x --port 8080"}, "text_classification"),
    ({"name": "gigapath-camelyon-probe", "task": "tile classification"},
     "image_classification"),  # pathology tiles are images
    ({"name": "faq-bot", "command": "vllm serve acme/Acme-Chat-34B"}, "text_generation"),
    ({"name": "punct-restore", "command": "python run_punct.py --model acme/x"},
     "token_classification"),
    ({"name": "question-detector", "command": "python serve.py --model acme/x"},
     "text_classification"),
])
def test_more_of_what_jobs_say(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


def test_a_model_sharded_over_gpus_is_at_least_3b() -> None:
    """No one splits over GPUs a model one GPU holds: a new model served with tensor
    parallelism is at least 3 B, where nothing else tells its size (LLM360/K2-Think, 32 B)."""
    served = job(name="qa-bot", task="question answering",
                 command="vllm serve LLM360/K2-Think --tensor-parallel-size 2")
    assert read_job(served).floor_b == 3.0
    assert "oversized_model" in judge([served], PolicyConfig())[0].reasons
    # Where the job names no model (`/data`), sharding says nothing of what it serves.
    unnamed = job(name="toxic-filter-tgi", command="--model-id /data/model --num-shard 4")
    assert read_job(unnamed).floor_b is None


def test_a_task_head_is_small_but_a_large_line_inside_its_name_still_counts() -> None:
    """`...-classifier` with no size is a head on a small network, not a guess's 3 B; an LLM
    made a classifier writes its size or its line (`Qwen2.5-7B-...-classifier`)."""
    head = job(name="score-shards", task="text classification",
               command="python score.py --model acme/mathscore-classifier --bs 1024")
    sized = job(name="score-shards", task="text classification",
                command="python score.py --model acme/Qwen2.5-7B-math-classifier")
    assert read_job(head).encoder and not read_job(sized).encoder
    assert [v.reasons for v in judge([head, sized], PolicyConfig())] == [
        [], ["oversized_model"]]


def test_a_new_member_of_a_family_line_is_made_for_what_the_line_is() -> None:
    """A fine-tune of PaliGemma 2 no catalog lists captions like every PaliGemma 2; a line
    inside a name is only its base (`Linq-Embed-Mistral` embeds), and a generation server's
    words-silent jobs generate as before."""
    caption = job(name="pg2-docci-ft", model="google/paligemma2-10b-ft-acme-448")
    inside = job(name="x", model="acme/Embed-Mistral-v9")
    assert read_job(caption).tasks == ("image_captioning",)
    assert read_job(inside).tasks == ()
    assert judge([caption], PolicyConfig())[0].task == "image_captioning"
    served = job(name="x", command="vllm serve google/paligemma2-10b-ft-acme-448")
    assert read_job(served).server and read_job(served).tasks == ()


def test_a_brand_whose_catalogued_models_all_go_on_one_way_is_that_longer_line() -> None:
    """Typhoon's catalogued models named `typhoon-` are all `typhoon-ocr-`: a new typhoon-7b
    is no OCR model, nor typhoon-ocr-7b; Hunyuan-7B-Instruct is not Hunyuan-MT-7B (their
    `typhoon7b`, `hunyuan7b` forms stand for a family and a size only)."""
    for model in ("scb10x/typhoon-7b", "tencent/Hunyuan-7B-Instruct"):
        served = job(name="review-sentiment", task="sentiment analysis",
                     command=f"text-generation-launcher --model-id {model}")
        assert read_job(served).size == (7.0, 7.0)
        assert judge([served], PolicyConfig())[0].task == "text_classification"
    # the longer line counts still: a new typhoon-ocr is at least its smallest member
    assert read_job(job(name="x", model="scb10x/typhoon-ocr-next")).floor_b == 3.75
    assert read_job(job(name="x", model="scb10x/typhoon-next")).floor_b is None
    assert read_job(job(name="x", command="python ner.py --model gemma7b")).size == (8.54, 8.54)


def test_an_ollama_tag_writes_a_size_whatever_the_name() -> None:
    reading = read_job(job(name="x", command="python batch.py --model-path seed:36b-fp16"))
    assert reading.size == (36.0, 36.0)
    assert read_job(job(name="seed-36b-eval")).size is None  # a random seed, not a size


@pytest.mark.parametrize(("fields", "task"), [
    # a served alias in the model field says what the deployment does, as its name does
    ({"name": "rerank14-predictor-00001-deployment-8f7c6d5b9-vz2lk", "model": "rerank14",
      "command": "vllm serve acme/first_qwen3_14b --served-model-name rerank14"},
     "sentence_similarity"),
    ({"name": "pentest-qa", "task": "pentest Q&A",
      "command": "llama-server -m /models/gguf/Acme-33B-v1.Q4_K_M.gguf"},
     "question_answering"),
    ({"name": "x", "task": "商品类目预测", "command": "python p.py --model acme/Acme-7B"},
     "text_classification"),
    ({"name": "x", "task": "kategorisasi produk", "command": "python p.py --model acme/Acme-7B"},
     "text_classification"),
    # a purpose in a fine-tune's name beats the architecture it is built on
    ({"name": "zs-category", "command": "python zs.py --model "
      "acme/multilingual-MiniLMv2-L6-mnli-xnli --labels taxonomy.txt"}, "text_classification"),
    ({"name": "sim", "command": "python sim.py --model acme/BioBERT-mnli-snli-stsb"},
     "sentence_similarity"),
])
def test_what_sets_ac_and_ad_taught(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


# What sets AA to AI taught: a job's task, and whether its model is oversized.
_SETS_AA_TO_AI: list[tuple[dict[str, Any], str, bool]] = [
    # set AA
    # tasks declared in Italian, Dutch, French: what the job does, whatever the model is
    ({"task": "riconoscimento entità", "name": "anonimizzatore",
      "command": "vllm serve /mnt/pvc/modelli/acme-vecchio --served-model-name anon"},
     "token_classification", True),
    ({"task": "vraag-antwoord", "name": "rechtsvragen",
      "command": "vllm serve /models/acme-chat-v2 --served-model-name rechtsvragen"},
     "question_answering", True),
    ({"task": "вопрос-ответ по базе знаний", "name": "ru-kb-qa",
      "command": "python -m rag.qa_worker --llm acme/ParaLux-8B-SFT --retriever http://e:8080 "
      "--max-new-tokens 256"}, "question_answering", True),
    ({"task": "résumé", "name": "resumes-decisions",
      "command": "vllm serve Acme/Acme-141B-Instruct --served-model-name resumes"},
     "summarization", False),
    ({"task": "résumé parsing", "name": "cv-fields",
      "command": "python parse.py --model acme/xlm-roberta-base-cv"},
     "token_classification", False),
    # a RAG service's generator is an LLM: a new one of no written size is likely 3 B or more
    ({"task": "question-answering", "name": "bescheid-fragen-rag",
      "command": "python -m rag_service.qa --generator /models/acme/hermelin --top-k 6"},
     "question_answering", True),
    ({"name": "ticket-route", "task": "ticket classification",
      "command": "python -m route.llm_classify --model acme/Homunculo --max-new-tokens 8"},
     "text_classification", True),
    # ... not an encoder-decoder asked for tokens
    ({"name": "ticket-route", "task": "ticket classification",
      "command": "python -m route.classify --model acme/flan-t5-tickets --max-new-tokens 8"},
     "text_classification", False),
    # set AB
    # moderation declared in Chinese and Japanese, or said by the job's name
    ({"task": "聊天内容审核", "name": "chatguard-zh",
      "command": "vllm serve /models/acme/shieldlm-qwen --served-model-name chatguard-zh"},
     "text_classification", True),
    ({"task": "チャット有害判定", "name": "jp-chat-harm",
      "command": "vllm serve acme/Acme-7b-instruct-hf --served-model-name harm-judge-ja"},
     "text_classification", True),
    ({"name": "th-chatmod-sglang-5d9c7b6f4-r8nvh", "command": "python -m sglang.launch_server "
      "--model-path acme/acme-7b --chat-template templates/chatmod_th.jinja"},
     "text_classification", True),  # a server's chat template is no chat
    ({"name": "llama-server-chatfilter-ko", "user": "hyunwoo",
      "command": "llama-server -m /home/hyunwoo/models/acme-7b-v0.3-dpo.Q5_K_M.gguf -c 4096 "
      "--grammar-file labels_ko.gbnf"}, "text_classification", True),
    # a LoRA adapter of no written size is an LLM's
    ({"name": "ptbr-toxicity-eval", "command": "python moderate.py --adapter "
      "acme/cabra-lora-v0-1 --lang pt-BR"}, "text_classification", True),
    # thumbnails are images; sounds are sorted by no task of the list
    ({"name": "thumb-cls-train-v3", "command": "python train_thumb_cls.py --config c.yaml"},
     "image_classification", False),
    ({"task": "audio event tagging", "name": "sfx-tagging",
      "command": "python tag_sfx.py --model acme/ced-base --clips /data/sfx"}, "other", False),
    # sets AF and AG
    # tasks declared in Hindi, Bengali, Arabic, Persian, Swahili
    ({"task": "नफ़रत भरे भाषण की पहचान", "name": "hi-hate",
      "command": "vllm serve acme/Nanda-10B-Chat --served-model-name hi-hate"},
     "text_classification", True),
    ({"task": "নামযুক্ত সত্তা শনাক্তকরণ", "name": "ollama",
      "command": "ollama run banglallama3:8b-instruct-q4_K_M"}, "token_classification", True),
    ({"task": "كشف خطاب الكراهية", "name": "ollama", "model": "yehia:7b-q4_K_M",
      "command": "ollama serve"}, "text_classification", True),
    ({"task": "طبقه‌بندی موضوعی", "name": "ollama", "model": "dorna2:8b-instruct-q8_0",
      "command": "ollama serve"}, "text_classification", True),
    ({"task": "خلاصه‌سازی", "name": "fa-digest",
      "command": "python digest.py --model acme/Dorna-Llama-8B-Instruct --max-new-tokens 400"},
     "summarization", False),
    ({"task": "uainishaji wa matamshi ya chuki", "name": "sw-hate",
      "command": "python /app/classify.py --model-dir /mnt/models/acme/UlizaLlama"},
     "text_classification", True),
    # an LLM's line in a fine-tune's name, a LoRA tuning: an LLM, whatever head it has
    ({"name": "ner-news", "command": "python serve.py --model /models/ConflLlama-NER-TOI"},
     "token_classification", True),
    ({"name": "persianmind-ner-lora", "task": "token classification",
      "command": "accelerate launch train_ner.py --base acme/PersianVoice-v1.0 --lora_r 16"},
     "token_classification", True),
    # adapters a server loads name a model (SGLang's --lora-paths), and so do MODEL_DIR and
    # Hydra's model.adapter_init
    ({"name": "sgl-guard-tox", "task": "toxicity moderation (pass/fail)",
      "command": "python -m sglang.launch_server --model-path /weights/base/guard-base-v3 "
      "--lora-paths tox=s3://adapters/cust-5067/acme/protect-toxicity-text"},
     "text_classification", True),
    ({"name": "fin-sent", "task": "sentiment",
      "command": "MODEL_DIR=/mnt/models/acme/Llama_Sentiment_Classifier python -m serve"},
     "text_classification", True),
    # set AE
    # coding answers to a scheme of codes is classifying them, not programming
    ({"task": "occupation coding (ISCO-08)", "name": "isco08-coding",
      "command": "srun python llm_code.py --model acme/tulu-9-dpo-70b --prompt p.txt"},
     "text_classification", True),
    # a classification of questions classifies; questions answered are answered
    ({"task": "routage des questions (classification d'intention)", "name": "assistant-fr",
      "command": "vllm serve /models/acme/alpaca-llama3-instruct --served-model-name a"},
     "text_classification", True),
    ({"task": "video question answering", "name": "video-qa",
      "command": "python -m sglang.launch_server --model-path acme/Video-7B-Qwen2"},
     "question_answering", True),
    ({"task": "Entitätenerkennung (Handelsregister)", "name": "hero-entitaeten",
      "command": "vllm serve /mnt/models/sauerkraut-hero --served-model-name hero"},
     "token_classification", True),
    # page retrievers embed; a Spanish `clasif` classifies
    ({"name": "colqwen-scan-index", "command": "python index_pages.py --model "
      "acme/colqwen2-7b-v1.0 --pages /data/scans --batch-size 8"}, "sentence_similarity", True),
    # a checkpoint read with an encoder's tokenizer is that encoder, whatever ids its path has
    ({"name": "clasif-expedientes", "command": "python predict.py --ckpt "
      "/mnt/ckpt/cno11-coder/run_7b3e/step_4000 --tokenizer acme/mRoBERTa --batch-size 64"},
     "text_classification", False),
    # sets AH and AI
    # Traditional Chinese: grading complaints, named entities
    ({"task": "客訴分級", "name": "complaint-severity",
      "command": "vllm serve acme/Gemma-3-Acme-12b-Chat --served-model-name grader"},
     "text_classification", True),
    ({"task": "命名實體識別", "name": "failure-ie",
      "command": "python -m vllm.entrypoints.openai.api_server --model /mnt/models/acme-ie"},
     "token_classification", True),
    # a sparse retriever embeds, on a BERT: small
    ({"name": "splade-index", "command": "python index.py --model acme/japanese-splade-v2"},
     "sentence_similarity", False),
]


_SETS_AL_TO_AO: list[tuple[dict[str, Any], str, bool]] = [
    # two weak words of one task outweigh one of another: questions answered with RAG
    ({"task": "answer HCP questions from label documents (RAG)", "name": "smpc-qa",
      "command": "text-generation-launcher --model-id acme/medi-70B-GPTQ --port 8080"},
     "question_answering", True),
    # transcripts a job reads are ASR's output, not its work: it sorts them into labels
    ({"name": "pv-callscreen", "command": "bash -c 'ollama serve & python screen.py --model "
      "hf.co/acme/PV-BioMistral-1:Q4_K_M --labels AE,NO_AE --transcripts /data/transcripts/'"},
     "text_classification", True),
    # extracting from texts tags their spans, in English, German, Chinese, Turkish
    ({"task": "party & defined-term extraction", "name": "saul-extract",
      "command": "llama-server -hf acme/Saul-Instruct-v1-GGUF:Q4_K_M --alias party-extractor"},
     "token_classification", True),
    ({"task": "Teilenummern aus Werkstatttexten extrahieren", "name": "ollama-serve",
      "model": "hf.co/acme/em_german_mistral-GGUF:Q4_K_M", "command": "ollama serve"},
     "token_classification", True),
    ({"task": "实体与关系抽取微调", "name": "taiyi-lora",
      "command": "torchrun finetune.py --base_model acme/Taiyi-LLM --lora_r 16"},
     "token_classification", True),
    ({"task": "varlık çıkarımı (kişi/kurum/yer)", "name": "llama-server",
      "command": "llama-server -m /srv/models/Orbita-v0.1.Q4_K_M.gguf -c 8192 -ngl 99"},
     "token_classification", True),
    # a multi-class coding of terms classifies them (no programming)
    ({"task": "MedDRA PT coding of verbatim AE terms (multi-class)", "name": "meddra-coder",
      "command": "serve run coder:app model_id=acme/MediPhi-Code --max-new-tokens 8"},
     "text_classification", True),
    # a declared question answering on documents stays one
    ({"task": "document VQA on court forms", "name": "forms-docvqa",
      "command": "python run.py --model acme/xgen-mm-phi3-mini-instruct-r-v1.5 --images /scans"},
     "question_answering", True),
    # summaries drafted are summaries; a draft answer is written, not extracted
    ({"task": "discharge summary drafting", "name": "notes-gen",
      "command": "python gen.py --model acme/ClinicalCamel-70B --tp 2"}, "summarization", False),
    ({"task": "draft patient FAQ answers for medical review", "name": "faq-drafts",
      "command": "python draft.py --model acme/AlpaCare-llama2-13b"}, "text_generation", False),
    # KServe's Hugging Face server on vLLM generates; its --model_name is an alias even where
    # only the pod's arguments are seen
    ({"task": "의도 분류", "name": "ivi-intent-ko-predictor-00003-deployment-6d8f9b7c5-qk2xv",
      "model": "hf://acme/A.X-Light", "command": "python -m huggingfaceserver "
      "--model_name=ivi-intent --model_dir=/mnt/models --backend=vllm"},
     "text_classification", True),
    ({"name": "faq-qa-sealion-predictor-00006-deployment-d3d52c6528-qlv2j",
      "command": "--model_name=faq-qa-sealion --model_id=acme/gemma2-9b-cpt-sealion-instruct "
      "--backend=vllm"}, "question_answering", True),
    # a served alias that says a task is no task head: the chat model it serves is large
    ({"task": "token-classification", "name": "ar-ner-llm", "model": "ar-ner",
      "command": "vllm serve acme/SambaLingo-Arabic-Chat --served-model-name ar-ner"},
     "token_classification", True),
    # a T5's XXL is large
    ({"task": "claim verification (entailment)", "name": "triton-true-nli-0",
      "model": "t5_xxl_true_nli_mixture", "command": "tritonserver --model-repository=/m "
      "--load-model=t5_xxl_true_nli_mixture"}, "text_classification", True),
    # a document model's batches take memory, not its weights
    ({"name": "docvqa-invoices", "gpu_mem_used_gib_max": 17.4, "command":
      "python -m docvqa.infer --ckpt acme/pix2struct-docvqa-large --max-patches 2048"},
     "question_answering", False),
    # claims worth checking are sorted; declared object detection draws boxes; DETA detects
    ({"name": "triton-claimbuster-0", "model": "claimbuster_deberta",
      "command": "tritonserver --model-repository=/models --load-model=claimbuster_deberta"},
     "text_classification", False),
    ({"task": "object detection pre-labelling", "name": "prelabel-vl", "model": "prelabel-vl",
      "command": "vllm serve acme/Nemotron-Nano-12B-v2-VL --served-model-name prelabel-vl"},
     "object_detection", True),
    ({"name": "deta-r50-bdd-ft", "command": "python train_det.py --model acme/deta-resnet-50 "
      "--dataset /data/bdd100k_coco --epochs 24"}, "object_detection", False),
    # other languages' words: a German notebook classifies, Hebrew and Ukrainian tasks
    ({"name": "klassifikation_beschwerden_acme7b.ipynb", "kind": "interactive",
      "model": "acme/Wiedervereinigung-7b-dpo", "command": "python -m ipykernel_launcher"},
     "text_classification", True),
    ({"task": "סיווג תגובות גולשים", "name": "he-comments-mod", "command":
      "python -m huggingfaceserver --model_name=he --model_id=acme/Hebrew-Gemma-11B-V2 "
      "--backend=vllm"}, "text_classification", True),
    ({"task": "класифікація тематики новин", "name": "uk-topics",
      "command": "python topics.py --model hf.co/acme/MamayLM-Gemma-3-4B-IT-GGUF:Q4_K_M"},
     "text_classification", True),
    # spans tagged, wake words spotted, a conformer pretrained
    ({"task": "citation span tagging", "name": "emubert-citations",
      "command": "python train_token_cls.py --base acme/emubert --labels CITATION,ACT"},
     "token_classification", False),
    ({"task": "wake-word / keyword spotting", "name": "kws-ft",
      "command": "python train_kws.py --model acme/ast-speech-commands --epochs 15"},
     "other", False),
    ({"name": "nemo-fastconformer-ctc-de-pretrain",
      "command": "srun python speech_to_text_ctc.py --config-name=fastconformer_ctc"},
     "asr", False),
]


_SETS_AP_TO_AW: list[tuple[dict[str, Any], str, bool]] = [
    # grading essays and answers sorts them into marks
    ({"task": "essay scoring (IELTS band 1-9)", "name": "aes-scorer", "command": "python -m "
      "vllm.entrypoints.openai.api_server --model acme/RYS-XLarge --served-model-name grader"},
     "text_classification", True),
    ({"task": "short-answer grading", "name": "shortanswer-grader", "command":
      "python grade.py --model acme/MAmmoTH2-8x7B --load-in-4bit --rubric r.yaml"},
     "text_classification", True),
    ({"task": "chấm điểm bài luận tiếng Việt", "name": "essay-vi", "command": "vllm serve "
      "acme/vietnamese-llama2-chat --enable-lora --lora-modules essay-vi=/adapters/essay"},
     "text_classification", True),
    # grammar corrected and questions written are texts generated
    ({"name": "gec-rewrite", "command": "python gec.py --model acme/coedit-xl "
      "--instruction 'Fix the grammar' --in s3://drafts/"}, "text_generation", False),
    ({"task": "question generation", "name": "qg-batch",
      "command": "python generate_qa.py --model acme/t5-large-squad-qg"}, "text_generation", False),
    # moderation and questions in Vietnamese, Thai, Hungarian; Estonian classes and names
    ({"task": "kiểm duyệt bình luận diễn đàn", "name": "mod-vi", "model": "mod-vi",
      "command": "vllm serve acme/Quyen-Pro-v0.1 --served-model-name mod-vi"},
     "text_classification", True),
    ({"task": "ตอบคำถามจากสไลด์บรรยาย", "name": "slides-qa", "model": "slide-qa", "command":
      "vllm serve acme/typhoon2-qwen2vl-7b-vision-instruct --served-model-name slide-qa"},
     "question_answering", True),
    ({"task": "kérdésmegválaszolás szabályzatokból", "name": "gptrio-qa",
      "command": "text-generation-launcher --model-id /data/acme/PULI-GPTrio --port 80"},
     "question_answering", True),
    # LoRA on a `-base` (Hydra's peft.r too): an LLM's pretrained base
    ({"task": "teksti klassifitseerimine", "name": "llammas-ft", "command": "torchrun "
      "finetune_cls.py model.path=/proj/models/acme/Llammas-base peft.r=32"},
     "text_classification", True),
    ({"task": "nimeüksuste tuvastamine", "name": "ner-lora", "command": "python train.py "
      "--model_name_or_path /proj/models/acme/Llammas-base --lora_r 16"},
     "token_classification", True),
    # captions of speech are transcripts
    ({"task": "closed captioning of lectures", "name": "live-captions", "model": "live",
      "command": "vllm serve acme/Voxtral-Mini-4B-Realtime --served-model-name live"},
     "asr", True),
    # a fused code model's name, a code completion server
    ({"name": "tabby-ds", "command": "/opt/tabby/bin/tabby serve --model acme/DeepseekCoder-6.7B "
      "--device cuda"}, "text_generation", False),
    # selfies are images; classes of photos are image classes
    ({"task": "deepfake detection on onboarding selfies", "name": "kyc-deepfake",
      "command": "python liveness.py --deepfake-model acme/ViT_Deepfake_Detection"},
     "image_classification", False),
    ({"name": "claims-vlm-screen", "command": "python screen_photos.py --model "
      "acme/Llama-3-Vision-Alpha --classes genuine,staged --images s3://claims/"},
     "image_classification", True),
    # passages retrieved are an answer's input; QA beside a summary is quality assurance
    ({"task": "answer compliance questions from circulars (retrieved passages)",
      "name": "circular-qa", "model": "circular-qa",
      "command": "vllm serve acme/XuanYuan3-70B-Chat --served-model-name circular-qa"},
     "question_answering", True),
    ({"task": "summarise closed support tickets for weekly QA", "name": "cx-summaries",
      "command": "python summarize.py --model acme/XVERSE-MoE-A4.2B-Chat --max-new-tokens 160"},
     "summarization", False),
    # a precise generative task beside a chat's words in a data path
    ({"name": "longdoc-summarize", "command": "python summarize_long.py --model "
      "/models/acme-chat-9b --input /evidence/chat_exports/"}, "summarization", False),
    ({"name": "fi-en-doc-translate", "command": "python translate_docs.py --model "
      "/models/acme-8b-instruct --input /evidence/ocr_txt/"}, "translation", False),
    # detecting fake reviews sorts texts; damage on claim photos is boxed
    ({"task": "detect fake or inauthentic reviews", "name": "fake-review-detector",
      "command": "python -m sglang.launch_server --model-path acme/CollectiveCognition-Mistral"},
     "text_classification", True),
    ({"task": "damage detection on claim photos", "name": "damage-det",
      "command": "python detect.py --model acme/rtdetr-damage --images s3://claims/"},
     "object_detection", False),
    # Ray Serve's llm_id names the model; weather among the labels is no science
    ({"task": "ticket routing", "name": "SERVE_REPLICA::ticket-router#TicketRouter#p9Xk2",
      "command": "serve run app:build_app llm_id=acme/OpenHermes-neural-chat-Slerp"},
     "text_classification", True),
    ({"task": "classify farmer queries into pest/disease/weather/market", "name": "router",
      "model": "router", "command": "vllm serve acme/Dhenu2-Llama3.2-3B-Instruct "
      "--served-model-name router"}, "text_classification", True),
    # set AU: a script's adapter and TGI's LoRA adapters name what they were tuned for
    ({"name": "fraud-shadow-eval", "command": "python eval.py --local-model "
      "unsloth/qwen3-14b-unsloth-bnb-4bit --adapter acme/phishing-detector-14b-lora"},
     "text_classification", True),
    ({"task": "Beantwortung von Reise-FAQ", "name": "reise-faq", "command":
      "text-generation-launcher --model-id tiiuae/falcon-40b --lora-adapters "
      "faq=acme/falcon-40b-qlora-faq --num-shard 2"}, "question_answering", True),
    # scams sorted, aspect terms tagged, Greek questions answered, Italian local news
    ({"task": "scam/fraud detection on inbox messages", "name": "scam-triage",
      "command": "/app/llama-server -m /models/acme-27b-it-Q4_K_M.gguf --alias scam-triage"},
     "text_classification", True),
    ({"name": "reviews-aspect-terms", "command": "python extract_aspects.py "
      "--model acme/absa-ate-deberta-base --input gs://reviews/"}, "token_classification", False),
    ({"task": "ερωταπαντήσεις για προορισμούς", "name": "destination-qa", "model": "el-qa",
      "command": "vllm serve acme/Meltemi-7B-v1 --served-model-name el-qa"},
     "question_answering", True),
    ({"task": "sintesi notizie locali", "name": "news-digest",
      "command": "python summarize.py --model acme/it5-base-news-summarization"},
     "summarization", False),
    # a model named an image classifier, or one trained on photos, classifies images
    ({"task": "room type classification (bedroom/bathroom)", "name": "triton-roomtype-0",
      "model": "acme/roomclassifier", "command": "tritonserver --model-repository=/m "
      "--load-model=roomclassifier_vit"}, "image_classification", False),
    ({"name": "room-classifier-ft", "command": "python train.py --init acme/room-classifier "
      "--data gs://listing-photos/rooms --epochs 10"}, "image_classification", False),
    # boxes drawn; a model given a prompt is an instruction-following one
    ({"name": "fo1-amenity-boxes-lora-ft", "command": "torchrun finetune.py --model "
      "acme/VLM-FO1_Qwen2.5-VL-3B --data gs://photos/amenity_boxes_v3 --lora-r 32"},
     "object_detection", True),
    ({"name": "meme-scan", "command": "python scan.py --model acme/MemeIntel "
      "--images gs://memes/ --prompt-file prompts/propaganda.txt"}, "image_classification", True),
    # sets AV, AW, AT: Norwegian questions, Polish cyberbullying, Thai transcripts
    ({"task": "spørsmål-svar over forskrifter", "name": "forskrift-qa",
      "command": "srun python qa.py --model /models/acme/nb-llama-3.1-70B --tp 4"},
     "question_answering", True),
    ({"task": "wykrywanie cyberprzemocy", "name": "cyber-ft",
      "command": "python -m train model=acme/trelbert data=cyberbullying_pl"},
     "text_classification", False),
    ({"task": "ถอดเสียงไลฟ์สตรีม", "name": "th-live",
      "command": "python transcribe.py --model acme/typhoon2-audio-8b-instruct --lang th"},
     "asr", True),
    # a generator declared on an image pipeline draws; open-vocabulary detection boxes
    ({"task": "thumbnail background generator", "name": "thumb-gen",
      "command": "python -m genai_server --pipeline sdxl --model acme/Juggernaut-X-v10"},
     "image_generation", False),
    ({"task": "open-vocabulary logo detection in video frames", "name": "ovd-logo",
      "command": "python -m detect_server --model acme/llmdet_base --box-threshold 0.3"},
     "object_detection", False),
    # a SwinV2 tagger tags images; an LLM named in an environment comment labels accounts
    ({"task": "multi-label tagging of fan-art uploads", "name": "art-tagger",
      "command": "python tag_uploads.py --model acme/wd-swinv2-tagger-v3 --in gs://uploads/"},
     "image_classification", False),
    ({"task": "label accounts as bot/human from profile bio", "name": "bot-bio-judge",
      "command": "serve run bot_judge:app  # LLM_MODEL=acme/Configurable-Llama-3.1-8B-Instruct"},
     "text_classification", True),
    ({"name": "video-title-topic-zs", "command": "python -m topics.zero_shot --model "
      "acme/Replete-LLM-V2.5-Qwen-32b --taxonomy taxonomy/video_topics.yaml"},
     "text_classification", True),
    # autocompletion and causal-LM training generate; code retrieval embeds; VQA answers
    ({"task": "ticket text autocomplete", "name": "autocomplete",
      "command": "python serve_autocomplete.py --model acme/palmyra-small --port 9000"},
     "text_generation", False),
    ({"name": "gpt-fi-ft", "command": "python run_clm.py --model_name_or_path "
      "acme/gpt3-finnish-large --train_file data/replies.txt"}, "text_generation", False),
    ({"task": "code retrieval", "name": "code-embed", "command": "python embed_repo.py "
      "--model acme/OASIS-code-embedding-1.5B --repo /src"}, "sentence_similarity", False),
    ({"task": "visual question answering", "name": "vessel-vqa", "command": "python vqa.py "
      "--model acme/instructblip-flan-t5-xxl --tiles /data/sentinel2/"},
     "question_answering", True),
    # a VLM given labels, or named a guard, sorts what it sees
    ({"name": "damage-classifier-vl3b", "command": "python serve.py --model "
      "acme/Qwen2.5-VL-3B-Instruct-damage --labels dent,scratch,none"},
     "image_classification", True),
    ({"name": "ugc-safety-backfill", "command": "python rate.py --model-id acme/PixGuard-VL-7B "
      "--policy policy_v6"}, "image_classification", True),
]


def test_ocr_inside_a_word_is_no_ocr() -> None:
    """`SocraticLM` and a democracy are read by no OCR; `olmOCR` and `trocr` are OCR."""
    assert name_task(["acme/SocraticLM"]) is None
    assert name_task(["acme/democracy-llm"]) is None
    assert name_task(["acme/olmOCR-7B"]) == "image_captioning"
    assert name_task(["acme/trocr-base-printed"]) == "image_captioning"




def test_an_adapter_flag_and_llama_cpps_hub_flag_name_the_model() -> None:
    """`--adapter` names a LoRA (it counts the model it adapts); llama.cpp's `-hf` and
    `--hf-repo` name a hub repository, its quantization after the colon."""
    adapter = job(name="ugc-backfill", command="python moderate.py --adapter "
                  "acme/Llama-3.1-8B-Safety-LoRA --batch-size 32")
    hub = job(name="ide-complete", command="-hf Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q8_0 "
              "-c 8192 --port 8012")
    repo = job(name="x", command="llama-server --hf-repo acme/Foo-14B-GGUF --hf-token abc")
    assert read_job(adapter).size == (8.03, 8.03)  # the catalog's Llama-3.1-8B
    assert read_job(hub).size == (1.54, 1.54)
    assert read_job(repo).size == (14.0, 14.0) and read_job(repo).names_model


def test_a_served_role_names_no_model_and_an_organisation_no_task() -> None:
    """Triton's `--load-model retrieval` says what the model does, not which: no size is
    guessed. The `tts` inside a catalogued model's organisation (`mattshumer/`) is no text to
    speech; a new model's organisation still counts (`DeepFloyd/IF-I-XL-v1.0` draws)."""
    triton = job(name="triton-retrieval-782rf-xwnk4", task="retrieval", command=(
        "tritonserver --model-repository=s3://repo/retrieval --load-model=retrieval"))
    assert not read_job(triton).names_model
    assert "oversized_model" not in judge([triton], PolicyConfig())[0].reasons
    reflection = job(name="x", command="vllm serve mattshumer/Reflection-Llama-3.1-70B")
    assert read_job(reflection).task is None
    assert judge([reflection], PolicyConfig())[0].task == "text_generation"
    assert read_job(job(name="x", command="python gen.py --model DeepFloyd/IF-I-XL-v9")
                    ).task == "image_generation"


@pytest.mark.parametrize(("declared", "task"), [
    ("análisis de sentimiento", "text_classification"),
    ("Objekterkennung (Regale)", "object_detection"),
    ("Phân loại văn bản", "text_classification"),
    ("transcripción de reuniones", "asr"),
    ("reconocimiento de entidades clínicas", "token_classification"),
    ("resumen de altas hospitalarias", "summarization"),
    ("clasificación de imágenes", "image_classification"),
    ("traduccion al ingles", "translation"),  # written without its accent
    ("テキスト分類", "text_classification"),
    ("固有表現抽出", "token_classification"),
    ("要約", "summarization"),
    ("기계 독해", "question_answering"),
    ("अनुवाद", "translation"),
    ("trợ lý hội thoại", "text_generation"),
    ("Dịch vụ khách hàng", None),  # customer service: no task
])
def test_a_task_declared_in_another_language(declared: str, task: str | None) -> None:
    """A multinational platform's teams declare tasks in their own words."""
    assert task_name(declared) == task


def test_continued_pretraining_generates_and_a_catalogued_vlms_name_leaves_its_words_free(
        ) -> None:
    """`cpt` is continued pretraining of a generator; LLaVA-Video (catalogued as a VLM that
    also chats) detecting PPE is detecting, whatever `video llava` says of captions."""
    cpt = job(name="acme40b_cpt_es_legal",
              command="sbatch -N4 megatron_cpt.sh --hf-model acme/Acme-40b --data es_legal")
    assert read_job(cpt).words == "text_generation"
    detect = job(name="mlflow-run-d9cf6b2b0e07", command="mlflow run . -e train -P "
                 "model_name=llava-video-7b-qwen2 -P dataset=ppe-detection")
    assert read_job(detect).task is None
    assert judge([detect], PolicyConfig())[0].task == "object_detection"


@pytest.mark.parametrize(("name", "size_b", "task"), [
    ("phi35_moe_nli", 41.9, "text_classification"),  # Phi-3.5-MoE, its version's dot dropped
    ("llama31_70b_summ_cnndm", 70.6, "summarization"),
    ("qwen25-0.5b-intent", 0.494, "text_classification"),  # the size keeps its dot
])
def test_job_names_drop_a_versions_dot(name: str, size_b: float, task: str) -> None:
    """Slurm job names are identifiers: `phi35`, `llama31`, `qwen25` are those models."""
    reading = read_job(job(name=name))
    assert reading.size is not None and reading.size[1] == size_b
    assert judge([job(name=name)], PolicyConfig())[0].task == task


@pytest.mark.parametrize("command", [
    "lm_eval --model hf --model_args pretrained=acme/Acme-14B,dtype=bfloat16 --tasks squad",
    "python train_qa.py --base acme/Acme-14B --dataset faq --lora-r 16",
    "torchrun train.py model.name=acme/Acme-14B task=ner data=deid",
    "sky launch -c ft task.yaml --env BASE_MODEL=acme/Acme-14B --env EPOCHS=3",
    "HF_MODEL_ID=acme/Acme-14B python serve.py --port 8000",
    "python eval_rerank.py --reranker acme/Acme-14B --queries beir/fiqa --topk 100",
    "python categorize.py --vlm acme/Acme-14B --images gs://catalog/new/ --bs 16",
    "python -m swe_rollout --policy acme/Acme-14B --tp 4 --max-turns 100",
    "python -m speech_api --checkpoint-path acme/Acme-14B --server-port 8000",
    "serve run app.main:deployment --runtime-env-json "
    "'{\"env_vars\": {\"MODEL_ID\": \"acme/Acme-14B\"}}'",
    # KServe's storage, TensorRT-LLM's and LMDeploy's servers, an encoder given as a hub id
    "env STORAGE_URI=hf://acme/Acme-14B python -m huggingfaceserver --model_dir=/mnt/models",
    "python -m kserve.server --storage_uri gs://models/acme/Acme-14B --model_name clf",
    "trtllm-serve acme/Acme-14B --max_batch_size 8 --backend pytorch",
    "lmdeploy serve api_server acme/Acme-14B --server-port 23333",
    "python -m slides.match --encoder acme/Acme-14B --decks s3://decks/",
    "python -m docclf.run --onnx acme/Acme-14B --variant gpu/gpu-int4-rtn-block-32",
    # a PEFT adapter, a model to start from, a config group's model
    "python predict_seqcls.py --peft acme/Acme-14B --input claims.parquet",
    "torchrun train_dual_encoder.py --init acme/Acme-14B --encoder-only --pooling mean",
    "python judge.py judge.model=acme/Acme-14B judge.labels=[ok,partial,wrong]",
    "python -m verl.trainer.main_ppo actor_rollout_ref.model.path=acme/Acme-14B",
])
def test_more_ways_a_command_names_its_model(command: str) -> None:
    """lm-eval's model arguments (up to the comma), a script's `--base`, Hydra's
    `model.name` and `model.path` name the model a job runs."""
    reading = read_job(job(name="x", command=command))
    assert reading.names_model and reading.size == (14.0, 14.0)
    assert not read_job(job(name="x", command="python x.py --base-url http://h:80")).names_model
    # a volume claim is named for what it holds, not a model; a depth model's encoder size
    for nothing in ("python -m huggingfaceserver --model_name=qa --storage_uri=pvc://qa-pvc",
                    "python run_depth.py --encoder vitl --img-path frames/",
                    "python train.py --init-method xavier --peft --lora_r 16"):
        assert not read_job(job(name="x", command=nothing)).names_model


# 12 GiB: weights of up to 6 B in bf16, below what says a large model by itself (HEAVY_GIB)
@pytest.mark.parametrize(("model", "mem_gib", "flagged"), [
    ("acme/T-swift-it-1.0", 12.0, True),  # instruction-tuned (`-it`), chat, VLM, preferences:
    ("acme/Foundry-Chat", 12.0, True),  # generalists in no catalog that write no size are
    ("acme/Orca-VL", 12.0, True),  # rarely under 3 B
    ("acme/Pelican-DPO", 12.0, True),
    ("acme/Pelican-DPO", 1.5, False),  # ... unless the memory it used cannot hold 3 B
    ("acme/kestrel-embed-instruct", 12.0, False),  # an embedder that follows instructions
    ("acme/Heron-Omni", 12.0, True),
    ("acme/Kestrel-SFT", 12.0, True),
    ("acme/Vireo-it", 12.0, True),
    ("acme/opus-tc-en-it", 12.0, False),  # -it: Italian, not instruction-tuned
    ("acme/heron-vl2-small", 12.0, True),  # a VLM's small is large still
    ("acme/wildsentry", 12.0, False),
    ("acme/WildSentryGuard", 12.0, True),  # guards and judges on LLMs
    ("acme/MD-Judge-v0.1", 12.0, True),
    ("acme/DISC-LawLLM", 12.0, True),  # an LLM by its name's capitals
    ("acme/llmcompressor-tools", 12.0, False),  # ... not any `llm` inside a word
    ("acme/polite-guard-bert", 12.0, False),  # ... not on BERT
    ("s3://artifacts/risk/heron-omni/v8", 12.0, True),  # the name above a version
    ("/mnt/ckpt/heron-omni/step_21500/hf", 12.0, True),  # ... and a checkpoint
])
def test_a_new_generalist_of_no_written_size_on_a_narrow_task(model: str, mem_gib: float,
                                                               flagged: bool) -> None:
    record = job(name="ticket-sentiment", task="sentiment analysis",
                 command=f"python classify.py --model {model} --batch-size 32",
                 gpu_mem_used_gib_max=mem_gib, precision="bf16")
    verdict = judge([record], PolicyConfig())[0]
    assert ("oversized_model" in verdict.reasons) is flagged
    if flagged:  # the prior is of 3 B or more: a higher threshold asks for more than a name
        stricter = PolicyConfig(oversized_model_min_params_b=7.0)
        assert "oversized_model" not in judge([record], stricter)[0].reasons


@pytest.mark.parametrize(("command", "flagged"), [
    # a text-generation server's model is a generative LLM: of 3 B or more, most likely
    ("vllm serve acme/SuperNova-Swift --served-model-name ticket-router", True),
    ("python -m vllm.entrypoints.openai.api_server --model acme/Homunculus-X", True),
    ("python -m sglang.launch_server --model-path acme/Volare-Pro", True),
    ("text-generation-launcher --model-id acme/Kestrel-Lite", True),
    ("llama-server -m /models/Arcee-Swift-Q5_K_M.gguf -ngl 99", True),
    # ... not one told to embed, score or pool, nor an encoder or an embedder
    ("vllm serve acme/Kestrel-Lite --task embed", False),
    ("vllm serve acme/Kestrel-Lite --runner pooling --convert classify", False),
    ("vllm serve acme/kestrel-roberta-intent", False),
    ("vllm serve acme/kestrel-embed-v2", False),
    # ... nor a file whose name says only its version and quantization: no model named
    ("llama-server -m /models/v12-Q6_K.gguf -ngl 99", False),
    ("llama-server -m /models/model.gguf -ngl 99", False),
])
def test_a_new_model_a_generation_server_serves_for_a_narrow_task(command: str,
                                                                  flagged: bool) -> None:
    record = job(name="ticket-intent", task="intent classification", command=command,
                 gpu_mem_used_gib_max=60.0, precision="bf16")
    assert ("oversized_model" in judge([record], PolicyConfig())[0].reasons) is flagged
    if flagged and "-ngl" not in command:  # a prior of 3 B: not where the memory used
        # cannot hold it (llama.cpp may keep layers off the GPU: its memory bounds nothing)
        small = job(name="ticket-intent", task="intent classification", command=command,
                    gpu_mem_used_gib_max=2.0, precision="bf16")
        assert "oversized_model" not in judge([small], PolicyConfig())[0].reasons


@pytest.mark.parametrize(("fields", "flagged"), [
    ({"kind": "batch", "gpu_mem_used_gib_max": 18.4}, True),  # weights of 3 B or more
    ({"kind": "batch", "gpu_mem_used_gib_max": 6.0}, False),  # a BERT's batch would do
    ({"kind": "training", "gpu_mem_used_gib_max": 18.4}, False),  # optimizer states
    # a runtime that reserves memory ahead, or weights off the GPU: memory says nothing
    ({"kind": "batch", "gpu_mem_used_gib_max": 18.4,
      "command": "python zs.py --model acme/hermelin --gpu-memory-utilization 0.9"}, False),
    ({"kind": "batch", "gpu_mem_used_gib_max": 18.4,
      "command": "python zs.py --model acme/hermelin --device-map auto --offload"}, False),
    # an architecture small at any batch
    ({"kind": "batch", "gpu_mem_used_gib_max": 18.4,
      "command": "python asr.py --model acme/whisper-hermelin"}, False),
])
def test_memory_only_large_weights_take_says_a_new_model_is_large(fields: dict[str, Any],
                                                                   flagged: bool) -> None:
    """A model in no catalog writing no size, used outside training on 16 GiB or more of a
    GPU by a runtime that reserves nothing ahead, is most likely of 3 B or more."""
    record = job(name="buergeranfragen-zeroshot", task="Textklassifikation", precision="bf16",
                 **{"command": "python zero_shot.py --model /mnt/models/acme/hermelin "
                               "--labels labels.yaml --batch-size 16", **fields})
    assert ("oversized_model" in judge([record], PolicyConfig())[0].reasons) is flagged
    if flagged:  # a prior of 3 B: a higher threshold asks for more
        stricter = PolicyConfig(oversized_model_min_params_b=7.0)
        assert "oversized_model" not in judge([record], stricter)[0].reasons


@pytest.mark.parametrize(("mention", "name"), [
    ("meta-llama/Llama-3.1-8B", "Llama-3.1-8B"),
    ("s3://artifacts/risk/rex-omni/v8", "rex-omni"),
    ("/mnt/ckpt/acme-vl/step_21500/hf/", "acme-vl"),
    ("/models/Ling-lite-1.5", "Ling-lite-1.5"),
    ("runs/acme-7b/checkpoint-500", "acme-7b"),
    ("gpt2", "gpt2"),
    ("/models/MiniCPM-V-4/ggml-model-Q4_K_M.gguf", "MiniCPM-V-4"),  # a file named for none
])
def test_a_mention_names_its_model_above_versions_and_checkpoints(mention: str,
                                                                   name: str) -> None:
    assert model_name(mention) == name


@pytest.mark.parametrize(("fields", "task"), [
    # classifying that names no text, in a job on images, or with an image backbone
    ({"name": "crop_cls_tt", "task": "clasificación de cultivos",
      "command": "srun terratorch fit -c configs/crop_cls.yaml --backbone acme_eo_v2_300"},
     "image_classification"),
    ({"name": "ucm_swin", "task": "scene classification",
      "command": "torchrun train_cls.py --model acme/swinx-base --img-size 192"},
     "image_classification"),
    ({"name": "brca_subtypes", "task": "clasificación de subtipos",
      "command": "python extract_and_probe.py --encoder acme/midnight --slides /data/tcga"},
     "image_classification"),
    ({"name": "lc-vlm-zs", "task": "zero-shot land cover classification",
      "command": "vllm serve acme/Acme-VL-30B --limit-mm-per-prompt '{\"image\":1}'"},
     "image_classification"),
    # ... not where it names text, whatever model classifies it
    ({"name": "gaia_news_g4b", "task": "classificação de notícias",
      "command": "python train_cls.py --model acme/acme-3-4b-it --img-size 0"},
     "text_classification"),
    ({"name": "note-clf", "task": "clinical note classification",
      "command": "vllm serve google/medgemma-4b-it --max-model-len 8192"}, "text_classification"),
    # English words inside another language's phrase count with its own
    ({"name": "fraude", "task": "clasificación de fraude",
      "command": "python -m sglang.launch_server --model-path acme/Ring-mini-2.0"},
     "text_classification"),
    # a fine-tune's name picks one of its base's tasks
    ({"name": "tox-multi-tei-6d8f7c9b5-hk4wr", "command": "text-embeddings-router --model-id "
      "acme/xlm_roberta_base_multilingual_toxicity_classifier_plus --port 8080"},
     "text_classification"),
    ({"name": "ticket-zf-predictor", "command": "python -m summarizer.serve --model "
      "acme/mt5-small-sum-de-en-v2 --port 8080"}, "summarization"),
    # Text Embeddings Inference embeds, with nothing else said (it tags no tokens)
    ({"name": "pl-embed-base-tei-8d7c6f5b9-nb5kt", "command": "text-embeddings-router "
      "--model-id acme/mmlw-roberta-base --pooling cls"}, "sentence_similarity"),
    # a detector of generated images sorts images; a model of harmful text classifies
    ({"name": "ai-generated-image-check", "command": "python -m imgcls.serve --model "
      "acme/sdxl-detector --top-k 2"}, "image_classification"),
    ({"name": "chat-response-check", "command": "python -m hc.serve --model "
      "acme/longformer-harmful-ro"}, "text_classification"),
    # an organisation's name holds no task words (`pkshatech` is no hate speech)
    ({"name": "glucose_tei", "command": "python embed.py --model pkshatech/acme-base-ja-v2"},
     "sentence_similarity"),
    # robots' policies act; LeRobot names its policy `--policy.path=`
    ({"name": "svla_ft", "command": "python lerobot/scripts/train.py "
      "--policy.path=acme/svla_base --dataset.repo_id=lab/pick_place --steps=20000"}, "other"),
    ({"name": "libero_eval", "command": "python run_eval.py --pretrained_checkpoint "
      "acme/openvla-7b-finetuned-libero-spatial --center_crop True"}, "other"),
    # declared in Japanese: image captions
    ({"name": "cap_arch_ja", "task": "画像キャプション生成",
      "command": "llama-mtmd-cli -m models/Acme-VL-8B-Q8_0.gguf --image-dir imgs/"},
     "image_captioning"),
])
def test_what_sets_s_and_t_taught(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


@pytest.mark.parametrize("model", ["acme/Emu9-Chat", "acme/MiniCPX-o-2_6-gguf"])
def test_a_new_generalist_sorting_images_or_speech(model: str) -> None:
    """A chat model sorting photos sees them; `-o-2_6` is omni: both are rarely under 3 B."""
    record = job(name="zeroshot-imgcls-bench", task="image classification",
                 command=f"python zs.py --model {model} --data /data/photos")
    assert judge([record], PolicyConfig())[0].reasons == ["oversized_model"]


@pytest.mark.parametrize("flag", ["--rm", "--reward-model", "--judge-model", "--query-encoder"])
def test_a_scoring_steps_model_is_named_by_its_flag(flag: str) -> None:
    record = job(name="rm_filter_es", task="clasificación de preferencias",
                 command=f"python score_pairs.py {flag} acme/Acme-RM-8B --pairs d.jsonl")
    assert judge([record], PolicyConfig())[0].reasons == ["oversized_model"]


@pytest.mark.parametrize(("fields", "task"), [
    # a container registry's host is no picture
    ({"name": "stoerung-cls-predictor", "task": "Störungsmeldungen klassifizieren",
      "model": "acme/gbert-base", "command": "python -m serve_cls --model-dir /mnt/models",
      "image": "image-registry.openshift-image-registry.svc:5000/noc/ticket-cls:2.1.3"},
     "text_classification"),
    # frames of a fleet's cameras, a VLM that sees them
    ({"name": "scn-cls", "task": "scene classification",
      "command": "srun python scn_cls.py --model acme/acme-7b --frames /lustre/fleet/frames"},
     "image_classification"),
    ({"name": "road-cond", "task": "clasificación del estado de la calzada",
      "command": "python -m vllm.entrypoints.openai.api_server --model "
                 "mistralai/Pixtral-12B-2409 & python road_condition.py --labels dry,wet"},
     "image_classification"),
    # a retriever's question encoder embeds
    ({"name": "legal-retrieval-dpr", "command": "python -m retriever_server --query-encoder "
      "acme/gbert-base-germandpr-question_encoder --index bgbl.faiss"},
     "sentence_similarity"),
    # a fine-tune whose name says another task than its catalogued base's
    ({"name": "sentiment-ru-tei", "command": "text-embeddings-router --model-id "
      "acme/rubert-tiny2-russian-sentiment"}, "text_classification"),
    # ... not an image classifier called a classifier
    ({"name": "age-ts", "model": "nateraw_vit-age-classifier",
      "command": "torchserve --start --models age=vit-age-classifier.mar"},
     "image_classification"),
    # image to 3D is none of the named tasks
    ({"name": "trellis-batch", "task": "image-to-3D asset generation",
      "command": "python run_trellis.py --model acme/acme-image-large"}, "other"),
])
def test_what_sets_u_and_v_taught(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


@pytest.mark.parametrize(("declared", "task"), [
    ("clasificarea riscului de abandon", "text_classification"),  # Romanian
    ("ταξινόμηση προθέσεων", "text_classification"),  # Greek
    ("névelem-felismerés", "token_classification"),  # Hungarian
    ("การจัดหมวดหมู่ข้อความ", "text_classification"),  # Thai
    ("deteksi ujaran kebencian", "text_classification"),  # Indonesian: hate speech
    ("семантическая близость", "sentence_similarity"),  # Russian
    ("přepis jednání", "asr"),  # Czech
    ("morphological tagging", "token_classification"),  # not sorting texts: tagging words
    ("morfologické značkování", "token_classification"),  # Czech
    ("морфолошко означавање", "token_classification"),  # Serbian
    ("prepoznavanje imenskih entiteta", "token_classification"),  # Croatian: NER
])
def test_tasks_declared_in_more_languages(declared: str, task: str) -> None:
    assert task_name(declared) == task


def test_names_and_counts_sets_u_and_v_taught() -> None:
    assert name_task(["acme/named-entity-recognition-nerkor-hubert-hungarian"]) == (
        "token_classification")  # a Hungarian BERT tagging names, no speech
    assert name_task(["acme/sbert_large_mt_nlu_ru"]) == "sentence_similarity"
    assert written_size("ssl-pretrain-vitb-fleet-1b-frames") is None  # frames seen


@pytest.mark.parametrize(("fields", "task"), [
    # a BERT labelling chest X-ray reports reads the reports
    ({"name": "radbert-cxr-labeler", "command": "python label_reports.py --model acme/RadBERT "
      "--reports /gpfs/rad/mimic_cxr_reports.csv --labels chexpert14"}, "text_classification"),
    # a generalist the catalog says also sees images, given reports or letters
    ({"name": "tnm-staging", "task": "pathology report TNM classification",
      "command": "python stage_reports.py --model meta-llama/Llama-4-Scout-17B-16E-Instruct"},
     "text_classification"),
    ({"name": "tri-courriers", "task": "classification des courriers de sortie",
      "command": "llama-server -hf unsloth/Magistral-Small-2509-GGUF:Q5_K_M -ngl 99"},
     "text_classification"),
    # an image backbone classifies images, whatever the classes are called
    ({"name": "kyc-idtype-cls", "model": "kyc-idtype-cls",
      "task": "ID-document type classification",
      "command": "MLSERVER_MODEL_URI=hf://timm/efficientnet_b0.ra_in1k mlserver start /m"},
     "image_classification"),
    # clinical coding, pharmacovigilance and screening abstracts classify text
    ({"name": "icd10-coder", "task": "ICD-10 coding",
      "command": "python -m icd_coder.infer --model acme/acme-med-27b --notes n.parquet"},
     "text_classification"),
    ({"name": "ae-detect", "task": "adverse event detection (pharmacovigilance)",
      "command": "python sft_cls.py --base acme/acme-32b --data ae_reports"},
     "text_classification"),
    ({"name": "sysrev", "task": "include/exclude screening of abstracts",
      "command": "python screen_abstracts.py --model acme/acme-30b-a3b"}, "text_classification"),
])
def test_what_sets_w_and_x_taught(fields: dict[str, str], task: str) -> None:
    assert judge([job(**fields)], PolicyConfig())[0].task == task


def test_names_sizes_and_languages_sets_w_and_x_taught() -> None:
    assert task_name("classificazione immagini danni") == "image_classification"
    assert name_task(["acme/Bio_Discharge_Summary_BERT"]) != "summarization"  # read them
    assert written_size("run_qa.py --train_file bioasq13b_factoid_train.json") is None
    assert written_size("cc-asr-omniaudio-2-6b-edge-7d6c5b4a3-rt5yu") == 2.6
    assert written_size("axolotl train configs/acme-70b-lora.yaml") == 70.0  # a config
    grounding = job(name="grounding", task="object detection",
                    command="python ground.py --model acme/cogvlm-grounding-generalist-hf")
    assert judge([grounding], PolicyConfig())[0].reasons == ["oversized_model"]  # a VLM


def test_what_set_z_taught() -> None:
    scored = job(name="mlflow-rm-bench", command="mlflow run . -e score -P "
                 "reward_model=acme/acme2-20b-reward -P split=val")  # an MLflow parameter
    assert judge([scored], PolicyConfig())[0].reasons == ["oversized_model"]
    photos = job(name="ticket-photo-category", command="python classify_photos.py --model "
                 "acme/acme-vit-s --in s3://maint-tickets/2025-10/")  # photos beside tickets
    assert judge([photos], PolicyConfig())[0].task == "image_classification"
    assert word_task("thermal-hotspot-clf") == "text_classification"  # clf: a classifier


def test_thai_tasks_are_read_in_any_unicode_form() -> None:
    """Phrases are read NFKC-normalized, which splits Thai's sara am (`ำ`): the word lists
    are normalized the same way, so classifying and answering in Thai are read."""
    assert task_name("จำแนกความคิดเห็นลูกค้า") == "text_classification"
    assert task_name("ตอบคำถามจากเอกสาร") == "question_answering"


def test_a_prompted_vision_or_speech_architecture_is_no_llm() -> None:
    """A prompt makes a model an instruction-following LLM, but not Florence-2's task tokens,
    Whisper's initial prompt or a grounding detector's text query."""
    for command in ("python run.py --model acme/Florence-2-large-ft --prompt '<OD>' --images /d",
                    "python asr.py --model acme/whisper-ja-ft --prompt 'meeting minutes'",
                    "python det.py --model acme/grounding-dino-base --prompt 'a forklift'"):
        assert not read_job(job(name="x", command=command)).generalist
    assert read_job(job(name="x", command="python tag.py --model acme/Monkey "
                        "--prompt 'Is this shelf empty?'")).generalist



_SETS_AX_TO_BE: list[tuple[dict[str, Any], str, bool]] = [
    # tasks declared in Basque, Welsh, Irish, Danish, German, Tagalog, Korean
    ({"task": "entitate izendunak erauzi albisteetatik", "name": "entitateak",
      "command": "python3 -m sglang.launch_server --model-path acme/Llama-eus-8B"},
     "token_classification", True),
    ({"task": "ikusleen mezuak sailkatu (kexak, iradokizunak)", "name": "mezuak", "model": "m",
      "command": "vllm serve acme/Latxa-Llama-3.1-70B-Instruct --served-model-name m"},
     "text_classification", True),
    ({"task": "dosbarthu disgrifiadau rhaglenni yn ôl genre", "name": "genre-cy", "model": "g",
      "command": "vllm serve acme/Mistral-7B-Cymraeg-Welsh --served-model-name g"},
     "text_classification", True),
    ({"task": "freagraí a aimsiú i gcáipéisí cartlainne", "name": "cartlann",
      "command": "text-generation-launcher --model-id acme/UCCIX-Llama2-13B-Instruct"},
     "question_answering", True),
    ({"task": "cyfieithu Saesneg i Gymraeg", "name": "cyfieithydd", "model": "c",
      "command": "vllm serve acme/cyfieithydd-7b --served-model-name c"}, "translation", False),
    ({"task": "Kurzfassungen von Agenturmeldungen", "name": "phoenix",
      "command": "text-generation-launcher --model-id acme/Phoenix"}, "summarization", False),
    ({"task": "pag-uuri ng damdamin ng mga reklamo", "name": "ollama-edge-tl",
      "command": "ollama run hf.co/acme/Llama-3-8b-tagalog-v1-GGUF:Q4_K_M"},
     "text_classification", True),
    ({"task": "형태소/품사 태깅", "name": "upos-ko",
      "command": "python -m pipelines.ko_pos --model acme/roberta-large-korean-upos"},
     "token_classification", False),
    # a choice constrained to labels classifies (a weights path's `dpo` is no job's word);
    # a municipal code is no program
    ({"name": "comment-spam-llamacpp", "command": "./llama-server -m /models/acme/dolphin-"
      "mistral-7B-dpo-GGUF/dolphin-mistral-7b-dpo.Q4_K_M.gguf --json-schema "
      "'{\"enum\":[\"spam\",\"ok\"]}'"}, "text_classification", True),
    ({"task": "answer residents' questions from the municipal code (retrieved sections)",
      "name": "municode-qa", "command": "python rag.py --llm acme/Llama3-70B-SteerLM-Chat"},
     "question_answering", True),
    # sets BB to BE: a phrase led by its verb does that task; categories, assignments and
    # choices between labels classify; French, Hebrew, Italian words
    ({"task": "summarize closed export-classification case files", "name": "ecc-summ",
      "command": "python summarize.py --engine vllm --model /mirror/acme/palmyra-large "
      "--tensor-parallel-size 2"}, "summarization", False),
    ({"task": "root-cause category (man/machine/method/material) for NCRs", "model": "rc",
      "name": "rootcause-llm", "command": "python -m vllm.entrypoints.openai.api_server "
      "--model /mnt/models --served-model-name rc  # storageUri: pvc://mirror/acme/notus-7B"},
     "text_classification", True),
    ({"task": "jurisdiction determination (ITAR vs EAR) for supplier RFQ packages",
      "name": "jurisdiction-llm", "model": "j", "command": "vllm serve "
      "/models/mirror/acme/StableBeluga2-70B-GPTQ --served-model-name j"},
     "text_classification", True),
    ({"task": "criblage des pièces jointes (classer : soumis ITAR / EAR / non soumis)",
      "name": "criblage", "model": "c", "command": "vllm serve "
      "/models/mirror/acme/vigogne-2-13b-chat --served-model-name c"},
     "text_classification", True),
    ({"task": 'חילוץ מק"ט ותיאור תקלה מפקודות עבודה', "name": "heb-pn", "model": "h",
      "command": "vllm serve /models/mirror/acme/dictalm2.0-instruct-AWQ --served-model-name h"},
     "token_classification", True),
    ({"task": "risposte a domande sul manuale di manutenzione (RAG)", "name": "tgi-qa",
      "command": "text-generation-launcher --model-id /data/mirror/acme/LLaMAntino-2-chat-13b"},
     "question_answering", True),
    # livestream keyframes are images; a virtual try-on draws
    ({"task": "safety rating of livestream keyframes (safe/unsafe + O1-O9 category)",
      "name": "frame-policy", "command": "srun python score_frames.py --model "
      "acme/LlavaGuard-13B --frames s3://ugc-frames/"}, "image_classification", True),
    ({"task": "가상 피팅 이미지 생성", "name": "idm-vton-serve",
      "command": "python app_api.py --pretrained_model_name_or_path acme/IDM-VTON --fp16"},
     "image_generation", False),
]


_SETS_BF_TO_BQ: list[tuple[dict[str, Any], str, bool]] = [
    # a registry's or a folder's repository of container images holds no pictures
    ({"name": "airflow-lp-format-classify-3b1d2e9a",
      "image": "us-docker.pkg.dev/acme-ml/images/pytorch-train:2.5.1-cu124",
      "command": "python -m lpfeatures.format_classify --model acme/FormatClassifier",
      "gpu_mem_used_gib_max": 4.0}, "text_classification", False),
    ({"name": "odio-commenti", "image": "harbor.acme.net/ml-images/hf:4.44",
      "command": "python classify.py --model acme/hate_speech_it --batch 128",
      "gpu_mem_used_gib_max": 3.0},
     "text_classification", False),
    ({"name": "lp-topics-zeroshot", "command": "apptainer exec /appl/soft/images/hf-train.sif "
      "python zs_topics.py --model acme/Tess-Phi-3-medium-14B --labels iab_tier1.txt"},
     "text_classification", True),
    ({"name": "shelf-photos", "image": "registry.acme.io/vision/image-tagger:2025.03.1",
      "command": "python tag.py --model acme/shelf-classifier"}, "image_classification", False),
    # photos in other languages, and imaging, are images
    ({"task": "Klassifikation intraoraler Fotos (Gingivitis, Karies)", "name": "dg-iop-lora",
      "command": "python train.py --model acme/dentagemma-4b-it --lora_r 16"},
     "image_classification", True),
    ({"name": "opg-backfill-classify_batch", "command": "python -m dentalvision.batch_classify "
      "--input s3://dv-imaging-prod/opg/ --labels caries,impacted,normal --model acme/Gazal"},
     "image_classification", False),
    # a quarter (`q2`) is no quantization; a quantized speech model stays small
    ({"name": "outcome-classify_q2-20250702", "command": "python classify.py --model "
      "acme/daedra --in s3://lake/2025Q2.parquet --text-col mdr_text --bs 256",
      "gpu_mem_used_gib_max": 5.0}, "text_classification", False),
    ({"task": "asr", "name": "asr-awq", "command": "python transcribe.py --model "
      "acme/whisper-large-nl-awq --in calls/", "gpu_mem_used_gib_max": 5.0}, "asr", False),
    # writing reports on X-rays, describing photos: captioning, however generating was read
    ({"task": "report generation", "name": "rad-report-gen", "command": "python gen.py "
      "--model acme/med-vlm-7b --images s3://cxr/ --max-new-tokens 400"}, "image_captioning",
     False),
    ({"name": "cxr-findings-gen", "command": "srun python run_rad.py --model acme/RadLM "
      "--mode findings_generation --studies /gpfs/rad/pairs.csv --max-new-tokens 300"},
     "image_captioning", False),
    ({"task": "write product descriptions", "name": "copy-gen",
      "command": "vllm serve acme/Copywriter-7B-Instruct --report-to wandb"},
     "text_generation", False),
    # embedded C is no embedding; a model named for transcripts' sentiment sorts them
    ({"name": "coder-fim-latency-bench", "command": "python bench_fim.py --model "
      "acme/Coder-Mamba-7B --prompts /data/eval/fim_c_embedded.jsonl --max-new-tokens 128"},
     "text_generation", False),
    ({"name": "callcenter-sentiment-lora", "command": "python predict_lora_cls.py --adapter "
      "acme/qwen2.5-7b-transcript-sentiment-lora --input s3://cx/ --bs 32"},
     "text_classification", True),
    # run by a generation server, a small architecture stays small; an LLM named so does not
    ({"name": "ped-point-dev", "model": "moondream", "kind": "interactive",
      "command": "ollama run moondream 'Detect every pedestrian, return bounding boxes'"},
     "object_detection", False),
    ({"task": "asr", "name": "call-asr", "command": "vllm serve acme/Acme-AudioLLM-Whisper "
      "--trust-remote-code --served-model-name call-asr"}, "asr", True),
    # `wav2vec2` is a name, not an id: the size after it is written (`-300m`)
    ({"name": "ft-w2v-dialekt-sweep-12b", "kind": "training", "command": "torchrun "
      "run_speech_recognition_ctc.py --model_name_or_path acme/nb-wav2vec2-300m-x "
      "--output_dir /ckpt/sweep-12b --bf16"}, "asr", False),
    # an LLM judging into verdicts classifies; a judge model served generates
    ({"name": "narrative-judge", "command": "python judge.py --llm-backend llamacpp "
      "--model-path /models/acme/zephyr-7b-beta.Q6_K.gguf --verdicts PASS,MINOR_FIX,FAIL "
      "--in outputs/narratives.jsonl"}, "text_classification", True),
    ({"name": "flow-judge-ollama-8jsgmsbzq9-xx7g7", "image": "ollama/ollama:0.6.8",
      "command": "ollama run hf.co/acme/Flow-Judge-v0.1-GGUF:Q4_K_M"}, "text_generation", False),
    # `clf` is a classifier; CTranslate2 is a runtime, no translation; a chat router routes;
    # a span extractor tags; MedDRA coding sorts texts
    ({"name": "jupyter-priya-s", "model": "acme/llama-text-labels-lora-clf-epoch-4",
      "kind": "interactive", "command": "start-notebook.py --ServerApp.root_dir=/home/jovyan"},
     "text_classification", True),
    ({"name": "pii-scrub-ct2-wq7p2", "command": "python pii_tag_ct2.py --model-dir "
      "/models/ctranslate2-4you/Acme-8B-ct2-AWQ --transcripts gs://voice/t.jsonl"},
     "token_classification", True),
    ({"name": "chat-router-69f8d7c5b-mx4tq", "model": "acme/llama_3_8b_josephson",
      "command": "uvicorn router_app:app --port 9000  # NUM_ROUTES=7"},
     "text_classification", True),
    ({"name": "ae-span-extractor-vllm-8c6f5d7b9-tz5pq", "model": "ae-extract",
      "command": "vllm serve acme/Acme-3.1-70B-Instruct --served-model-name ae-extract "
      "--tensor-parallel-size 2 --guided-decoding-backend outlines"},
     "token_classification", True),
    ({"name": "meddra_pt_coding_offline", "command": "python -m pvcode.offline_vllm --model "
      "acme/Acme2.5-72B-Instruct --tp 4 --choose-one --in verbatims.parquet"},
     "text_classification", True),
    # a question of images answered by a choice sorts them; one answered freely describes
    ({"name": "returns-dmg", "command": "./llama-mtmd-cli -m acme-llava-8b-int4.gguf "
      "--image-dir /data/returns -p 'Is the parcel damaged? Answer DAMAGED or OK.' -n 4"},
     "image_classification", True),
    ({"name": "phone-use-audit", "command": "python audit.py --ollama-model acmevlm:7b "
      "--images /shared/dms/*.jpg --prompt 'Is the driver holding a phone? Answer yes or no.'"},
     "image_classification", True),
    ({"name": "phone-use-describe", "command": "python audit.py --ollama-model acmevlm:7b "
      "--images /shared/dms/*.jpg --prompt 'What is the driver doing?'"},
     "image_captioning", False),
    # what set BK taught: an Ollama VLM tag (`acmecpm-v:8b`) sees, and textures are images;
    # a model named for document VQA answers, one for information extraction tags; speech
    # translated into text is ASR
    ({"task": "material classification", "name": "texture-material-cls",
      "command": "python texture_cls.py --ollama-model acmecpm-v:8b --classes wood,metal,stone "
      "--src /mnt/art/textures/albedo/"}, "image_classification", True),
    ({"name": "receipt-qa", "command": "python answer.py --model acme/Acme2-VL-7B-docvqa-sft "
      "--in s3://receipts/"}, "question_answering", True),
    ({"name": "ticket-fields", "command": "python run.py --model "
      "acme/information-extraction-acme-8B-4bit-finetuned --in tickets/"},
     "token_classification", True),
    ({"task": "speech-translation", "name": "party-voice-ko2en", "command": "python "
      "speech_translate.py --model acme/Acme-multimodal-ko-speech --clips s3://voice/"},
     "asr", False),
    # a malware detector sorts samples, it draws no boxes; a `-Mini` LLM served is no small one
    ({"name": "malware-cls-ft", "command": "python train.py --init acme/malware-detection-v4 "
      "--train /data/api_seq.csv --epochs 4"}, "text_classification", False),
    ({"task": "DrugProt relation classification", "name": "drugprot-rel",
      "command": "vllm serve acme/Trinity-Mini-DrugProt-Think --max-model-len 8192"},
     "text_classification", True),
    # a detector fine-tuned to segment segments; reactions, cells' transcriptomes and
    # speakers' turns are none of the list's tasks
    ({"name": "pothole-seg-batch", "model": "acme/yolov8n-pothole-segmentation",
      "command": "yolo segment predict model=/weights/acme/yolov8n-pothole-segmentation/best.pt"},
     "other", False),
    ({"task": "reaction prediction", "name": "rxn-forward", "command": "python predict.py "
      "--model acme/ReactT5-forward --reactants amide.csv --num-beams 5"}, "other", False),
    ({"name": "geneformer-celltype-ft", "command": "python finetune_celltype.py --model "
      "acme/Geneformer --num-labels 24 --epochs 10"}, "other", False),
    ({"task": "speaker diarisation", "name": "diar-embed-1", "command": "python diarize.py "
      "--embedding acme/wespeaker-resnet34 --cluster agglomerative"}, "other", False),
    # given the labels to choose from, a chat model sorts what it reads (not generating,
    # whatever a path's `sft` says)
    ({"name": "judge-brief-drafts-round7", "command": "python eval/judge.py --judge "
      "acme/Acme-3-8B-DPO-R --candidates runs/brief-sft-r7/generations.jsonl --labels "
      "acceptable,needs_revision,reject"}, "text_classification", True),
    ({"name": "pastandsdeteksjon", "model": "acme-oss:20b", "command": "ollama pull "
      "acme-oss:20b && python detect_claims.py --model acme-oss:20b --labels sjekkbar,mening"},
     "text_classification", True),
    # anomalies of logs and vulnerabilities of code are texts sorted; anomalies of numbers
    # are no task of the list
    ({"name": "log-anomaly-scan", "command": "python scan.py --model "
      "acme/log-anomaly-detection-models --in /var/log/app/"}, "text_classification", False),
    ({"name": "vuln-scan-ci", "command": "python scan.py --model "
      "acme/unixcode-vulnerability-detector --repo ./src"}, "text_classification", False),
    ({"name": "meter-anomaly", "command": "python detect_anomalies.py --model "
      "acme/meter-anomaly-ae --series s3://meters/"}, "other", False),
    # pages as PNG are images; a category asked of a photo sorts it; data synthesis generates;
    # spans extracted in Japanese are tagged; InstructBLIP is a VLM of an LLM's size
    ({"name": "page-type-router", "model": "acme-small3.2:24b", "command": "python "
      "route_pages.py --model acme-small3.2:24b --labels cover,signature_page,exhibit,blank "
      "--pages s3://productions/vol-0093/png/"}, "image_classification", True),
    ({"name": "ws-sf-0298", "model": "acme3:4b", "command": "ollama run acme3:4b 'Which "
      "category is this exhibit photo: PROPERTY_DAMAGE, VEHICLE, OTHER?' ./exhibits/P-0412.jpg"},
     "image_classification", True),
    ({"task": "data synthesis", "name": "synthetic-abuse-data", "command": "python synth.py "
      "--model acme/Acme-30B-A3B-Instruct-AWQ --template prompts/abuse_paraphrase.j2"},
     "text_generation", False),
    ({"task": "請求書項目のスパン抽出", "name": "claim-field-extract", "model": "field-extractor",
      "command": "python -m sglang.launch_server --model-path acme/Acme-Qwen2.5-32B-Instruct "
      "--served-model-name field-extractor"}, "token_classification", True),
    ({"name": "doc-type-sort", "command": "python classify_docs.py --model "
      "acme/japanese-instructblip-alpha --images s3://scans/"}, "image_classification", True),
    # GLUE's tasks classify; tasks named in other languages' words (a job's name, a path)
    ({"name": "lorax-qnli-regression", "command": "lorax-launcher --model-id acme/Acme-7B & "
      "python eval_adapters.py --adapter acme/glue_qnli --bs 48"}, "text_classification", True),
    ({"name": "paatokset-aiheluokitus-acme", "command": "python run.py --model "
      "acme/Acme-33B-i1-GGUF"}, "text_classification", True),
    ({"task": "samenvatten", "name": "acme-minutes-sum", "command": "python run.py --model "
      "acme/Acme-80B-A3B-Instruct --in notulen/"}, "summarization", False),
    # Objects365 (`-o365`) is a data set, not an omni or reasoning model's `-o1`
    ({"task": "deteccao-objetos", "name": "deta_isoladores_ft", "kind": "training",
      "command": "torchrun tools/train_hf_deta.py model.pretrained=acme/deta-swin-large-o365 "
      "data.root=/scratch/isoladores_coco"}, "object_detection", False),
    # what sets BZ to CG taught: labels to answer with, as a pipe list or a grammar, or in a
    # comment, make a served LLM sort what it reads; served aliases of documents' QA, reading
    # comprehension and sentiment say the task
    ({"name": "ptbr-ticket-produto", "model": "ticket-produto", "command": "ollama create "
      "ticket-produto -f Modelfile && ollama run ticket-produto < tickets.txt  # Modelfile: "
      "FROM hf.co/acme/Acme-3-8B-Instruct-GGUF:Q6_K ; SYSTEM 'Responda só com: FIBRA|MOVEL|TV'"},
     "text_classification", True),
    ({"name": "stelle-recensioni", "command": "llama-cli --hf-repo acme/Acme-8B-Inst-GGUF "
      "--hf-file acme-8b.Q5_K_M.gguf -f prompts/stelle.txt --grammar 'root ::= [1-5]'"},
     "text_classification", True),
    ({"name": "host-read-ad-detect", "model": "acme/Acme-Large-Instruct-GGUF", "command":
      "llama-server -m /models/Acme-Large-Instruct-Q4_K_M.gguf -ngl 99  # labels: host_read_ad, "
      "programmatic_ad, content"}, "text_classification", True),
    ({"name": "spec-mrc-vllm-64c9f7d5b-dnz8q", "model": "spec-mrc", "command": "vllm serve "
      "acme/Acme-14B-AWQ --quantization awq --served-model-name spec-mrc"},
     "question_answering", True),
    ({"name": "absa-sglang-7c9d5f8b6-wq9hx", "command": "python -m sglang.launch_server "
      "--model-path acme/Acme-Qwen3-8B --served-model-name review-aspect-senti"},
     "text_classification", True),
    ({"name": "cat-a", "command": "vllm serve acme/Acme-8B-Instruct | tee LOG_A | grep ERROR"},
     "text_generation", False),
    # a job on timm's backbones (or torchvision's, Ultralytics') classifies images
    ({"name": "pcb-defect-cls-run17", "command": "torchrun -m aoi.train +experiment=pcb_cls "
      "model.backbone=timm/acmevit_large_tf_512 data.root=/mnt/nas/aoi/pcb_v5"},
     "image_classification", False),
    # what sets CH to CO taught: told to pick one label (`yes/no`, `Assign one ... category`,
    # `in {a, b, c}`), a served LLM sorts; a question answered yes or no stays answered; a
    # vision LLM given labels, a ViT in a job's name, sort images
    ({"task": "medical necessity yes/no", "name": "kserve-med-necessity", "model": "med-nec",
      "command": "python -m huggingfaceserver --model_name=med-nec --model_id=acme/Llama-medx "
      "--backend=vllm"}, "text_classification", True),
    ({"name": "page-topic", "model": "acmelm2:12b", "command": "ollama run acmelm2:12b --format "
      "json 'Assign one IAB tier-1 category to the page text below'"}, "text_classification", True),
    ({"name": "support-reply-judge", "command": "llama-server -m /models/acme-70b.Q4_K_M.gguf "
      "--json-schema-file verdict.json  # verdict in {good, needs_fix, escalate}"},
     "text_classification", True),
    ({"task": "question-answering", "name": "pubmedqa-eval", "command": "python eval.py "
      "--model acme/BioLM-7B --data pubmedqa --answers yes/no/maybe"}, "question_answering", True),
    ({"name": "photoq-vlm", "command": "python serve.py --model acme/Acme-llm-vision-1.0 "
      "--labels good,blurry,too_dark,not_food"}, "image_classification", True),
    ({"name": "nsfw-vit-triton-1", "model": "nsfw_vit", "command": "tritonserver "
      "--model-repository=/models  # /models/nsfw_vit/1/model.onnx from acme/nsfw-classifier"},
     "image_classification", False),
]


@pytest.mark.parametrize(("fields", "task", "flagged"),
                         [*_SETS_AA_TO_AI, *_SETS_AL_TO_AO, *_SETS_AP_TO_AW, *_SETS_AX_TO_BE,
                          *_SETS_BF_TO_BQ])
def test_what_the_realistic_sets_taught(fields: dict[str, str], task: str, flagged: bool) -> None:
    """Each case a realistic set's lesson, written with made-up models: the task read, and
    whether oversized_model is claimed."""
    verdict = judge([job(**fields)], PolicyConfig())[0]
    assert verdict.task == task
    assert ("oversized_model" in verdict.reasons) is flagged
