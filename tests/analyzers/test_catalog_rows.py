"""The shipped catalog's rows: unique, apart from the evaluation's models, read as written."""

from __future__ import annotations

from typing import Any

import pytest

from analyzers.classifier.catalog import load_catalog
from analyzers.classifier.corpus import unseen_models
from analyzers.classifier.reading import read_job
from analyzers.records import JobRecord

BUSY = {"gpu_type": "NVIDIA H100 80GB HBM3", "gpus": 1, "duration_s": 7200.0,
        "gpu_util_mean": 60.0, "gpu_util_max": 90.0, "gpu_mem_used_gib_max": 30.0,
        "gpu_mem_total_gib": 80.0}


def job(**fields: Any) -> JobRecord:
    return JobRecord(job_id="j", **{**BUSY, **fields})


def test_rows_are_unique_and_leave_the_unseen_models_out() -> None:
    ids = [m.model_id.lower() for m in load_catalog()]
    assert len(ids) == len(set(ids))
    assert not {m.model_id.lower() for m in unseen_models()} & set(ids)


@pytest.mark.parametrize(("fields", "size_b", "task"), [
    ({"name": "nv-embed-v2-7d9f8c6b5-x2k4q", "command": "python -m embed_server"}, 7.85,
     "sentence_similarity"),
    ({"name": "doc-qa", "command": "vllm serve rhymes-ai/Aria --trust-remote-code"}, 25.3, None),
    ({"name": "moderation", "command": "vllm serve openai/gpt-oss-safeguard-20b"}, 21.5,
     "text_classification"),
    ({"name": "rm-score", "command": "python score.py --model "
      "Skywork/Skywork-Reward-Gemma-2-27B-v0.2"}, 27.2, "text_classification"),
    ({"name": "pdf-index", "command": "python index.py --model vidore/colpali-v1.3"}, 2.92,
     "sentence_similarity"),
    ({"name": "asr", "command": "python run.py --model Systran/faster-distil-whisper-large-v3"},
     0.756, "asr"),
    ({"name": "i2v", "command": "python generate.py --ckpt_dir ./Wan2.2-I2V-A14B"}, 27.0, "other"),
])
def test_new_rows_are_read_exactly(fields: dict[str, str], size_b: float,
                                   task: str | None) -> None:
    reading = read_job(job(**fields))
    assert reading.size == (size_b, size_b)
    assert reading.task == task


@pytest.mark.parametrize("name", ["aria-etl-nightly", "aria-chat-frontend-7d9f8c6b5-x2k4q",
                                  "limo-booking-ranker", "text-summarization-worker",
                                  "gist-embedding-sync", "solar-panel-detector"])
def test_common_words_name_no_model(name: str) -> None:
    assert read_job(job(name=name, command="python app.py")).size is None


@pytest.mark.parametrize(("fields", "size_b", "task"), [
    ({"name": "ds-r1", "command": "vllm serve microsoft/MAI-DS-R1 --tensor-parallel-size 8"},
     671.0, None),
    ({"name": "longcat-flash-chat-7d9f8c6b5-x2k4q",
      "command": "python -m sglang.launch_server --model-path meituan-longcat/LongCat-Flash-Chat"},
     560.0, None),
    ({"name": "docs", "command": "vllm serve CohereLabs/command-a-vision-07-2025"}, 112.0, None),
    ({"name": "gen", "command": "python app.py --model_path ByteDance-Seed/BAGEL-7B-MoT"}, 14.0,
     None),
    ({"name": "ocr", "command": "vllm serve nanonets/Nanonets-OCR-s"}, 3.75, "image_captioning"),
    ({"name": "sam3-5f6d7c8b9-abcde", "command": "python segment.py --model facebook/sam3"},
     0.848, "other"),
    ({"name": "clip",
      "command": "python clip.py --model laion/CLIP-ViT-L-14-DataComp.XL-s13B-b90K"}, 0.428,
     "image_classification"),
    ({"name": "clip", "command": "open_clip hf-hub:apple/DFN5B-CLIP-ViT-H-14"}, 0.986,
     "image_classification"),
    ({"name": "seg", "command": "yolo segment train model=yolov8m-seg.pt data=coco.yaml"}, 0.0273,
     "object_detection"),
    ({"name": "asr",
      "command": "python run.py --model mobiuslabsgmbh/faster-whisper-large-v3-turbo"}, 0.809,
     "asr"),
    ({"name": "jina-reranker-v3-7d9f8c6b5-x2k4q", "command": "python serve.py"}, 0.6,
     "sentence_similarity"),
    ({"name": "rm", "command": "python score.py --reward-model sfairXC/FsfairX-LLaMA3-RM-v0.1"},
     7.5, "text_classification"),
])
def test_fourth_refresh_rows_are_read_exactly(fields: dict[str, str], size_b: float,
                                              task: str | None) -> None:
    reading = read_job(job(**fields))
    assert reading.size == (size_b, size_b)
    assert reading.task == task


