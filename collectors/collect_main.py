"""`ai-cost-agent collect dcgm|prometheus|slurm`: the collectors in the slim distribution.

The same loops as `ai-cost collect ...` (collectors/collection.py), with the same options and
environment variables, shipping to an ai-cost server's /ingest (or printing): no database,
no Typer or Rich (argparse). The organisation file (AI_COST_ORG_FILE) names the teams and
clusters, as for the server.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from collectors.collection import (
    CollectError,
    cluster_name,
    reported_file,
    run_dcgm,
    run_prometheus,
    run_slurm,
)
from collectors.options import add_shipping_options
from collectors.sinks import PrintSink, Sink

PROG = "ai-cost-agent collect"


def _common(p: argparse.ArgumentParser) -> None:
    env = os.environ.get
    add_shipping_options(p)
    p.add_argument("--org-file", type=Path, default=_path(env("AI_COST_ORG_FILE")),
                   help="The organisation file: teams and clusters (AI_COST_ORG_FILE; "
                        "default: the built-in example).")
    p.add_argument("--once", action="store_true", help="Collect once and exit.")
    p.add_argument("--print", dest="print_", action="store_true",
                   help="Write samples (Slurm: job records) as JSON lines, ship nothing.")


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def parser() -> argparse.ArgumentParser:
    """`ai-cost-agent collect`'s options, as `ai-cost collect` names them."""
    p = argparse.ArgumentParser(prog=PROG, description="Read GPU usage from dcgm-exporter, "
                                "Prometheus or Slurm and ship it to the ai-cost server.")
    sub = p.add_subparsers(dest="collector", required=True, metavar="{dcgm,prometheus,slurm}")
    dcgm = sub.add_parser("dcgm", help="Scrape dcgm-exporters directly.")
    dcgm.add_argument("--url", action="append", required=True,
                      help="dcgm-exporter metrics URL, http://NODE:9400/metrics (repeat for "
                           "several nodes).")
    dcgm.add_argument("--node", default=None, help="Node name when the page has no Hostname.")
    dcgm.add_argument("--interval", type=float, default=30.0)
    prom = sub.add_parser("prometheus", help="Read DCGM metrics and kube-state-metrics pod "
                          "labels from a Prometheus.")
    prom.add_argument("--url", required=True, help="Prometheus base URL, http://PROM:9090.")
    prom.add_argument("--since", type=float, default=900.0,
                      help="First run: read this many seconds back.")
    prom.add_argument("--step", type=float, default=30.0, help="Seconds between samples read.")
    prom.add_argument("--team-label", default="team", help="Pod label naming the team.")
    prom.add_argument("--selector", default="", help="PromQL label matchers added to every "
                      'DCGM query, e.g. {cluster="frankfurt"}.')
    prom.add_argument("--interval", type=float, default=60.0)
    slurm = sub.add_parser("slurm", help="Read Slurm accounting (sacct): GPU jobs with their "
                           "owner, team and usage.")
    slurm.add_argument("--since", default="now-1hour",
                       help="sacct --starttime of the first run (any form sacct takes).")
    slurm.add_argument("--sacct-file", type=Path, default=None,
                       help="Read saved sacct --parsable2 output instead of running sacct.")
    slurm.add_argument("--interval", type=float, default=300.0)
    slurm.add_argument("--cluster", default=os.environ.get("AI_COST_CLUSTER"),
                       help="Cluster name in the organisation file (AI_COST_CLUSTER).")
    for collector in (dcgm, prom, slurm):
        _common(collector)
    return p


def _sink(args: argparse.Namespace, *, source: str, cluster: str | None = None) -> Sink:
    if args.print_:
        return PrintSink(sys.stdout)
    from collectors.shipping import Shipper

    if not args.token:
        raise CollectError("--server needs the cluster's ingest token: --token or "
                           "AI_COST_INGEST_TOKEN")
    return Shipper(url=args.server, token=args.token, spool=args.spool, source=source,
                   cluster=cluster, spool_max_bytes=int(args.spool_max_mib * 1024 * 1024))


def main(argv: list[str]) -> int:
    """`ai-cost-agent collect ...`; the exit status."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper()), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per batch is ours to log
    if not args.print_ and not args.server:
        print(f"{PROG} {args.collector}: --server (or AI_COST_SERVER_URL) is required, "
              "or --print", file=sys.stderr)
        return 2
    from config.organisation import OrganisationError, load_organisation

    try:
        organisation = load_organisation(args.org_file)
        if args.collector == "dcgm":
            run_dcgm(urls=args.url, organisation=organisation, node=args.node,
                     sink=_sink(args, source="dcgm"), once=args.once,
                     interval_s=args.interval)
        elif args.collector == "prometheus":
            run_prometheus(url=args.url, organisation=organisation,
                           sink=_sink(args, source="prometheus"), since_s=args.since,
                           step_s=args.step, team_label=args.team_label,
                           selector=args.selector, once=args.once, interval_s=args.interval)
        else:
            name = cluster_name(organisation, args.cluster)
            # The cluster's name goes with every batch: the server refuses another's token.
            run_slurm(organisation=organisation, cluster=name,
                      sink=_sink(args, source="slurm", cluster=name), since=args.since,
                      sacct_file=args.sacct_file,
                      once=args.once or args.print_ or args.sacct_file is not None,
                      interval_s=args.interval,
                      reported=None if args.print_ else reported_file(args.spool))
    except (CollectError, OrganisationError) as exc:
        print(f"{PROG} {args.collector}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C on a loop: what was shipped or spooled stays so
        return 130
    return 0
