"""Lay out the slim agent's source tree: `python deploy/agent/stage.py DEST`.

The one list of what `ai-cost-agent` carries: this folder's pyproject.toml, collectors/ (its
fixtures and the demo's simulation left out), domain/, and of config/ only the organisation
file's reader (organisation.py, regions.py and their data; not settings.py, which needs
pydantic-settings). `make agent-dist`, deploy/Dockerfile.agent, bench/bench_agent.py and
tests/collectors/test_agent_dist.py build from DEST. Run from the repository root, or give
the root as a second argument.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")
CONFIG = ("__init__.py", "organisation.py", "regions.py", "example_organisation.yaml", "data")


def stage(dest: Path, root: Path) -> Path:
    """Copy what the agent's distribution is built from into `dest` (emptied first)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(HERE / "pyproject.toml", dest / "pyproject.toml")
    shutil.copytree(root / "collectors", dest / "collectors",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data", "simulation"))
    shutil.copytree(root / "domain", dest / "domain", ignore=SKIP)
    (dest / "config").mkdir()
    for name in CONFIG:
        source = root / "config" / name
        if source.is_dir():
            shutil.copytree(source, dest / "config" / name, ignore=SKIP)
        else:
            shutil.copy(source, dest / "config" / name)
    return dest


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python deploy/agent/stage.py DEST [REPOSITORY_ROOT]")
    stage(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else Path.cwd())
