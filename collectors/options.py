"""Command-line options every collector shares: the agent's and `collect`'s.

No import heavier than argparse, so `--print` and `--version` stay light.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_shipping_options(p: argparse.ArgumentParser) -> None:
    """How every collector ships: --server, --token, --spool, --spool-max-mib, --log-level.

    Their defaults come from the environment (AI_COST_...).
    """
    env = os.environ.get
    p.add_argument("--server", default=env("AI_COST_SERVER_URL"),
                   help="The ai-cost server's base URL, http://HOST:8080 (AI_COST_SERVER_URL).")
    p.add_argument("--token", default=env("AI_COST_INGEST_TOKEN"),
                   help="The cluster's ingest token (AI_COST_INGEST_TOKEN).")
    p.add_argument("--spool", type=Path,
                   default=Path(env("AI_COST_SPOOL_PATH", "ai-cost-spool.jsonl")),
                   help="Where batches wait while the server is unreachable "
                        "(AI_COST_SPOOL_PATH).")
    p.add_argument("--spool-max-mib", type=float,
                   default=float(env("AI_COST_SPOOL_MAX_MIB", "256")))
    p.add_argument("--log-level", default=env("AI_COST_LOG_LEVEL", "info"),
                   choices=["debug", "info", "warning", "error"])
