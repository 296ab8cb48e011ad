"""Reading Kubernetes objects as requests.

Pod, Job, CronJob, Deployment, StatefulSet, ReplicaSet, DaemonSet, Kubeflow Notebook and KServe
InferenceService; a List of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from analyzers.submit.request import (
    INTERACTIVE,
    SubmitInputError,
    SubmitRequest,
    from_fields,
    read_precision,
)

_GPU_PRODUCT_LABELS = ("nvidia.com/gpu.product", "cloud.google.com/gke-accelerator",
                       "accelerator", "gpu-type")
_MODEL_ENV = ("MODEL", "MODEL_ID", "MODEL_NAME", "HF_MODEL_ID", "MODEL_PATH", "LLM_MODEL")
_WORKLOADS = {"Pod", "Job", "CronJob", "Deployment", "StatefulSet", "ReplicaSet",
              "DaemonSet", "InferenceService", "Notebook"}


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SubmitInputError(f"{where} must be a mapping")
    return value


def _gpu_limit(container: Mapping[str, Any], where: str) -> int:
    resources = _map(container.get("resources"), f"{where}.resources")
    for part in ("limits", "requests"):
        value = _map(resources.get(part), f"{where}.resources.{part}").get("nvidia.com/gpu")
        if value is not None:
            try:
                return int(str(value))
            except ValueError:
                raise SubmitInputError(f"{where}: nvidia.com/gpu must be a whole number, "
                                       f"got {value!r}") from None
    return 0


def _pod_spec(doc: Mapping[str, Any], kind: str) -> tuple[Mapping[str, Any], int, float | None]:
    """The pod spec of a workload, its replicas and its deadline in seconds."""
    spec = _map(doc.get("spec"), "spec")
    if kind == "Pod":
        return spec, 1, _seconds(spec.get("activeDeadlineSeconds"))
    if kind == "CronJob":
        job = _map(_map(spec.get("jobTemplate"), "spec.jobTemplate").get("spec"),
                   "spec.jobTemplate.spec")
        template = _map(job.get("template"), "spec.jobTemplate.spec.template")
        return (_map(template.get("spec"), "template.spec"), 1,
                _seconds(job.get("activeDeadlineSeconds")))
    template = _map(spec.get("template"), "spec.template")
    replicas = spec.get("replicas", spec.get("parallelism", 1))
    replicas = replicas if isinstance(replicas, int) and replicas > 0 else 1
    return (_map(template.get("spec"), "spec.template.spec"), replicas,
            _seconds(spec.get("activeDeadlineSeconds")))


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _container_words(container: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    words = [str(x) for key in ("command", "args") for x in (container.get(key) or [])
             if isinstance(x, str | int | float)]
    env = {str(e.get("name")): str(e.get("value")) for e in container.get("env") or []
           if isinstance(e, Mapping) and e.get("value") is not None}
    return " ".join(words), env


def _from_containers(containers: Sequence[Any], where: str) -> dict[str, Any]:
    gpus, image, commands, model, precision = 0, None, [], None, None
    for i, container in enumerate(containers):
        container = _map(container, f"{where}[{i}]")
        count = _gpu_limit(container, f"{where}[{i}]")
        words, env = _container_words(container)
        if count and image is None:
            image = container.get("image") if isinstance(container.get("image"), str) else None
        gpus += count
        if words:
            commands.append(words)
        model = model or next((env[k] for k in _MODEL_ENV if env.get(k)), None)
        precision = precision or read_precision(words + " " + " ".join(
            f"{k}={v}" for k, v in env.items()))
        if image is None and isinstance(container.get("image"), str):
            image = container["image"]
    return {"gpus": gpus, "image": image, "command": " ; ".join(commands)[:4000] or None,
            "model": model, "precision": precision}


def _gpu_type(pod: Mapping[str, Any]) -> str | None:
    selector = _map(pod.get("nodeSelector"), "nodeSelector")
    return next((str(selector[k]) for k in _GPU_PRODUCT_LABELS if selector.get(k)), None)


def _inference_service(doc: Mapping[str, Any], meta: Mapping[str, Any]) -> dict[str, Any]:
    predictor = _map(_map(doc.get("spec"), "spec").get("predictor"), "spec.predictor")
    containers: list[Any] = list(predictor.get("containers") or [])
    model_uri = None
    for value in predictor.values():  # model: {...} or a framework: huggingface, pytorch
        if isinstance(value, Mapping) and ("resources" in value or "storageUri" in value):
            containers.append(value)
            model_uri = model_uri or value.get("storageUri")
    found = _from_containers(containers, "spec.predictor")
    if not found["model"] and isinstance(model_uri, str):
        found["model"] = re.sub(r"^(hf|gs|s3|pvc|https?)://", "", model_uri)
    replicas = predictor.get("minReplicas", 1)
    found["replicas"] = replicas if isinstance(replicas, int) and replicas > 0 else 1
    found["gpu_type"] = _gpu_type(predictor)
    return found


def parse_manifest(doc: Mapping[str, Any], **defaults: Any) -> list[SubmitRequest]:
    """The requests of one Kubernetes object (a workload kind, or a List of them).

    Pod, Job, CronJob, Deployment, StatefulSet, ReplicaSet, DaemonSet, Kubeflow Notebook and
    KServe InferenceService. GPUs are the containers' nvidia.com/gpu limits (else
    requests); the GPU type the node selector's product label; the model an env variable
    (MODEL, HF_MODEL_ID...) or KServe's storageUri. Objects of other kinds give no request.
    `defaults` fill the rest (user...).
    """
    if not isinstance(doc, Mapping):
        raise SubmitInputError("a Kubernetes manifest must be a mapping with kind and metadata")
    kind = doc.get("kind")
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List")):
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise SubmitInputError("items of a List must be a list")
        return [r for item in items for r in parse_manifest(item, **defaults)]
    if not isinstance(kind, str):
        raise SubmitInputError("not a Kubernetes object: no kind")
    if kind not in _WORKLOADS:
        return []
    meta = _map(doc.get("metadata"), "metadata")
    name = meta.get("name") or meta.get("generateName") or kind.lower()
    labels = _map(meta.get("labels"), "metadata.labels")
    annotations = _map(meta.get("annotations"), "metadata.annotations")
    if kind == "InferenceService":
        found = _inference_service(doc, meta)
        deadline = None
    else:
        pod, replicas, deadline = _pod_spec(doc, kind)
        containers = pod.get("containers") or []
        if not isinstance(containers, list):
            raise SubmitInputError("spec.containers must be a list")
        found = _from_containers(containers, "containers")
        found["replicas"] = replicas
        found["gpu_type"] = _gpu_type(pod)
    text = " ".join(str(x) for x in (found.get("image"), found.get("command")) if x)
    interactive = (kind == "Notebook" or bool(INTERACTIVE.search(text))
                   or any(k.startswith("notebook") or k == "notebook-name" for k in labels))
    fields: dict[str, Any] = {"source": "kubernetes", "kind": kind}
    fields.update({k: v for k, v in defaults.items() if v is not None})
    fields.update({k: v for k, v in found.items() if v is not None})
    fields.update({
        "job_name": str(name),
        "team": meta.get("namespace") or fields.get("team"),
        "model": found.get("model") or annotations.get("ai-cost/model") or fields.get("model"),
        "task": annotations.get("ai-cost/task") or labels.get("ai-cost/task")
        or fields.get("task"),
        "interactive": interactive or bool(fields.get("interactive")),
        "time_limit_s": deadline if deadline is not None else fields.get("time_limit_s"),
    })
    return [from_fields(fields)]
