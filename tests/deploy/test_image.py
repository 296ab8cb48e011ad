"""deploy/Dockerfile: what the image must be, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.deploy.manifests import DEPLOY, ROOT

DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
INSTRUCTIONS = [line for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
PACKAGES = ["bot", "analyzers", "reports", "collectors", "storage", "config"]
WEIGHTS = ROOT / "analyzers" / "classifier" / "weights"


def stages() -> list[list[str]]:
    found: list[list[str]] = []
    for line in INSTRUCTIONS:
        if line.startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(line)
    return found


def test_multi_stage_and_the_runtime_stage_has_no_build_tools() -> None:
    build, runtime = stages()
    assert build[0].endswith(" AS build") and runtime[0].endswith(" AS runtime")
    assert any(line.startswith("COPY --from=build ") for line in runtime)
    assert not any(re.search(r"\bpip install\b", line) for line in runtime)
    # the runtime stage installs only what the git swap action runs: no compiler
    installed = {word for line in runtime if "apt-get install" in line
                 for word in line.split("apt-get install", 1)[1].split("&&")[0].split()
                 if not word.startswith("-")}
    assert installed == {"git", "ca-certificates", "openssh-client"}


def test_torch_is_the_cpu_build_installed_first() -> None:
    build = stages()[0]
    torch = next(i for i, line in enumerate(build) if "torch==" in line)
    project = next(i for i, line in enumerate(build) if re.search(r"pip install \.$", line))
    assert torch < project
    assert "download.pytorch.org/whl/cpu" in DOCKERFILE
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^TORCH_VERSION \?= ([\w.]+)$", makefile, re.M)
    assert pinned and f"TORCH_VERSION={pinned.group(1)}" in DOCKERFILE, \
        "the image and `make venv` should install the same torch"
    # `make venv` takes the CPU build (+cpu) only: a local wheel, else PyTorch's CPU index
    installs = [line for line in makefile.splitlines() if "pip install -q torch==" in line]
    assert installs and all("torch==$(TORCH_VERSION)+cpu" in line for line in installs)
    assert "TORCH_INDEX ?= https://download.pytorch.org/whl/cpu" in makefile


def test_runs_as_a_non_root_user_and_the_command_picks_the_process() -> None:
    runtime = stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert 'ENTRYPOINT ["ai-cost"]' in runtime
    assert any(line.startswith("CMD [") for line in runtime)
    assert "RUN ai-cost --help" in " ".join(runtime), "the image smoke-tests its entry point"


def test_the_classifier_weights_are_copied_and_checked() -> None:
    assert "cp -r analyzers/classifier/weights/." in DOCKERFILE
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert name in DOCKERFILE


def test_dockerignore_keeps_the_context_small_and_keeps_what_the_build_copies() -> None:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for heavy in (".git", ".venv"):
        assert heavy in patterns
    copied = [line.split()[1] for line in INSTRUCTIONS
              if line.startswith("COPY ") and "--from" not in line]
    for source in copied:
        top = source.rstrip("/").split("/")[0]
        assert not any(fnmatch.fnmatch(top, p) for p in patterns), f"{source} is ignored"
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is missing"


@pytest.mark.skipif(not (WEIGHTS / "model.safetensors").exists(),
                    reason="no trained classifier weights in the tree yet")
def test_the_wheel_carries_every_data_file_and_the_weights(tmp_path: Path) -> None:
    """`pip install .` in the image must bring the data files the code reads."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                             "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert f"analyzers/classifier/weights/{name}" in shipped
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if path.suffix in {".csv", ".json", ".yaml", ".mako", ".safetensors"}:
                assert relative in shipped, f"{relative} is not in the wheel (package-data)"