@pytest.mark.parametrize("name", ["playground-notebook-7d9f8c6b5-x2k4q", "realistic-load-test",
                                  "command-runner", "intern-onboarding-batch"])
def test_common_words_of_the_fourth_refresh_name_no_model(name: str) -> None:
    reading = read_job(job(name=name, command="python app.py"))
    assert reading.size is None
    assert reading.floor_b is None


@pytest.mark.parametrize(("fields", "size_b", "task"), [
    ({"name": "judge", "command": "ollama run hf.co/PatronusAI/glider-gguf:Q8_0"}, 3.82, None),
    ({"name": "rag-qa", "command": "python rag_eval.py --reader arcee-ai/Virtuoso-Lite"}, 10.3,
     None),
    ({"name": "toxscreen", "command": "python -m sglang.launch_server --model-path "
      "PrimeIntellect/INTELLECT-3 --tp 4"}, 110.0, None),
    ({"name": "edge-asr", "command": "python run.py --model google/gemma-3n-E4B"}, 7.85, None),
    ({"name": "narration", "command": "python demo.py --model_path microsoft/VibeVoice-1.5B"},
     2.7, "other"),  # the whole model, not the 1.5 B of its name
    ({"name": "pdf-ocr", "command": "python ocr.py --model deepseek-ai/DeepSeek-OCR"}, 3.34,
     "image_captioning"),
    ({"name": "rag-guard", "command": "python score.py --model "
      "vectara/hallucination_evaluation_model"}, 0.11, "text_classification"),
])
def test_sixth_refresh_rows_are_read_exactly(fields: dict[str, str], size_b: float,
                                             task: str | None) -> None:
    reading = read_job(job(**fields))
    assert reading.size == (size_b, size_b)
    assert reading.task == task


@pytest.mark.parametrize(("fields", "size_b", "task"), [
    ({"name": "ja-chat", "command": "vllm serve tokyotech-llm/Llama-3.1-Swallow-70B-Instruct-v0.1 "
      "--tensor-parallel-size 4"}, 70.6, None),
    ({"name": "pl-assistant-7d9f8c6b5-x2k4q",
      "command": "python -m sglang.launch_server --model-path CYFRAGOVPL/PLLuM-12B-nc-chat"},
     12.2, None),
    ({"name": "rm-score", "command": "python score.py --reward-model weqweasdas/RM-Gemma-7B"},
     8.54, "text_classification"),
    ({"name": "prm", "command": "python verify.py --prm Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B"},
     7.07, "text_classification"),  # a value head on Qwen2.5-7B, no LM head
    ({"name": "ner-sw", "command": "python tag.py --model Davlan/xlm-roberta-large-masakhaner"},
     0.56, "token_classification"),
    ({"name": "tts", "command": "python webui.py --model_dir pretrained_models/CosyVoice-300M-SFT"},
     0.3, "other"),
    ({"name": "chat", "command": "llama-server -m ./models/dolphin-2.7-mixtral-8x7b.Q4_K_M.gguf"},
     46.7, None),
    ({"name": "img-guard",
      "command": "python moderate.py --model AIML-TUDA/LlavaGuard-v1.2-0.5B-OV"}, 0.894,
     "text_classification"),
    ({"name": "zeroshot", "command": "python classify.py --model "
      "MoritzLaurer/deberta-v3-large-zeroshot-v1.1-all-33"}, 0.435, "text_classification"),
])
def test_tenth_refresh_rows_are_read_exactly(fields: dict[str, str], size_b: float,
                                             task: str | None) -> None:
    reading = read_job(job(**fields))
    assert reading.size == (size_b, size_b)
    assert reading.task == task


def test_a_brand_alone_is_no_family_line() -> None:
    """Qwen-Image and its edits write no size: `qwen` is their brand, not a line of 20 B
    models that every name with `qwen` inside it continues (the line `qwen` is Qwen 1's
    sized models, 1.8 B and up)."""
    reading = read_job(job(name="guard-smol",
                           command="vllm serve ToxicityPrompts/PolyGuard-Qwen-Smol"))
    assert reading.size is None
    assert reading.floor_b is None or reading.floor_b < 3
