"""Submit-time checks: sbatch scripts, manifests of each kind and job records read as requests,
judged by the week's classifier and policy; the lines a person reads at submission."""

from __future__ import annotations

from typing import Any

import pytest

from analyzers.submit import (
    RULES,
    SubmitInputError,
    SubmitRequest,
    check_request,
    parse_manifest,
    parse_record,
    parse_sbatch,
    request_from_json,
    slurm_time_s,
)
from analyzers.suggestions import SECONDS_PER_WEEK
from bot.pipeline import rates_lookup
from bot.services.submit_check import check
from config.organisation import Organisation

OVERSIZED = """#!/bin/bash
#SBATCH -J llama3-70b-sentiment
#SBATCH --gres=gpu:a100:8
#SBATCH --time=1-00:00:00
#SBATCH --account=nlp
module load cuda
python classify.py --model meta-llama/Meta-Llama-3-70B --task sentiment
"""

RIGHT_SIZED = """#!/bin/bash
#SBATCH --job-name=resnet50-train
#SBATCH --gpus=a100:1
#SBATCH -t 12:00:00
python train.py --model resnet50 --precision bf16 --data /scratch/imagenet
"""


def pod(name: str, *, gpus: int | str = 1, args: list[str] | None = None,
        image: str = "ghcr.io/acme/serve:1", **extra: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": image, "args": args or [],
                                 "resources": {"limits": {"nvidia.com/gpu": gpus}}}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "nlp"},
            "spec": {"containers": [container], **extra}}


def template_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": doc["metadata"]["name"]}}, "spec": doc["spec"]}


SENTIMENT_ARGS = ["--model", "meta-llama/Meta-Llama-3-70B-Instruct", "--task", "sentiment"]


def test_an_oversized_sbatch_job_gets_one_line_with_task_size_alternative_and_saving(
        organisation: Organisation) -> None:
    req = parse_sbatch(OVERSIZED)
    assert (req.job_name, req.gpus, req.gpu_type, req.team, req.time_limit_s) == (
        "llama3-70b-sentiment", 8, "a100", "nlp", 86400.0)
    verdict = check(organisation, req)
    assert verdict.kinds == ("oversized_model",) and not verdict.deny
    assert len(verdict.warnings) == 1
    line = verdict.warnings[0]
    assert line.startswith("ai-cost: llama3-70b-sentiment looks like text classification")
    assert "70B" in line or "71B" in line
    assert "distilbert" in line and "on 1 GPU" in line
    assert f"${round(verdict.est_saved_usd_week):,}/week" in line
    assert verdict.suggestion is not None
    assert verdict.suggestion["kind"] == "model_swap"
    assert verdict.suggestion["change"]["gpus"] == {"from": 8, "to": 1}


def test_a_request_with_nothing_wrong_gets_no_warning(organisation: Organisation) -> None:
    verdict = check(organisation, parse_sbatch(RIGHT_SIZED))
    assert verdict.warnings == () and verdict.kinds == () and verdict.suggestion is None
    generating = SubmitRequest(job_name="llama-chat", gpus=8, gpu_type="H100",
                               command="vllm serve meta-llama/Meta-Llama-3-70B-Instruct")
    assert check(organisation, generating).warnings == ()  # a 70B chat model, chatting
    no_gpu = SubmitRequest(job_name="etl", command="python classify.py --model llama-70b")
    assert check(organisation, no_gpu).warnings == ()


def test_the_saving_assumes_the_gpus_held_for_the_time_limit_capped_at_a_week(
        organisation: Organisation) -> None:
    rates = rates_lookup(organisation)("", "A100")
    day = parse_sbatch(OVERSIZED)
    two_days = parse_sbatch(OVERSIZED, args=["--time=2-00:00:00"])
    forever = parse_sbatch(OVERSIZED.replace("#SBATCH --time=1-00:00:00\n", ""))
    month = parse_sbatch(OVERSIZED, args=["-t", "30-00:00:00"])
    saved = [check_request(r, policy=organisation.policy, rates=rates).est_saved_usd_week
             for r in (day, two_days, forever, month)]
    assert saved[1] == pytest.approx(2 * saved[0])
    assert saved[2] == pytest.approx(saved[0] * SECONDS_PER_WEEK / 86400)
    assert saved[3] == pytest.approx(saved[2])


