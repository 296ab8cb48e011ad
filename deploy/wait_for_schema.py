#!/usr/bin/env python3
"""Wait until the database is at the latest schema; never migrates it.

The processes' init step (Kubernetes initContainer) runs this so that only the dedicated
migration step (`ai-cost migrate`, a Job) changes the schema: replicas starting together do not
race to run Alembic. It polls the check `ai-cost migrate --check` makes (storage/schema.py).
Installed in the image as `ai-cost-wait-for-schema`.
Exit 0 at the latest revision, 1 on timeout, 2 if the database is ahead of this image.
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from storage.db import make_engine
from storage.schema import SchemaState, schema_state


def state_of(url: str) -> SchemaState:
    """The schema state of the database at `url` (one short-lived connection)."""
    engine = make_engine(url)
    try:
        return schema_state(engine)
    finally:
        engine.dispose()


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
            state = state_of(url)
            if state.at_head:
                print(f"schema is at {', '.join(sorted(state.heads))}", flush=True)
                return 0
            if state.ahead:
                print(f"{state.describe()} (roll the image forward)", file=sys.stderr)
                return 2
            where = state.describe()
        except SQLAlchemyError as exc:
            where = f"database unreachable ({str(exc).splitlines()[0][:200]})"
        if time.monotonic() >= deadline:
            print(f"gave up after {args.timeout:.0f} s: {where}; has the migration step "
                  "(`ai-cost migrate`) run?", file=sys.stderr)
            return 1
        print(f"waiting for the migration step: {where}", flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
