#!/usr/bin/env python3
"""Wait until the database is at the latest schema; never migrates it.

The processes' init step (Kubernetes initContainer, compose healthcheck) runs this so that only
the dedicated migration step (`ai-cost migrate`, a Job) changes the schema: replicas starting
together do not race to run Alembic. Installed in the image as `ai-cost-wait-for-schema`.
Exit 0 at the latest revision, 1 on timeout, 2 if the database is ahead of this image.
"""

from __future__ import annotations

import argparse
import sys
import time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from storage.db import alembic_config, make_engine


def schema_state(url: str) -> tuple[set[str], set[str]]:
    """The revisions the database at `url` is at, and the heads this code expects."""
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    return current, heads


def main(argv: list[str] | None = None) -> int:
    """Poll until the schema is current; the exit status says how it ended."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between checks")
    args = parser.parse_args(argv)
    url = Settings().database_url
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            current, heads = schema_state(url)
            if current == heads:
                print(f"schema is at {', '.join(sorted(heads))}", flush=True)
                return 0
            if current and not current & heads and _ahead(url, current):
                print(f"database is at {', '.join(sorted(current))}, newer than this image "
                      f"({', '.join(sorted(heads))}): roll the image forward", file=sys.stderr)
                return 2
            state = f"at {', '.join(sorted(current))}" if current else "not migrated"
        except SQLAlchemyError as exc:
            state = f"unreachable ({str(exc).splitlines()[0][:200]})"
        if time.monotonic() >= deadline:
            print(f"gave up after {args.timeout:.0f} s: database {state}; has the migration "
                  "step (`ai-cost migrate`) run?", file=sys.stderr)
            return 1
        print(f"waiting for the migration step: database {state}", flush=True)
        time.sleep(args.interval)


def _ahead(url: str, current: set[str]) -> bool:
    """True when a current revision is unknown to this code (a newer image migrated)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {rev.revision for rev in script.walk_revisions()}
    return bool(current - known)


if __name__ == "__main__":
    sys.exit(main())
