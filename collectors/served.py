"""Request and token counters of inference servers: vLLM, TGI, Triton and custom ones.

Read from a server's /metrics page (`parse_page`) or from the Prometheus that scrapes it
(`collect_range`, called by collectors/prometheus.py), and shipped as served samples of the
wire format. The counters are sent as the server reports them; the judge (analyzers/served.py)
turns them into increments, a drop counting as a restart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client.parser import text_string_to_metric_families

from domain.samples import JobInfo, SampleError, ServedSample, check_name
from domain.workloads import workload_name

REQUESTS, GENERATED, PROMPT = "requests", "generated_tokens", "prompt_tokens"


@dataclass(frozen=True, slots=True)
class ServerCounters:
    """Which metrics of a server count what, and which label names the model."""

    server: str
    metrics: Mapping[str, str]  # metric name (without _total) -> requests | generated_tokens...
    model_label: str
    task: str | None = None


# The servers' documented counter names (collectors/data/SOURCES.md says where from).
SERVERS: tuple[ServerCounters, ...] = (
    ServerCounters("vllm", {"vllm:request_success": REQUESTS,
                            "vllm:generation_tokens": GENERATED,
                            "vllm:prompt_tokens": PROMPT}, "model_name", "text_generation"),
    # TGI: a counter of requests, a histogram of generated tokens per request (its _sum).
    ServerCounters("tgi", {"tgi_request_success": REQUESTS,
                           "tgi_request_generated_tokens_sum": GENERATED,
                           "tgi_request_input_length_sum": PROMPT}, "model", "text_generation"),
    # Triton: requests, and inferences (a batch of 8 in one request is 8 inferences).
    ServerCounters("triton", {"nv_inference_request_success": REQUESTS}, "model"),
)


def custom_counters(configs: Iterable[Any]) -> tuple[ServerCounters, ...]:
    """Counters of custom servers named in the organisation file (`served_counters`)."""
    out = []
    for c in configs:
        metrics = {_base(c.requests): REQUESTS}
        if c.generated_tokens:
            metrics[_base(c.generated_tokens)] = GENERATED
        out.append(ServerCounters("custom", metrics, c.model_label, c.task))
    return tuple(out)


def _base(name: str) -> str:
    """A metric name as matched: without the `_total` counters carry in text pages."""
    return name[:-6] if name.endswith("_total") else name


@dataclass(slots=True)
class Reading:
    """One server's counters for one model on one page (or Prometheus step)."""

    server: str
    model: str | None
    task: str | None
    values: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


# Labels Prometheus adds when it scrapes a pod (kubernetes_sd relabelling) or a node.
_PLACE = ("namespace", "pod", "node", "gpu", "Hostname", "instance", "kubernetes_namespace",
          "kubernetes_pod_name")


def _place(labels: Mapping[str, str]) -> dict[str, str]:
    place = {k: v for k, v in labels.items() if k in _PLACE and v}
    if "kubernetes_namespace" in place:
        place.setdefault("namespace", place.pop("kubernetes_namespace"))
    if "kubernetes_pod_name" in place:
        place.setdefault("pod", place.pop("kubernetes_pod_name"))
    if "Hostname" in place:
        place.setdefault("node", place.pop("Hostname"))
    return place


def _spec_of(name: str, servers: Sequence[ServerCounters]) -> tuple[ServerCounters, str] | None:
    base = _base(name)
    for spec in servers:
        if base in spec.metrics:
            return spec, spec.metrics[base]
    return None


def gather(rows: Iterable[tuple[str, Mapping[str, str], float]],
           servers: Sequence[ServerCounters]) -> tuple[list[Reading], list[str]]:
    """Readings from (metric, labels, value) rows, per server, model and place.

    Summed over the labels that split a counter (vLLM's finished_reason, Triton's version).
    """
    readings: dict[tuple[Any, ...], Reading] = {}
    problems: list[str] = []
    for name, labels, value in rows:
        found = _spec_of(name, servers)
        if found is None:
            continue
        spec, what = found
        if not math.isfinite(value) or value < 0:
            problems.append(f"{name}: {value} is not a counter value")
            continue
        model = labels.get(spec.model_label) or None
        place = _place(labels)
        key = (spec.server, model, tuple(sorted(place.items())))
        reading = readings.get(key)
        if reading is None:
            reading = readings[key] = Reading(spec.server, model, spec.task, labels=place)
        reading.values[what] = reading.values.get(what, 0.0) + value
    return [r for r in readings.values() if REQUESTS in r.values], problems


