"""Prometheus: the DCGM metrics a Prometheus already holds, read with query_range.

With them, the request counters of the inference servers it scrapes (collectors/served.py).

They are joined with kube-state-metrics' kube_pod_labels and kube_pod_owner for each pod's
team and owning workload (Job, Deployment, ...).
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from collectors import served
from collectors.dcgm import METRICS, GpuSeries, Normalizer, gpu_labels, series_to_batch
from collectors.sinks import Batch

# Labels whose Prometheus spelling comes from kube-state-metrics' label_ prefix.
USER_LABELS = ("label_user", "label_owner", "label_app_kubernetes_io_created_by")


class PrometheusError(RuntimeError):
    """Prometheus could not be queried; the message says why."""


class PrometheusClient:
    """The few calls of Prometheus's HTTP API that the collector needs."""

    def __init__(self, url: str, *, client: httpx.Client) -> None:
        self._base = url.rstrip("/")
        self._client = client

    def query_range(self, query: str, *, start: float, end: float, step_s: float,
                    ) -> list[dict[str, Any]]:
        """The matrix of `query` between start and end (Unix s), one point per step."""
        try:
            response = self._client.get(f"{self._base}/api/v1/query_range", params={
                "query": query, "start": f"{start:.3f}", "end": f"{end:.3f}",
                "step": f"{step_s:g}s"})
        except httpx.TransportError as exc:
            raise PrometheusError(f"cannot reach Prometheus at {self._base}: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise PrometheusError(f"Prometheus answered HTTP {response.status_code} with "
                                  f"something other than JSON") from exc
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(f"query {query!r} failed: HTTP {response.status_code} "
                                  f"{body.get('errorType', '')} {body.get('error', '')}".strip())
        return list(body["data"]["result"])


def pod_directory(labels: list[dict[str, Any]], owners: list[dict[str, Any]], *,
                  team_label: str) -> dict[tuple[str, str], dict[str, str]]:
    """(namespace, pod) -> team, user, owner kind and name, from kube-state-metrics series."""
    pods: dict[tuple[str, str], dict[str, str]] = {}
    key = "label_" + team_label.replace("-", "_").replace(".", "_").replace("/", "_")
    for series in labels:
        m = series["metric"]
        info = pods.setdefault((m.get("namespace", ""), m.get("pod", "")), {})
        if m.get(key):
            info["team"] = m[key]
        for name in USER_LABELS:
            if m.get(name):
                info["user"] = m[name]
                break
    for series in owners:
        m = series["metric"]
        if m.get("owner_is_controller", "true") != "true":
            continue
        info = pods.setdefault((m.get("namespace", ""), m.get("pod", "")), {})
        info["owner_kind"], info["owner_name"] = m.get("owner_kind", ""), m.get("owner_name", "")
    return pods


def collect_range(normalizer: Normalizer, client: PrometheusClient, *, start: float,
                  end: float, step_s: float, team_label: str = "team",
                  selector: str = "") -> Batch:
    """A Batch of every GPU's samples between start and end, one sample per step."""
    by_key: dict[tuple[str, ...], GpuSeries] = {}
    problems: list[str] = []
    for metric in METRICS:
        for series in client.query_range(f"{metric}{selector}", start=start, end=end,
                                         step_s=step_s):
            raw = {k: v for k, v in series["metric"].items() if k not in ("__name__",)}
            labels = gpu_labels(raw)
            for ts, text in series["values"]:
                value = float(text)
                if not math.isfinite(value):
                    problems.append(f"{labels.get('uuid', '?')}: {metric} is {text}")
                    continue
                key = (labels.get("node", ""), labels.get("uuid", ""), labels.get("gi_id", ""),
                       raw.get("gpu", ""), str(ts))
                group = by_key.get(key)
                if group is None:
                    group = by_key[key] = GpuSeries(labels=dict(labels), ts=float(ts))
                group.values[metric] = value
    pod_labels = client.query_range("kube_pod_labels", start=start, end=end, step_s=step_s)
    pod_owners = client.query_range("kube_pod_owner", start=start, end=end, step_s=step_s)
    pods = pod_directory(pod_labels, pod_owners, team_label=team_label)
    batch = series_to_batch(normalizer, by_key.values(), pods)
    batch.problems[:0] = problems
    # Inference servers' request counters, joined to the same jobs (collectors/served.py).
    servers = served.SERVERS + served.custom_counters(normalizer.organisation.served_counters)
    batch.served, served_problems = served.collect_range(
        client, start=start, end=end, step_s=step_s, pods=pods, job_of=normalizer.job_of,
        servers=servers)
    batch.problems += served_problems
    return batch