@pytest.mark.parametrize(("directives", "gpus", "gpu_type"), [
    ("#SBATCH --gpus-per-node=h100:4\n#SBATCH --nodes=2", 8, "h100"),
    ("#SBATCH -N 3\n#SBATCH --gpus-per-node=2", 6, None),
    ("#SBATCH --gpus=l40s:2", 2, "l40s"),
    ("#SBATCH -G 4", 4, None),
    ("#SBATCH --gres=gpu:2,tmp:100G", 2, None),
    ("#SBATCH --gres=gpu:a100:1(S:0)", 1, "a100"),
    ("#SBATCH --ntasks=4 --gpus-per-task=1", 4, None),
    ("#SBATCH --gres gpu:v100:2  # two, as agreed", 2, "v100"),
    ("#SBATCH --mem=64G", 0, None),
])
def test_sbatch_gpu_options(directives: str, gpus: int, gpu_type: str | None) -> None:
    req = parse_sbatch(f"#!/bin/bash\n{directives}\nsrun python run.py\n")
    assert (req.gpus, req.gpu_type) == (gpus, gpu_type)


def test_sbatch_reads_directives_until_the_first_command_and_command_line_options_win(
) -> None:
    text = ("#!/bin/bash\n#SBATCH -J first\n#SBATCH --gres=gpu:4\necho start\n"
            "#SBATCH --gres=gpu:8\npython run.py\n")
    req = parse_sbatch(text, user="alice", cluster="iowa-hpc")
    assert (req.job_name, req.gpus, req.user, req.cluster, req.source) == (
        "first", 4, "alice", "iowa-hpc", "slurm")
    assert req.command == "echo start ; python run.py"
    assert parse_sbatch(text, args=["--gres=gpu:1", "-J", "second"]).gpus == 1
    assert parse_sbatch(text, args=["-J", "second"]).job_name == "second"
    assert parse_sbatch("#!/bin/bash\npython x.py\n", job_name="x.sh").job_name == "x.sh"


@pytest.mark.parametrize(("value", "seconds"), [
    ("90", 5400.0), ("10:30", 630.0), ("02:00:00", 7200.0), ("2-00", 172800.0),
    ("1-12:30", 131400.0), ("1-00:00:01", 86401.0), ("UNLIMITED", None)])
def test_slurm_time_limits(value: str, seconds: float | None) -> None:
    assert slurm_time_s(value) == seconds


@pytest.mark.parametrize("text", [
    "#!/bin/bash\n#SBATCH --gres=gpu:4 'unclosed\n",
    "#!/bin/bash\n#SBATCH --time=soon\n",
    "#!/bin/bash\n#SBATCH --gpus=a100:many\n",
    "#!/bin/bash\n#SBATCH --gpus-per-node=2 --nodes=lots\n",
])
def test_an_unreadable_sbatch_option_is_one_line(text: str) -> None:
    with pytest.raises(SubmitInputError) as caught:
        parse_sbatch(text)
    assert "\n" not in str(caught.value) and str(caught.value)


def test_a_notebook_holding_many_gpus_and_fp32_on_a_bf16_gpu_give_two_lines(
        organisation: Organisation) -> None:
    text = ("#!/bin/bash\n#SBATCH -J explore\n#SBATCH --gres=gpu:a100:8\n#SBATCH -t 8:00:00\n"
            "jupyter lab --no-browser --port 8888 --precision fp32\n")
    req = parse_sbatch(text)
    assert req.interactive and req.precision == "fp32"
    verdict = check(organisation, req)
    assert verdict.kinds == ("notebook_gpus", "fp32")
    assert len(verdict.warnings) == 2
    assert "interactive and holds 8 GPUs: ask for 2" in verdict.warnings[0]
    assert "fp32 on a100" in verdict.warnings[1] and "bf16" in verdict.warnings[1]
    assert verdict.suggestion is not None
    assert verdict.suggestion["change"]["gpus"] == {"from": 8, "to": 2}
    small = parse_sbatch(text.replace("gpu:a100:8", "gpu:a100:2").replace(" --precision fp32",
                                                                              ""))
    assert check(organisation, small).warnings == ()
    old_gpu = SubmitRequest(job_name="t", gpus=1, gpu_type="Tesla V100", precision="fp32")
    assert check(organisation, old_gpu).warnings == ()  # a V100 has no bf16