def parse_page(text: str, servers: Sequence[ServerCounters] = SERVERS,
               ) -> tuple[list[Reading], list[str]]:
    """The request and token counters on one /metrics page, and what could not be read."""
    try:
        rows = [(s.name, s.labels, float(s.value))
                for family in text_string_to_metric_families(text) for s in family.samples]
    except ValueError as exc:
        return [], [f"not a Prometheus text page: {exc}"]
    return gather(rows, servers)


def to_samples(readings: Iterable[Reading], *, ts: float, service: str | None = None,
               job: str | None = None, namespace: str | None = None, pod: str | None = None,
               node: str | None = None, gpu: str | None = None,
               ) -> tuple[list[ServedSample], list[str]]:
    """Served samples of readings taken at `ts`.

    Where they ran comes from the readings' labels, else from the arguments (a page scraped
    from a known pod or node).
    """
    samples, problems = [], []
    for r in readings:
        where = {"namespace": r.labels.get("namespace", namespace),
                 "pod": r.labels.get("pod", pod), "node": r.labels.get("node", node),
                 "gpu": r.labels.get("gpu", gpu)}
        name = service or (workload_name(where["pod"]) if where["pod"] else None) or r.model
        try:
            sample = ServedSample(
                service=check_name("service", name, required=True) or "", server=r.server,
                ts=ts, requests=r.values[REQUESTS], generated_tokens=r.values.get(GENERATED),
                prompt_tokens=r.values.get(PROMPT), model=check_name("model", r.model),
                job=job, task=r.task, **{k: check_name(k, v) for k, v in where.items()})
            if not (sample.job or sample.pod or sample.node):
                raise SampleError(f"{name}: counters without a pod, node or job to join them "
                                  "to GPUs; pass --pod and --namespace, or --node")
        except SampleError as exc:
            problems.append(str(exc))
            continue
        samples.append(sample)
    return samples, problems


class RangeClient(Protocol):
    def query_range(self, query: str, *, start: float, end: float, step_s: float,
                    ) -> list[dict[str, Any]]: ...


# collectors.dcgm.Normalizer.job_of: (labels, pod info) -> (job id, its description)
JobOf = Callable[[dict[str, str], dict[str, str] | None], tuple[str | None, JobInfo | None]]


def collect_range(client: RangeClient, *, start: float, end: float, step_s: float,
                  pods: Mapping[tuple[str, str], dict[str, str]], job_of: JobOf,
                  servers: Sequence[ServerCounters] = SERVERS,
                  ) -> tuple[list[ServedSample], list[str]]:
    """Served samples of every inference server Prometheus scrapes, one per step.

    The pods are kube-state-metrics' directory (collectors/prometheus.pod_directory): the
    service is the pod's owning workload, and the job the same one its GPU samples name.
    """
    rows: dict[str, list[tuple[str, dict[str, str], float]]] = {}
    for spec in servers:
        for metric in spec.metrics:
            for name in (metric, f"{metric}_total"):
                for series in client.query_range(name, start=start, end=end, step_s=step_s):
                    labels = {k: v for k, v in series["metric"].items() if k != "__name__"}
                    for ts, text in series["values"]:
                        rows.setdefault(str(ts), []).append((name, labels, float(text)))
    samples: list[ServedSample] = []
    problems: list[str] = []
    for ts, at in sorted(rows.items(), key=lambda kv: float(kv[0])):
        readings, bad = gather(at, servers)
        problems += bad
        for reading in readings:
            place = reading.labels
            info = pods.get((place.get("namespace", ""), place.get("pod", "")))
            job, desc = job_of(place, info)
            service = desc.name if desc is not None else None
            got, bad = to_samples([reading], ts=float(ts), service=service, job=job)
            samples += got
            problems += bad
    return samples, problems
