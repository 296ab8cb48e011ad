"""deploy/compose.yaml: a valid Compose file that starts the services in the right order."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.manifests import DEPLOY, is_ai_cost_image

COMPOSE_FILE = DEPLOY / "compose.yaml"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _compose_cli() -> list[str] | None:
    """`docker compose` (v2 plugin) when this machine has it; the engine is not needed."""
    if shutil.which("docker") is None:
        return None
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30,
                           check=False)
    return ["docker", "compose"] if probe.returncode == 0 else None


def test_matches_the_compose_specification() -> None:
    # The Compose Specification's JSON schema, as check-jsonschema vendors it (offline).
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
              for e in validator.iter_errors(compose())]
    assert not errors, "\n".join(errors)


def test_the_schema_catches_a_misspelt_key() -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    broken = compose()
    broken["services"]["server"]["depends_no"] = broken["services"]["server"].pop("depends_on")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_docker_compose_config_accepts_it(tmp_path: Any) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no `docker compose` here; the schema test above covers the file")
    result = subprocess.run([*cli, "-f", str(COMPOSE_FILE), "--env-file",
                             str(DEPLOY / ".env.example"), "--profile", "monitoring",
                             "--profile", "agent", "--profile", "socket-mode", "config",
                             "--quiet"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_services_and_their_order() -> None:
    services = compose()["services"]
    assert {"postgres", "migrate", "server", "scheduler", "prometheus"} <= set(services)
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("server", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully", name
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["server"]["healthcheck"]["test"][-1].endswith("/healthz', timeout=3)")


def test_one_image_for_every_ai_cost_process() -> None:
    services = compose()["services"]
    ours = {name: s for name, s in services.items() if is_ai_cost_image(s.get("image", ""))}
    assert set(ours) == {"migrate", "server", "scheduler", "agent", "slack-socket"}
    builds = {json.dumps(s["build"], sort_keys=True) for s in ours.values()}
    assert builds == {json.dumps({"context": "..", "dockerfile": "deploy/Dockerfile"},
                                 sort_keys=True)}
    assert (DEPLOY / "Dockerfile").exists()


def test_configuration_comes_from_the_env_file() -> None:
    services = compose()["services"]
    for name in ("migrate", "server", "scheduler", "agent", "slack-socket"):
        assert {"path": ".env", "required": False} in services[name]["env_file"], name


def test_prometheus_scrapes_the_server() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["server:8080"]
    published = compose()["services"]["server"]["command"]
    assert published[published.index("--port") + 1] == "8080"