def test_a_denied_rule_and_the_link(organisation: Organisation) -> None:
    strict = organisation.model_copy(update={"submit": organisation.submit.model_copy(
        update={"deny": ["notebook_gpus"], "public_url": "https://ai-cost.example.org/"})})
    nb = SubmitRequest(job_name="nb", gpus=8, gpu_type="A100", interactive=True)
    verdict = check(strict, nb)
    assert verdict.deny and verdict.kinds == ("notebook_gpus",)
    assert verdict.warnings[-1].endswith("More: https://ai-cost.example.org/docs/submit-time")
    oversized = check(strict, parse_sbatch(OVERSIZED))
    assert not oversized.deny and oversized.warnings
    assert check(organisation, nb).deny is False  # warn-only by default


def test_rules_are_the_organisation_files_names() -> None:
    from pydantic import ValidationError

    assert set(RULES) == {"oversized_model", "notebook_gpus", "fp32"}
    with pytest.raises(ValidationError, match="unknown rules: notebook"):
        Organisation.model_validate({"submit": {"deny": ["notebook"]}})


# Kubernetes ---------------------------------------------------------------------------------

def test_each_workload_kind_is_read_with_its_gpus_and_replicas(
        organisation: Organisation) -> None:
    base = pod("sentiment", gpus=2, args=SENTIMENT_ARGS,
               nodeSelector={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"})
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {**base["metadata"], "name": "sentiment-job"},
           "spec": {"activeDeadlineSeconds": 7200, "template": template_of(base)}}
    cron = {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {**base["metadata"], "name": "sentiment-nightly"},
            "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": job["spec"]}}}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {**base["metadata"], "name": "sentiment-api"},
              "spec": {"replicas": 3, "template": template_of(base)}}
    stateful = {**deploy, "kind": "StatefulSet",
                "metadata": {**base["metadata"], "name": "sentiment-sts"}}
    isvc = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "sentiment-isvc", "namespace": "nlp"},
            "spec": {"predictor": {"minReplicas": 2, "model": {
                "modelFormat": {"name": "huggingface"}, "args": ["--task", "sentiment"],
                "storageUri": "hf://meta-llama/Meta-Llama-3-70B-Instruct",
                "resources": {"limits": {"nvidia.com/gpu": "2"}}}}}}
    read = {doc["kind"]: parse_manifest(doc) for doc in (base, job, cron, deploy, stateful,
                                                          isvc)}
    assert all(len(reqs) == 1 for reqs in read.values())
    reqs = {kind: r[0] for kind, r in read.items()}
    assert {k: (r.gpus, r.replicas) for k, r in reqs.items()} == {
        "Pod": (2, 1), "Job": (2, 1), "CronJob": (2, 1), "Deployment": (2, 3),
        "StatefulSet": (2, 3), "InferenceService": (2, 2)}
    assert reqs["Job"].time_limit_s == reqs["CronJob"].time_limit_s == 7200.0
    assert reqs["Pod"].gpu_type == "NVIDIA-A100-SXM4-80GB" and reqs["Pod"].team == "nlp"
    assert reqs["InferenceService"].model == "meta-llama/Meta-Llama-3-70B-Instruct"
    verdicts = {k: check(organisation, r) for k, r in reqs.items()}
    for kind, verdict in verdicts.items():
        assert verdict.kinds == ("oversized_model",), kind
        assert reqs[kind].job_name in verdict.warnings[0], kind
    # three replicas hold three times the GPUs: three times the saving of one
    assert verdicts["Deployment"].est_saved_usd_week == pytest.approx(
        3 * check(organisation, SubmitRequest(**{**reqs["Deployment"].to_json(),
                                                 "replicas": 1})).est_saved_usd_week)
    assert "3 replicas of 2 GPUs" in verdicts["Deployment"].warnings[0]


