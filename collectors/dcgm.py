"""dcgm-exporter: parse its metrics page (prometheus_client's parser) into GPU samples.

The same normalization serves the Prometheus collector, which reads these metrics back from
a Prometheus server. Units on the page: %, MiB, W, mJ (energy counter), ratios 0..1 (PROF).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from collectors.sinks import Batch
from config.organisation import UNASSIGNED, Organisation
from domain.samples import GpuSample, JobInfo, SampleError, check_sample

UTIL = "DCGM_FI_DEV_GPU_UTIL"
FB_USED = "DCGM_FI_DEV_FB_USED"
FB_FREE = "DCGM_FI_DEV_FB_FREE"
FB_RESERVED = "DCGM_FI_DEV_FB_RESERVED"
POWER = "DCGM_FI_DEV_POWER_USAGE"
ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
GR_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
TENSOR_ACTIVE = "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"
FP32_ACTIVE = "DCGM_FI_PROF_PIPE_FP32_ACTIVE"
FP16_ACTIVE = "DCGM_FI_PROF_PIPE_FP16_ACTIVE"
METRICS = (UTIL, FB_USED, FB_FREE, FB_RESERVED, POWER, ENERGY, GR_ACTIVE, TENSOR_ACTIVE,
           FP32_ACTIVE, FP16_ACTIVE)

# Label spellings across dcgm-exporter versions, and Prometheus's renaming of labels that
# clash with target labels (exported_*).
_SPELLINGS = {
    "node": ("Hostname", "hostname", "exported_Hostname", "exported_hostname", "kubernetes_node"),
    "uuid": ("UUID", "uuid"),
    "model": ("modelName", "model_name"),
    "gi_id": ("GPU_I_ID",),
    "gi_profile": ("GPU_I_PROFILE",),
    "pod": ("pod", "pod_name", "exported_pod"),
    "namespace": ("namespace", "pod_namespace", "exported_namespace"),
    "container": ("container", "container_name", "exported_container"),
    "hpc_job": ("hpc_job",),
}
_RS_HASH = re.compile(r"-[a-z0-9]{6,10}$")


def gpu_labels(labels: dict[str, str]) -> dict[str, str]:
    """The labels ai-cost reads, under one spelling each (see _SPELLINGS)."""
    out = {}
    for name, spellings in _SPELLINGS.items():
        for spelling in spellings:
            if labels.get(spelling):
                out[name] = labels[spelling]
                break
    return out


def parse_page(text: str) -> tuple[list[tuple[str, dict[str, str], float, float | None]],
                                   list[str]]:
    """Rows (metric, labels, value, timestamp or None) of a page's DCGM metrics, and problems.

    A malformed line loses that line only; its reason is among the problems.
    """
    rows: list[tuple[str, dict[str, str], float, float | None]] = []
    try:
        families = list(text_string_to_metric_families(text))
        problems: list[str] = []
    except ValueError:
        families, problems = _parse_lines(text)
    for family in families:
        if family.name not in METRICS:
            continue
        for s in family.samples:
            ts = None if s.timestamp is None else float(s.timestamp)
            rows.append((family.name, dict(s.labels), float(s.value), ts))
    return rows, problems


def _parse_lines(text: str) -> tuple[list[Metric], list[str]]:
    families: list[Metric] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            families.extend(text_string_to_metric_families(line + "\n"))
        except ValueError as exc:
            problems.append(f"line {number}: malformed exposition line ({exc}): {line[:120]!r}")
    return families, problems


@dataclass(slots=True)
class GpuSeries:
    """One GPU (or MIG instance) at one time: its labels and its metric values."""

    labels: dict[str, str]
    ts: float
    values: dict[str, float] = field(default_factory=dict)


def group(rows: Iterable[tuple[str, dict[str, str], float, float | None]], *,
          now: float) -> list[GpuSeries]:
    """Rows of one scrape grouped by GPU (node, uuid, MIG instance)."""
    by_key: dict[tuple[str, ...], GpuSeries] = {}
    for metric, raw, value, ts in rows:
        labels = gpu_labels(raw)
        key = (labels.get("node", ""), labels.get("uuid", ""), labels.get("gi_id", ""),
               raw.get("gpu", ""))
        series = by_key.get(key)
        if series is None:
            series = by_key[key] = GpuSeries(labels=labels, ts=ts if ts is not None else now)
        for name, val in labels.items():
            series.labels.setdefault(name, val)
        series.values[metric] = value
    return list(by_key.values())


def resolve_team(organisation: Organisation, *, team_label: str | None, account: str | None,
                 user: str | None = None) -> str:
    """Team from a workload's team label, else its namespace or account, else "unassigned"."""
    if team_label:
        team = organisation.team_of(user=None, account=team_label)
        if team != UNASSIGNED:
            return team
    return organisation.team_of(user=user, account=account)


