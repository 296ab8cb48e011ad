"""Collection commands: serve, collect dcgm|prometheus|slurm (the agent: bot/cli/agent.py)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.common import fail, load_org, load_settings, open_database
from collectors.collection import (
    CollectError,
    cluster_name,
    reported_file,
    run_dcgm,
    run_prometheus,
    run_slurm,
)
from collectors.sinks import Batch, PrintSink, Sink
from config.organisation import Organisation
from config.settings import Settings
from storage.batches import DatabaseSink

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from sqlalchemy import Engine
    from starlette.applications import Starlette

    from bot.slack_http import Connect

log = logging.getLogger("ai_cost.collect")

collect_app = typer.Typer(help="Read GPU usage from dcgm-exporter, Prometheus or Slurm.",
                          no_args_is_help=True)

# Options every collector shares.
ONCE = typer.Option(False, "--once", help="Collect once and exit.")
PRINT = typer.Option(False, "--print",
                     help="Write samples (Slurm: job records) as JSON lines, store nothing.")
SERVER = typer.Option(None, "--server", envvar="AI_COST_SERVER_URL",
                      help="Ship to this ai-cost server (http://HOST:8080) instead of the "
                           "database.")
TOKEN = typer.Option(None, "--token", envvar="AI_COST_INGEST_TOKEN",
                     help="The cluster's ingest_token, for --server.")
CLUSTER = typer.Option(None, "--cluster", envvar="AI_COST_CLUSTER",
                       help="Cluster name in the organisation file (storing to the database).")
SPOOL = typer.Option(Path("ai-cost-spool.jsonl"), "--spool", envvar="AI_COST_SPOOL_PATH",
                     help="Where batches wait while the server is unreachable.")


def register(app: typer.Typer) -> None:
    from bot.cli.agent import agent_command  # its own module; it shares the options below

    app.command("serve")(serve_command)
    app.command("agent")(agent_command)
    app.add_typer(collect_app, name="collect")
    collect_app.command("dcgm")(dcgm_command)
    collect_app.command("prometheus")(prometheus_command)
    collect_app.command("slurm")(slurm_command)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per batch is ours to log


def _cluster(organisation: Organisation, cluster: str | None) -> str:
    try:
        return cluster_name(organisation, cluster)
    except CollectError as exc:
        raise fail(str(exc)) from exc


def _sink(*, settings: Settings, print_: bool, server: str | None, token: str | None,
          cluster: str | None, spool: Path, source: str) -> Sink:
    if print_:
        return PrintSink(sys.stdout)
    if server:
        from collectors.shipping import Shipper

        if not token:
            raise fail("--server needs the cluster's ingest token: --token or "
                       "AI_COST_INGEST_TOKEN")
        return Shipper(url=server, token=token, spool=spool, source=source)
    organisation = load_org(settings)
    return DatabaseSink(engine=open_database(settings), organisation=organisation,
                        cluster=_cluster(organisation, cluster), source=source,
                        retention_s=settings.raw_retention_days * 86400.0,
                        max_skew_s=settings.max_clock_skew_s)


def serve_command(
    host: str = typer.Option("127.0.0.1", envvar="AI_COST_SERVER_HOST",
                             help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8080, envvar="AI_COST_SERVER_PORT"),
    socket_mode: bool | None = typer.Option(
        None, "--socket/--no-socket",
        help="Serve Slack over Socket Mode from this process instead of POST /slack/events "
             "(default: when SLACK_APP_TOKEN is set)."),
    ssl_certfile: Path | None = typer.Option(
        None, "--ssl-certfile", help="Serve HTTPS with this PEM certificate (with "
        "--ssl-keyfile): Kubernetes calls the admission webhook over TLS only."),
    ssl_keyfile: Path | None = typer.Option(
        None, "--ssl-keyfile", help="The PEM private key of --ssl-certfile."),
) -> None:
    """Run the ai-cost server: POST /ingest for collectors, GET /healthz, GET /metrics, Slack."""
    import uvicorn

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise fail("--ssl-certfile and --ssl-keyfile go together: give both, or neither for "
                   "plain HTTP")
    settings = load_settings()
    organisation = load_org(settings)
    app, handler = build_server(settings, organisation, open_database(settings),
                                socket_mode=socket_mode)
    # The first submit-time check (Slurm plugin, admission webhook) has a timeout under a
    # second; the classifier takes seconds to load: load it now, beside serving.
    from bot.services.submit_check import warm

    threading.Thread(target=warm, args=(organisation,), name="warm-judge", daemon=True).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info",
                    ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
                    ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None)
    finally:
        if handler is not None:
            handler.close()


def build_server(settings: Settings, organisation: Organisation, engine: Engine, *,
                 socket_mode: bool | None = None,
                 connect: Connect | None = None) -> tuple[Starlette, SocketModeHandler | None]:
    """The server's app and, in Socket Mode, the connected Slack handler (its own threads).

    Socket Mode (`socket_mode`, or by default SLACK_APP_TOKEN set) replaces POST /slack/events;
    a connection Slack refuses or cannot make ends the command with one line.
    """
    from bot.app import SlackSetupError
    from bot.server import create_server
    from bot.slack_http import start_socket_mode

    socket_mode = bool(settings.slack_app_token) if socket_mode is None else socket_mode
    app = create_server(settings, organisation, engine, slack_events=not socket_mode)
    if not socket_mode:
        return app, None
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # its tracebacks hide the cause
    try:
        handler = start_socket_mode(settings, organisation, engine,
                                    api_errors=app.state.metrics.slack_api_errors,
                                    connect=connect)
    except (SlackSetupError, ConnectionError) as exc:
        raise fail(str(exc)) from exc
    return app, handler


def dcgm_command(
    url: list[str] = typer.Option(..., "--url", help="dcgm-exporter metrics URL, "
                                  "http://NODE:9400/metrics (repeat for several nodes)."),
    node: str | None = typer.Option(None, help="Node name when the page has no Hostname."),
    interval: float = typer.Option(30.0, "--interval", min=1.0),
    server: str | None = SERVER, token: str | None = TOKEN, cluster: str | None = CLUSTER,
    spool: Path = SPOOL, once: bool = ONCE, print_: bool = PRINT,
) -> None:
    """Scrape dcgm-exporters directly."""
    _logging()
    settings = load_settings()
    organisation = load_org(settings)
    sink = _sink(settings=settings, print_=print_, server=server, token=token, cluster=cluster,
                 spool=spool, source="dcgm")
    with _one_line():
        run_dcgm(urls=url, organisation=organisation, node=node, sink=sink, once=once,
                 interval_s=interval)


def prometheus_command(
    url: str = typer.Option(..., "--url", help="Prometheus base URL, http://PROM:9090."),
    since: float = typer.Option(900.0, "--since", help="First run: read this many seconds "
                                "back."),
    step_s: float = typer.Option(30.0, "--step", help="Seconds between samples read."),
    team_label: str = typer.Option("team", "--team-label", help="Pod label naming the team."),
    selector: str = typer.Option("", "--selector", help='PromQL label matchers added to '
                                 'every DCGM query, e.g. {cluster="frankfurt"}.'),
    interval: float = typer.Option(60.0, "--interval", min=1.0),
    server: str | None = SERVER, token: str | None = TOKEN, cluster: str | None = CLUSTER,
    spool: Path = SPOOL, once: bool = ONCE, print_: bool = PRINT,
) -> None:
    """Read DCGM metrics and kube-state-metrics pod labels from a Prometheus."""
    _logging()
    settings = load_settings()
    organisation = load_org(settings)
    sink = _sink(settings=settings, print_=print_, server=server, token=token, cluster=cluster,
                 spool=spool, source="prometheus")
    with _one_line():
        run_prometheus(url=url, organisation=organisation, sink=sink, since_s=since,
                       step_s=step_s, team_label=team_label, selector=selector, once=once,
                       interval_s=interval)


def slurm_command(
    since: str = typer.Option("now-1hour", "--since", help="sacct --starttime of the first "
                              "run (any form sacct takes)."),
    sacct_file: Path | None = typer.Option(None, "--sacct-file", help="Read saved sacct "
                                           "--parsable2 output instead of running sacct."),
    interval: float = typer.Option(300.0, "--interval", min=1.0),
    server: str | None = SERVER, token: str | None = TOKEN, cluster: str | None = CLUSTER,
    spool: Path = SPOOL, once: bool = ONCE, print_: bool = PRINT,
) -> None:
    """Read Slurm accounting (sacct): GPU jobs with their owner, team and usage.

    --print (and --sacct-file) collect once. On a loop, a failing sacct is retried with
    backoff, and each run reads from a minute before the previous one started.
    """
    _logging()
    settings = load_settings()
    organisation = load_org(settings)
    name = _cluster(organisation, cluster)
    if print_:
        sink: Sink = _SlurmPrintSink()
    elif server:
        from collectors.shipping import Shipper

        if not token:
            raise fail("--server needs the cluster's ingest token: --token or "
                       "AI_COST_INGEST_TOKEN")
        # The cluster's name goes with every batch: the server refuses another cluster's token.
        sink = Shipper(url=server, token=token, spool=spool, source="slurm", cluster=name)
    else:
        sink = _sink(settings=settings, print_=False, server=None, token=None, cluster=name,
                     spool=spool, source="slurm")
    with _one_line():
        run_slurm(organisation=organisation, cluster=name, sink=sink, since=since,
                  sacct_file=sacct_file, once=once or print_ or sacct_file is not None,
                  interval_s=interval, reported=None if print_ else reported_file(spool))


@contextmanager
def _one_line() -> Iterator[None]:
    """A collection that cannot go on ends the command with its one line, exit 1."""
    try:
        yield
    except CollectError as exc:
        raise fail(str(exc)) from exc


class _SlurmPrintSink:
    """Job records as JSON lines, those `ai-cost classify` can judge (utilization recorded)."""

    def send(self, batch: Batch) -> str:
        from analyzers.records import RecordError, parse_record

        printed, left_out = [], 0
        for record in batch.records:
            try:
                parse_record(record)
            except RecordError:
                left_out += 1
                continue
            printed.append(record)
        PrintSink(sys.stdout).send(Batch(records=printed))
        note = (f"; {left_out} left out: no GPU utilization recorded (jobstats or "
                "gres/gpuutil), which classify needs" if left_out else "")
        return f"printed {len(printed)} records{note}"