def test_a_list_a_notebook_and_objects_without_gpus(organisation: Organisation) -> None:
    notebook = {"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
                "metadata": {"name": "erin-nb", "namespace": "vision"},
                "spec": {"template": {"spec": {"containers": [{
                    "name": "nb", "image": "kubeflownotebookswg/jupyter-pytorch-cuda:v1.8",
                    "resources": {"limits": {"nvidia.com/gpu": 4}}}]}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    cpu = pod("cpu-only", gpus=0)
    reqs = parse_manifest({"apiVersion": "v1", "kind": "List",
                           "items": [notebook, config, cpu]}, user="erin")
    assert [(r.job_name, r.gpus, r.interactive, r.user) for r in reqs] == [
        ("erin-nb", 4, True, "erin"), ("cpu-only", 0, False, "erin")]
    assert check(organisation, reqs[0]).kinds == ("notebook_gpus",)
    assert check(organisation, reqs[1]).warnings == ()


@pytest.mark.parametrize(("doc", "reason"), [
    ([1, 2], "must be a mapping"),
    ({"metadata": {}}, "no kind"),
    ({"kind": "Pod", "spec": "x"}, "spec must be a mapping"),
    ({"kind": "Pod", "spec": {"containers": [{"resources": {"limits": {
        "nvidia.com/gpu": "two"}}}]}}, "nvidia.com/gpu must be a whole number"),
])
def test_an_unreadable_manifest_is_one_line(doc: Any, reason: str) -> None:
    with pytest.raises(SubmitInputError, match=reason):
        parse_manifest(doc)


# Job records ---------------------------------------------------------------------------------

def test_a_job_record_of_the_contract_is_a_request(organisation: Organisation) -> None:
    record = {"job_id": "123", "name": "ner-extract", "team": "nlp", "user": "carol",
              "model": "mistralai/Mixtral-8x7B-Instruct-v0.1", "task": "token_classification",
              "gpus": 4, "gpu_type": "NVIDIA H100 80GB HBM3", "kind": "batch",
              "duration_s": 3600, "gpu_util_mean": 12.0}
    req = parse_record(record)
    assert (req.job_name, req.gpus, req.workload, req.time_limit_s, req.kind) == (
        "ner-extract", 4, "batch", 3600.0, "record")
    verdict = check(organisation, req)
    assert verdict.kinds == ("oversized_model",)
    assert "ner-extract looks like token classification" in verdict.warnings[0]
    with pytest.raises(SubmitInputError, match="gpus must be an integer"):
        parse_record({**record, "gpus": "four"})
    with pytest.raises(SubmitInputError, match="task must be one of"):
        parse_record({**record, "task": "vibes"})


def test_the_endpoints_body_is_checked_field_by_field() -> None:
    req = request_from_json({"job_name": "x", "gpus": 2, "interactive": True})
    assert (req.gpus, req.interactive, req.source) == (2, True, "api")
    for body, reason in (({"gpus": 2}, "job_name is required"),
                         ({"job_name": "x", "gpus": -1}, "gpus must be"),
                         ({"job_name": "x", "gpu": 1}, "unknown field 'gpu'"),
                         ({"job_name": "x", "source": "mail"}, "source must be"),
                         ({"job_name": "x", "time_limit_s": "1h"}, "time_limit_s must be"),
                         ("job", "JSON object")):
        with pytest.raises(SubmitInputError, match=reason):
            request_from_json(body)


def test_an_absurd_gpu_count_or_time_limit_is_refused_not_estimated() -> None:
    with pytest.raises(SubmitInputError, match="gpus must be at most 1,000,000"):
        parse_sbatch("#!/bin/bash\n#SBATCH -J llama3-70b-sentiment\n"
                     "#SBATCH --gres=gpu:99999999999999999999\nsrun python x.py\n")
    with pytest.raises(SubmitInputError, match="at most ten years"):
        parse_sbatch("#!/bin/bash\n#SBATCH --gres=gpu:8\n#SBATCH --time=99999999:00:00\n"
                     "srun python x.py\n")
