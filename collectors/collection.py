"""The collectors' loops: scrape dcgm-exporters, read a Prometheus, read sacct, and send.

`ai-cost collect ...` (bot/cli/collect.py, which can also store to a database) and the slim
`ai-cost-agent collect ...` (collectors/agent_main.py) run these same loops; each gets its
sink and its organisation from its caller. A failure that ends a run is a CollectError whose
message is the one line the person running it sees.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from collectors.dcgm import Normalizer
from collectors.sinks import Sink
from config.organisation import Organisation, OrganisationError

log = logging.getLogger("ai_cost.collect")

_REPORTED_MAX = 10_000


class CollectError(Exception):
    """A collection cannot go on (or a --once collection failed): one line saying why."""


def cluster_name(organisation: Organisation, cluster: str | None) -> str:
    """The organisation's cluster named `cluster`, or its only one when None."""
    if cluster is None:
        if len(organisation.clusters) == 1:
            return organisation.clusters[0].name
        raise CollectError("name the cluster with --cluster (or AI_COST_CLUSTER): the "
                           "organisation file lists "
                           f"{', '.join(c.name for c in organisation.clusters) or 'none'}")
    try:
        return organisation.cluster(cluster).name
    except OrganisationError as exc:
        raise CollectError(str(exc)) from exc


def repeat(step: Callable[[], str], *, once: bool, interval_s: float,
           transient: tuple[type[Exception], ...]) -> None:
    """Run `step` once or every `interval_s`; transient failures end --once, else wait."""
    while True:
        started = time.monotonic()
        try:
            log.info("%s", step())
        except transient as exc:
            if once:
                raise CollectError(str(exc)) from exc
            log.warning("%s; trying again in %.0f s", exc, interval_s)
        if once:
            return
        time.sleep(max(0.0, interval_s - (time.monotonic() - started)))


def run_dcgm(*, urls: list[str], organisation: Organisation, node: str | None, sink: Sink,
             once: bool, interval_s: float) -> None:
    """Scrape each dcgm-exporter page and send its samples; --once fails if none answers."""
    from collectors.dcgm import collect_page, scrape

    normalizers = {u: Normalizer(organisation, node_hint=node) for u in urls}
    client = httpx.Client(timeout=10.0)

    def step() -> str:
        lines = []
        for u in urls:
            try:
                page = scrape(u, client=client)
            except httpx.HTTPError as exc:
                said = (str(exc).splitlines() or [type(exc).__name__])[0]  # httpx adds a link
                lines.append(f"{u}: cannot scrape ({said})")
                continue
            lines.append(f"{u}: " + sink.send(collect_page(normalizers[u], page,
                                                           now=time.time())))
        if once and all("cannot scrape" in line for line in lines):
            raise CollectError("; ".join(lines))  # --once collected nothing: a failure
        return "; ".join(lines)

    repeat(step, once=once, interval_s=interval_s, transient=())


def run_prometheus(*, url: str, organisation: Organisation, sink: Sink, since_s: float,
                   step_s: float, team_label: str, selector: str, once: bool,
                   interval_s: float) -> None:
    """Read DCGM metrics and kube-state-metrics pod labels from a Prometheus, and send them."""
    from collectors.prometheus import PrometheusClient, PrometheusError, collect_range

    normalizer = Normalizer(organisation)
    client = PrometheusClient(url, client=httpx.Client(timeout=60.0))
    window = {"start": time.time() - since_s}

    def step() -> str:
        end = time.time()
        batch = collect_range(normalizer, client, start=window["start"], end=end,
                              step_s=step_s, team_label=team_label, selector=selector)
        window["start"] = end
        return sink.send(batch)

    repeat(step, once=once, interval_s=interval_s, transient=(PrometheusError,))


def run_slurm(*, organisation: Organisation, cluster: str, sink: Sink, since: str,
              sacct_file: Path | None, once: bool, interval_s: float,
              reported: Path | None) -> None:
    """Read sacct (or a saved sacct file) and send its GPU jobs, once or on a loop.

    On a loop, a failing sacct is retried with backoff, and each run reads from a minute
    before the previous one started. `reported`: the file keeping which bad sacct lines
    were already reported (so a timer's runs report each once); None keeps nothing.
    """
    from collectors.sacct import SacctMissing, SlurmError, read_sacct, sacct_time, since_ts
    from collectors.shipping import ShipError
    from collectors.slurm import ClusterMismatch, collect
    from collectors.slurm_usage import MIN_GRID_S

    window = {"start": since}
    seen = set() if reported is None else _reported(reported)
    failures = 0
    while True:
        started = time.time()
        try:
            if sacct_file is not None:
                try:
                    text = sacct_file.read_text()
                except OSError as exc:
                    raise CollectError(f"cannot read --sacct-file: {exc}") from exc
            else:
                text = read_sacct(start=window["start"])
            # RUNNING means running when sacct was asked: count it up to then, not later
            batch = collect(text, organisation=organisation, cluster=cluster,
                            seen_problems=seen, now=started,
                            since=None if sacct_file is not None
                            else since_ts(window["start"], now=started),
                            running_to_now=once or interval_s >= MIN_GRID_S)
        except ClusterMismatch as exc:
            raise CollectError(str(exc)) from exc
        except SlurmError as exc:
            if once or isinstance(exc, SacctMissing):
                raise CollectError(str(exc)) from exc
            failures += 1
            wait_s = min(interval_s, 5.0 * 2 ** (failures - 1))
            log.warning("%s; failure %d in a row, trying again in %.0f s", exc, failures,
                        wait_s)
            time.sleep(wait_s)
            continue
        if failures:
            log.info("sacct answers again after %d failures", failures)
        failures = 0
        window["start"] = sacct_time(started - 60)  # a minute of overlap; storing is idempotent
        for problem in batch.problems:
            log.warning("%s", problem)
        if batch.problems and reported is not None:
            _save_reported(reported, seen)
        try:
            log.info("%s", sink.send(batch))
        except ShipError as exc:  # a refused token: what it held stays in the spool
            raise CollectError(str(exc)) from exc
        if once:
            return
        time.sleep(max(0.0, interval_s - (time.time() - started)))


def reported_file(spool: Path) -> Path:
    """Where the Slurm collector keeps the bad sacct lines it reported: beside its spool."""
    return spool.with_name(spool.name + ".slurm-reported")


def _reported(path: Path) -> set[str]:
    """Keys of the sacct lines already reported (collectors.slurm.problem_key)."""
    try:
        return set(path.read_text().split())
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise CollectError(f"cannot read {path}: {exc}") from exc


def _save_reported(path: Path, keys: set[str]) -> None:
    # Unordered, so a full file starts over: a line then is reported once more, no harm.
    kept = keys if len(keys) <= _REPORTED_MAX else set()
    try:
        path.write_text("\n".join(sorted(kept)) + "\n")
    except OSError as exc:
        log.warning("cannot keep which sacct lines were reported (%s): %s", path, exc)