def owner_workload(kind: str | None, name: str | None) -> tuple[str, str] | None:
    """The workload owning a pod: a ReplicaSet's pods belong to its Deployment."""
    if not kind or not name or kind == "<none>":
        return None
    if kind == "ReplicaSet" and _RS_HASH.search(name):
        return "Deployment", _RS_HASH.sub("", name)
    return kind, name


class Normalizer:
    """Turns GPU series into samples and jobs; remembers energy counters across scrapes."""

    def __init__(self, organisation: Organisation, *, node_hint: str | None = None) -> None:
        self.organisation = organisation
        self.node_hint = node_hint
        self._energy: dict[str, float] = {}
        self._pipes: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])

    def job_of(self, labels: dict[str, str], pod_info: dict[str, str] | None = None,
               ) -> tuple[str | None, JobInfo | None]:
        """Job id of a GPU series, and its description when the labels tell one."""
        if labels.get("hpc_job"):
            # A Slurm job: sacct describes it; sending a thin description would overwrite it.
            return labels["hpc_job"], None
        pod, namespace = labels.get("pod"), labels.get("namespace")
        if not pod or not namespace:
            return None, None
        info = pod_info or {}
        owner = owner_workload(info.get("owner_kind"), info.get("owner_name"))
        kind, name = owner if owner else ("Pod", pod)
        job_id = f"{namespace}/{kind}/{name}"
        team = resolve_team(self.organisation, team_label=info.get("team"), account=namespace)
        kind_word = {"Job": "batch", "CronJob": "batch", "Deployment": "inference",
                     "StatefulSet": "inference"}.get(kind)
        return job_id, JobInfo(external_id=job_id, name=name, team=team, account=namespace,
                               user=info.get("user"),
                               kind=kind_word, image=info.get("image"))

    def sample(self, series: GpuSeries, job: str | None) -> GpuSample:
        """The sample of one series; SampleError saying what is wrong with it."""
        labels, values = series.labels, series.values
        uuid = labels.get("uuid")
        if not uuid:
            raise SampleError("series without a UUID label: cannot tell which GPU it is")
        node = labels.get("node") or self.node_hint
        if not node:
            raise SampleError(f"{uuid}: no Hostname label; pass --node")
        if labels.get("gi_id"):
            uuid = f"{uuid}::mig{labels['gi_id']}"
        util = values.get(GR_ACTIVE)
        util = util * 100.0 if util is not None and math.isfinite(util) else values.get(UTIL)
        if util is None:
            raise SampleError(f"{uuid}: neither {GR_ACTIVE} nor {UTIL} on the page")
        for name in (FB_USED, POWER):
            if name not in values:
                raise SampleError(f"{uuid}: {name} missing")
        used = values[FB_USED]
        total = used + values.get(FB_FREE, math.nan) + values.get(FB_RESERVED, 0.0)
        gpu_type = labels.get("model")
        if gpu_type and labels.get("gi_profile"):
            gpu_type = f"{gpu_type} MIG {labels['gi_profile']}"
        energy = values.get(ENERGY)
        energy_j = None
        if energy is not None:
            energy_j = energy / 1000.0  # mJ -> J
            if not math.isfinite(energy_j) or energy_j < 0:
                raise SampleError(f"{uuid}: {ENERGY} is {energy:g}, not a counter value")
        sample = GpuSample(gpu_uuid=uuid, node=node, ts=series.ts, util_pct=util,
                           mem_used_mib=used, power_w=values[POWER], energy_j=energy_j,
                           job=job, gpu_type=gpu_type,
                           mem_total_mib=total if math.isfinite(total) and total > 0 else None)
        check_sample(sample)
        if job is not None and TENSOR_ACTIVE in values and FP32_ACTIVE in values:
            pipes = self._pipes[job]
            pipes[0] += values[TENSOR_ACTIVE]
            pipes[1] += values[FP32_ACTIVE]
            pipes[2] += 1
        return sample

    def counter_reset(self, sample: GpuSample) -> str | None:
        """Reason when the energy counter went backwards (a driver reload or reset)."""
        if sample.energy_j is None:
            return None
        last = self._energy.get(sample.gpu_uuid)
        self._energy[sample.gpu_uuid] = sample.energy_j
        if last is not None and sample.energy_j < last:
            sample.energy_j = None  # the server integrates power for this interval instead
            return (f"{sample.gpu_uuid}: energy counter went backwards from {last:.0f} J "
                    f"to {self._energy[sample.gpu_uuid]:.0f} J (counter reset)")
        return None

    def precision_hint(self, job: str) -> str | None:
        """"fp32" for a job whose math ran on the FP32 pipe, not the tensor cores."""
        tensor, fp32, n = self._pipes.get(job, (0.0, 0.0, 0))
        if n and fp32 / n > 0.05 and tensor / n < 0.1 * (fp32 / n):
            return "fp32"
        return None


