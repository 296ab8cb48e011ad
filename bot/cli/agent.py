"""`ai-cost agent`: the NVML node agent, with its spool, its own /metrics and a clean stop."""

from __future__ import annotations

import socket
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
)
from bot.cli.common import fail, load_settings
from collectors.agent_metrics import AgentMetrics
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
    from collectors.agent_main import AgentError, open_reader, run_agent, shipper

    _logging()
    settings = load_settings()
    metrics = AgentMetrics()
    try:
        reader, recorded_on = open_reader(replay, metrics)
        node = node or recorded_on or socket.gethostname()
        sink: Sink
        if server and not print_:
            sink = shipper(server=server, token=token, spool=spool,
                           spool_max_mib=spool_max_mib, metrics=metrics)
        else:
            sink = _sink(settings=settings, print_=print_, server=server, token=token,
                         cluster=cluster, spool=spool, source="agent")
        run_agent(reader=reader, node=node, sink=sink, metrics=metrics, proc_root=proc_root,
                  record=record, interval_s=interval, ship_every_s=ship_every, once=once,
                  metrics_port=metrics_port)
    except AgentError as exc:
        raise fail(str(exc)) from exc
