"""Reading deploy/: YAML documents, rendered kustomizations, and the `ai-cost` command lines."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
KUSTOMIZATIONS = sorted(p.parent for p in KUBERNETES.rglob("kustomization.yaml"))
IMAGE = "ai-cost"  # the image name the manifests use before kustomize's `images:` rewrite


def load_all(path: Path) -> list[dict[str, Any]]:
    """The non-empty YAML documents of `path`."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomize_available() -> bool:
    return shutil.which("kubectl") is not None


def render(directory: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize directory` (offline: kustomize is built into kubectl)."""
    result = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def resource_files(directory: Path) -> Iterator[Path]:
    """The files a kustomization lists under resources, following bases, without kubectl."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            yield from resource_files(path)
        else:
            yield path


def pod_specs(resources: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(resource, pod spec) for every workload."""
    for resource in resources:
        spec = resource.get("spec", {})
        if resource["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        template = spec.get("template")
        if resource["kind"] in {"Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob"} \
                and template:
            yield resource, template["spec"]


def is_ai_cost_image(image: str) -> bool:
    """True for the ai-cost image, under any registry or tag; `${VAR:-default}` reads default."""
    match = re.fullmatch(r"\$\{\w+:-(.+)\}", image)
    image = match.group(1) if match else image
    return image.split("@")[0].split(":")[0].rsplit("/", 1)[-1] == IMAGE


def ai_cost_command_lines() -> list[tuple[str, list[str]]]:
    """(where, arguments after `ai-cost`) for every ai-cost process deploy/ starts."""
    found: list[tuple[str, list[str]]] = []
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        if is_ai_cost_image(service.get("image", "")) and "command" in service:
            found.append((f"compose.yaml: {name}", [str(a) for a in service["command"]]))
    for path in sorted(KUBERNETES.rglob("*.yaml")):
        for resource in load_all(path):
            if "apiVersion" not in resource or resource.get("kind") == "Kustomization":
                continue
            for _, spec in pod_specs([resource]):
                for container in spec.get("initContainers", []) + spec["containers"]:
                    if is_ai_cost_image(container["image"]) and "command" not in container:
                        where = f"{path.relative_to(DEPLOY)}: {container['name']}"
                        found.append((where, [str(a) for a in container.get("args", [])]))
    for unit in sorted((DEPLOY / "slurm").glob("*.service")):
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                argv = shlex.split(line.removeprefix("ExecStart="))
                if Path(argv[0]).name == "ai-cost":
                    found.append((f"slurm/{unit.name}", argv[1:]))
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("CMD "):
            found.append(("Dockerfile: CMD", yaml.safe_load(line.removeprefix("CMD "))))
    return found
