"""`ai-cost-agent`: the NVML node agent on its own, for the slim agent image.

`ai-cost-agent collect dcgm|prometheus|slurm` runs the collectors (collectors/collect_main.py).
It imports the collectors and the sample contract only: no database driver, no SQLAlchemy or
Alembic, no torch, transformers, LangChain or matplotlib, and no Typer or Rich (argparse).
`ai-cost agent` in the full distribution runs the same loop (`run_agent`), and can also write
to a database directly.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from collectors.agent_metrics import AgentMetrics
from collectors.gpu import GpuReader, GpuReaderError
from collectors.options import add_shipping_options
from collectors.sinks import PrintSink, Sink

log = logging.getLogger("ai_cost.agent")


class AgentError(Exception):
    """The agent cannot start or go on: one line for the person running it."""


def open_reader(replay: Path | None, metrics: AgentMetrics) -> tuple[GpuReader, str | None]:
    """NVML's reader, or a recorded trace's (and the node it was recorded on)."""
    from collectors.nvml import NvmlReader
    from collectors.replay import ReplayReader

    try:
        if replay is None:
            return NvmlReader(on_error=metrics.nvml_error), None
        replayer = ReplayReader(replay)
        if replayer.synthetic:
            log.warning("replaying %s: a SYNTHETIC trace, not a real GPU's readings", replay)
        return replayer, replayer.node
    except GpuReaderError as exc:
        raise AgentError(str(exc)) from exc


def shipper(*, server: str, token: str | None, spool: Path, spool_max_mib: float,
            metrics: AgentMetrics) -> Sink:
    """The sink that ships batches to the server's /ingest, spooling what cannot go yet."""
    from collectors.shipping import Shipper

    if not token:
        raise AgentError("--server needs the cluster's ingest token: --token or "
                         "AI_COST_INGEST_TOKEN")
    sink = Shipper(url=server, token=token, spool=spool, source="agent",
                   spool_max_bytes=int(spool_max_mib * 1024 * 1024),
                   on_shipped=metrics.shipped, on_drop=metrics.dropped)
    metrics.watch_spool(lambda: sink.spool.pending_bytes if sink.spool else 0)
    return sink


def run_agent(*, reader: GpuReader, node: str, sink: Sink, metrics: AgentMetrics,
              proc_root: Path, record: Path | None, interval_s: float, ship_every_s: float,
              once: bool, metrics_port: int | None) -> None:
    """Read, attribute and ship until SIGTERM or SIGINT (or one round with `once`).

    A signal stops it after shipping (or spooling) the batch it holds.
    """
    from collectors.agent import Agent
    from collectors.processes import ProcessMapper
    from collectors.replay import TraceRecorder
    from collectors.shipping import ShipError, Shipper

    if metrics_port is not None:
        try:
            metrics.serve(metrics_port)
        except OSError as exc:
            raise AgentError(f"cannot serve the agent's metrics on port {metrics_port}: "
                             f"{exc}") from exc
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
        agent.run(interval_s=interval_s, ship_every_s=ship_every_s, once=once,
                  should_stop=stop.is_set)
    except (GpuReaderError, ShipError) as exc:
        raise AgentError(str(exc)) from exc
    finally:
        reader.close()


def parser() -> argparse.ArgumentParser:
    """`ai-cost-agent`'s options, their defaults from the environment (AI_COST_...)."""
    env = os.environ.get
    p = argparse.ArgumentParser(prog="ai-cost-agent", description="Read this node's GPUs "
                                "with NVML and ship samples attributed to jobs to the ai-cost "
                                "server's /ingest.", epilog="The collectors: `ai-cost-agent "
                                "collect dcgm|prometheus|slurm --help`.")
    add_shipping_options(p)
    p.add_argument("--node", default=None, help="Node name (default: this host's name).")
    p.add_argument("--interval", type=float,
                   default=float(env("AI_COST_AGENT_INTERVAL_S", "10")),
                   help="Seconds between GPU readings.")
    p.add_argument("--ship-every", type=float, default=float(env("AI_COST_AGENT_SHIP_S", "60")),
                   help="Seconds between batches sent.")
    p.add_argument("--record", type=Path, default=None,
                   help="Also append every reading to this trace file.")
    p.add_argument("--replay", type=Path, default=None,
                   help="Read GPUs from a recorded trace instead of NVML (tests, demos).")
    p.add_argument("--proc", type=Path, default=Path("/proc"),
                   help="The host's /proc: the agent needs the host PID namespace.")
    port = env("AI_COST_AGENT_METRICS_PORT")
    p.add_argument("--metrics-port", type=int, default=int(port) if port else None,
                   help="Serve the agent's own GET /metrics on this port.")
    p.add_argument("--once", action="store_true", help="One round of readings, then exit.")
    p.add_argument("--print", dest="print_", action="store_true",
                   help="Print batches as JSON lines instead of shipping them.")
    p.add_argument("--version", action="store_true", help="Print the version and exit.")
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point of `ai-cost-agent`; the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["collect"]:
        from collectors.collect_main import main as collect_main

        return collect_main(argv[1:])
    args = parser().parse_args(argv)
    if args.version:
        from importlib import metadata

        for name in ("ai-cost-agent", "ai-cost"):
            try:
                print(f"ai-cost-agent {metadata.version(name)}")
                return 0
            except metadata.PackageNotFoundError:
                continue
        print("ai-cost-agent 0+unknown")
        return 0
    logging.basicConfig(level=getattr(logging, args.log_level.upper()), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.print_ and not args.server:
        print("ai-cost-agent: --server (or AI_COST_SERVER_URL) is required, or --print",
              file=sys.stderr)
        return 2
    metrics = AgentMetrics()
    try:
        reader, recorded_on = open_reader(args.replay, metrics)
        node = args.node or recorded_on or socket.gethostname()
        sink = PrintSink(sys.stdout) if args.print_ else shipper(
            server=args.server, token=args.token, spool=args.spool,
            spool_max_mib=args.spool_max_mib, metrics=metrics)
        run_agent(reader=reader, node=node, sink=sink, metrics=metrics, proc_root=args.proc,
                  record=args.record, interval_s=args.interval, ship_every_s=args.ship_every,
                  once=args.once, metrics_port=args.metrics_port)
    except AgentError as exc:
        print(f"ai-cost-agent: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
