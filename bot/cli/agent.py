"""`ai-cost agent`: the NVML node agent, with its spool, its own /metrics and a clean stop."""

from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

import typer

from bot.cli.collect import (
    CLUSTER,
    ONCE,
    PRINT,
    SERVER,
    SPOOL,
    TOKEN,
    _logging,
    _sink,
    log,
)
from bot.cli.common import fail, load_settings
from collectors.gpu import GpuReader, GpuReaderError
from collectors.sinks import Sink


def agent_command(
    server: str | None = SERVER, token: str | None = TOKEN, cluster: str | None = CLUSTER,
    spool: Path = SPOOL, once: bool = ONCE, print_: bool = PRINT,
    node: str | None = typer.Option(None, help="Node name (default: this host's name)."),
    interval: float = typer.Option(10.0, "--interval", envvar="AI_COST_AGENT_INTERVAL_S",
                                   min=0.1, help="Seconds between GPU readings."),
    ship_every: float = typer.Option(60.0, "--ship-every", envvar="AI_COST_AGENT_SHIP_S",
                                     help="Seconds between batches sent."),
    record: Path | None = typer.Option(None, "--record", help="Also append every reading "
                                       "to this trace file (replay it with --replay)."),
    replay: Path | None = typer.Option(None, "--replay", help="Read GPUs from a recorded "
                                       "trace instead of NVML (tests, demos)."),
    proc_root: Path = typer.Option(Path("/proc"), "--proc", help="The host's /proc: the "
                                   "agent needs the host PID namespace."),
    spool_max_mib: float = typer.Option(256.0, "--spool-max-mib", envvar="AI_COST_SPOOL_MAX_MIB",
                                        min=0.01, help="Cap of the spool file; at the cap the "
                                        "oldest batches are dropped (and counted)."),
    metrics_port: int | None = typer.Option(None, "--metrics-port",
                                            envvar="AI_COST_AGENT_METRICS_PORT", min=0,
                                            max=65535, help="Serve the agent's own GET "
                                            "/metrics on this port (spool, drops, NVML errors)."),
) -> None:
    """Read this node's GPUs with NVML and ship samples attributed to jobs.

    SIGTERM and SIGINT stop it after shipping (or spooling) the batch it holds.
    """
    from collectors.agent import Agent
    from collectors.agent_metrics import AgentMetrics
    from collectors.nvml import NvmlReader
    from collectors.processes import ProcessMapper
    from collectors.replay import ReplayReader, TraceRecorder
    from collectors.shipping import ShipError, Shipper

    _logging()
    settings = load_settings()
    metrics = AgentMetrics()
    reader: GpuReader
    try:
        if replay is not None:
            replayer = ReplayReader(replay)
            node = node or replayer.node
            reader = replayer
            if replayer.synthetic:
                log.warning("replaying %s: a SYNTHETIC trace, not a real GPU's readings", replay)
        else:
            reader = NvmlReader(on_error=metrics.nvml_error)
    except GpuReaderError as exc:
        raise fail(str(exc)) from exc
    node = node or socket.gethostname()
    sink: Sink
    if server and not print_:
        if not token:
            raise fail("--server needs the cluster's ingest token: --token or "
                       "AI_COST_INGEST_TOKEN")
        shipper = Shipper(url=server, token=token, spool=spool, source="agent",
                          spool_max_bytes=int(spool_max_mib * 1024 * 1024),
                          on_shipped=metrics.shipped, on_drop=metrics.dropped)
        metrics.watch_spool(lambda: shipper.spool.pending_bytes if shipper.spool else 0)
        sink = shipper
    else:
        sink = _sink(settings=settings, print_=print_, server=server, token=token,
                     cluster=cluster, spool=spool, source="agent")
    if metrics_port is not None:
        try:
            metrics.serve(metrics_port)
        except OSError as exc:
            raise fail(f"cannot serve the agent's metrics on port {metrics_port}: {exc}") from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("%s: shipping the pending batch, then stopping", signal.Signals(signum).name)
        stop.set()
        if isinstance(sink, Shipper):
            sink.hurry()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent = Agent(reader=reader, node=node, sink=sink,
                  mapper=ProcessMapper(node=node, proc_root=proc_root),
                  recorder=TraceRecorder(record, node=node) if record else None,
                  sleep=stop.wait, metrics=metrics)
    try:
        agent.run(interval_s=interval, ship_every_s=ship_every, once=once,
                  should_stop=stop.is_set)
    except (GpuReaderError, ShipError) as exc:
        raise fail(str(exc)) from exc
    finally:
        reader.close()
