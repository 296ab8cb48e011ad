"""A SQLite file this user cannot write, in a folder this user cannot write: commands that
write say so in one line and exit 1; commands that read work, and leave the file as it was.

The suite runs as root, whom file modes do not stop (CAP_DAC_OVERRIDE). The commands here run
under `setpriv --bounding-set=-dac_override,-dac_read_search`: root without those two
capabilities, which the kernel then holds to the modes of the file and its folder exactly as
it holds any other user (root still owns them, so the owner's bits decide). A user who is not
root runs them as they are.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.cli.processes import run_side_by_side
from tests.clock import cli_env

AS_ROOT = os.geteuid() == 0
NO_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if AS_ROOT else ()

pytestmark = pytest.mark.skipif(AS_ROOT and shutil.which("setpriv") is None,
                                reason="running as root without setpriv (util-linux)")


def env(path: Path) -> dict[str, str]:
    said = cli_env(AI_COST_DATABASE_URL=f"sqlite:///{path}",
                   AI_COST_OUT_DIR=str(path.parent.parent / "out"))
    said.pop("AI_COST_LOG_LEVEL", None)
    return said


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.dated  # refresh judges the weeks around the CLI's now
def test_writes_are_refused_in_one_line_and_reads_work(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    judged, empty = folder / "ai-cost.db", folder / "empty.db"
    made = run_side_by_side({"migrate": (env(judged), ["migrate"])}, cwd=tmp_path)
    made |= run_side_by_side({"refresh": (env(judged), ["refresh"])}, cwd=tmp_path)
    assert all(r.returncode == 0 for r in made.values()), made
    empty.touch()  # an empty SQLite database: no schema yet
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    before = digest(folder)
    try:
        done = run_side_by_side({
            "refresh": (env(judged), ["refresh"]),
            "demo": (env(judged), ["demo", "--days", "0.25", "--gpus", "8"]),
            "migrate an empty file": (env(empty), ["migrate"]),
            "status": (env(judged), ["status", "--json"]),
            "report": (env(judged), ["report", "--json"]),
            "migrate --check": (env(judged), ["migrate", "--check"]),
            "migrate": (env(judged), ["migrate"]),
        }, cwd=tmp_path, prefix=NO_OVERRIDE)
        after = digest(folder)
    finally:
        folder.chmod(0o755)
    for name in ("refresh", "demo", "migrate", "migrate an empty file"):
        result = done[name]
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, (name, result.stderr)
        assert "is read-only (attempt to write a readonly database): this command writes" \
            in lines[0], lines[0]
    for name in ("status", "report", "migrate --check"):
        assert done[name].returncode == 0, (name, done[name].stderr)
    assert '"raw_samples": 0' in done["status"].stdout
    assert '"teams"' in done["report"].stdout
    assert "the latest this release knows" in done["migrate --check"].stdout
    assert after == before  # nothing written, by the refused commands or the readers
