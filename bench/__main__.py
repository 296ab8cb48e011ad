"""Run the benchmarks: `python -m bench [NAME ...]` (module names without bench_)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bench
from bench import Result

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results: list[Result] = []
    console = Console()
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        short = info.name.removeprefix("bench_")
        if wanted and short not in wanted:
            continue
        console.print(f"[bold]bench {short}[/]")
        module = importlib.import_module(f"bench.{info.name}")
        results.extend(module.run())
    machine = f"{platform.machine()}, {platform.processor() or 'cpu'}, {sys.platform}"
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() and wanted else []
    names = {r.name for r in results}
    merged = [r for r in previous if r["name"] not in names] + [r.to_json() for r in results]
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    table = Table(title=f"ai-cost benchmarks ({machine})")
    for column in ("name", "value", "unit", "note"):
        table.add_column(column)
    for r in merged:
        table.add_row(r["name"], f"{r['value']:,.3f}", r["unit"], r.get("note", ""))
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