def split_mig_power(series: list[GpuSeries]) -> None:
    """Give each MIG instance an equal share of its GPU's power.

    The GPU-wide energy counter is dropped from instances: it would count once per instance.
    """
    whole: dict[tuple[str, str, float], float] = {}
    instances: dict[tuple[str, str, float], int] = defaultdict(int)
    for s in series:
        key = (s.labels.get("node", ""), s.labels.get("uuid", ""), s.ts)
        if s.labels.get("gi_id"):
            instances[key] += 1
            if POWER in s.values:
                whole.setdefault(key, s.values[POWER])
        elif POWER in s.values:
            whole[key] = s.values[POWER]
    for s in series:
        key = (s.labels.get("node", ""), s.labels.get("uuid", ""), s.ts)
        if s.labels.get("gi_id") and key in whole:
            s.values[POWER] = whole[key] / instances[key]
            s.values.pop(ENERGY, None)


def series_to_batch(normalizer: Normalizer, series: Iterable[GpuSeries],
                    pods: dict[tuple[str, str], dict[str, str]] | None = None) -> Batch:
    """Samples, job descriptions and rejection reasons of GPU series, oldest first."""
    series = list(series)
    split_mig_power(series)
    batch = Batch()
    jobs: dict[str, JobInfo] = {}
    for s in sorted(series, key=lambda s: s.ts):
        info = None
        if pods is not None:
            info = pods.get((s.labels.get("namespace", ""), s.labels.get("pod", "")))
        job_id, job = normalizer.job_of(s.labels, info)
        try:
            sample = normalizer.sample(s, job_id)
        except SampleError as exc:
            batch.problems.append(str(exc))
            continue
        reset = normalizer.counter_reset(sample)
        if reset:
            batch.problems.append(reset)
        batch.samples.append(sample)
        if job is not None:
            jobs[job.external_id] = job
    for job in jobs.values():
        job.precision = normalizer.precision_hint(job.external_id)
    batch.jobs = list(jobs.values())
    return batch


def scrape(url: str, *, client: httpx.Client) -> str:
    """The metrics page of a dcgm-exporter (http://NODE:9400/metrics)."""
    response = client.get(url)
    response.raise_for_status()
    return response.text


def collect_page(normalizer: Normalizer, text: str, *, now: float) -> Batch:
    """A Batch from one dcgm-exporter page."""
    rows, problems = parse_page(text)
    batch = series_to_batch(normalizer, group(rows, now=now))
    batch.problems[:0] = problems
    return batch
