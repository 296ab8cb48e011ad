"""`ai-cost check FILE`: what a person or a CI pipeline sees before submitting."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import session
from storage.models import SubmitWarning

SBATCH = """#!/bin/bash
#SBATCH -J llama3-70b-sentiment
#SBATCH --gres=gpu:a100:8
#SBATCH -t 1-00:00:00
python classify.py --model meta-llama/Meta-Llama-3-70B --task sentiment
"""
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: qwen2-72b-ticket-classifier, namespace: vision}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: server
          image: vllm/vllm-openai:v0.6.0
          args: ["--model", "Qwen/Qwen2-72B-Instruct", "--task", "classify support tickets"]
          resources: {limits: {nvidia.com/gpu: 4}}
---
apiVersion: v1
kind: Service
metadata: {name: qwen2-72b-ticket-classifier}
---
apiVersion: v1
kind: Pod
metadata: {name: resnet-train, namespace: vision}
spec:
  containers:
    - name: train
      image: pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime
      command: ["python", "train.py", "--model", "resnet50", "--precision", "bf16"]
      resources: {limits: {nvidia.com/gpu: 1}}
"""
RECORDS = "\n".join([
    json.dumps({"job_id": "1", "name": "nb-explore", "kind": "interactive", "gpus": 8,
                "gpu_type": "NVIDIA A100-SXM4-80GB", "user": "bob"}),
    "{not json",
    json.dumps({"job_id": "2", "name": "fp32-train", "gpus": 1, "precision": "fp32",
                "gpu_type": "NVIDIA H100 80GB HBM3", "command": "python train.py"}),
    json.dumps({"job_id": "3", "gpus": -1, "gpu_type": "L4"}),
]) + "\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"sbatch": tmp_path / "job.sh", "manifest": tmp_path / "deploy.yaml",
             "records": tmp_path / "jobs.jsonl"}
    for (_, path), text in zip(paths.items(), (SBATCH, MANIFEST, RECORDS), strict=True):
        path.write_text(text)
    return paths


def test_an_sbatch_script_prints_its_warning(files: dict[str, Path]) -> None:
    code, out, _ = run(str(files["sbatch"]))
    assert code == 0
    assert out.startswith("ai-cost: llama3-70b-sentiment looks like text classification")
    assert "distilbert" in out and "/week" in out


def test_a_manifest_of_several_documents(files: dict[str, Path]) -> None:
    code, out, _ = run(str(files["manifest"]))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ai-cost: qwen2-72b-ticket-classifier looks like text "
                               "classification")
    assert "2 replicas of 4 GPUs" in lines[0]
    assert lines[1] == "resnet-train: no warning (1 GPU)"  # the Service asks for nothing
    assert len(lines) == 2


def test_job_records_keep_the_good_lines_and_name_the_bad(files: dict[str, Path]) -> None:
    code, out, err = run(str(files["records"]), "--json")
    assert code == 0
    results = json.loads(out)
    assert [(r["job_name"], r["kinds"]) for r in results] == [
        ("nb-explore", ["notebook_gpus"]), ("fp32-train", ["fp32"])]
    assert all(r["currency"] == "USD" and r["warnings"] for r in results)
    assert "line 2: not valid JSON" in err and "line 4: gpus must be" in err


def test_fail_on_gates_a_pipeline(files: dict[str, Path]) -> None:
    assert run(str(files["sbatch"]), "--fail-on", "oversized_model")[0] == 1
    assert run(str(files["sbatch"]), "--fail-on", "any")[0] == 1
    assert run(str(files["sbatch"]), "--fail-on", "fp32,notebook_gpus")[0] == 0
    assert run(str(files["records"]), "--fail-on", "fp32")[0] == 1
    code, _, err = run(str(files["sbatch"]), "--fail-on", "oversize")
    assert code == 2 and "unknown rule 'oversize'" in err


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
    (b"just: [unclosed\n", "unreadable YAML at line 2"),
    (b"hello world\n", "not an sbatch script"),
    (b"#!/bin/bash\n#SBATCH --time=soon\n", "unreadable time limit"),
    (b'{"gpus": 2}\n', "name or job_id is required"),
])
def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path: Path, content: bytes,
                                                   reason: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    code, out, err = run(str(path))
    assert code == 2, (out, err)
    assert reason in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_missing_file(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope.sh"))
    assert code == 2 and "cannot read" in err and "No such file" in err


def test_it_records_only_when_asked(files: dict[str, Path], engine: Engine, database_url: str,
                                    monkeypatch: pytest.MonkeyPatch,
                                    cli_clock: datetime) -> None:
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    assert run(str(files["sbatch"]))[0] == 0
    with session(engine) as s:
        assert s.exec(select(SubmitWarning)).all() == []
    assert run(str(files["sbatch"]), "--record", "--user", "alice",
               "--cluster", "iowa-hpc")[0] == 0
    with session(engine) as s:
        (row,) = s.exec(select(SubmitWarning)).all()
    assert (row.source, row.user, row.cluster, row.job_name, row.kinds) == (
        "cli", "alice", "iowa-hpc", "llama3-70b-sentiment", ["oversized_model"])
    assert row.team == "nlp"  # alice's team
    assert row.at.replace(tzinfo=None) == cli_clock.replace(tzinfo=None)


def test_a_kubernetes_object_in_json(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "pod.json"
    deployment = next(yaml.safe_load_all(MANIFEST))
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [deployment]}))
    code, out, _ = run(str(path), "--fail-on", "oversized_model")
    assert code == 1 and out.startswith("ai-cost: qwen2-72b-ticket-classifier looks like")
