"""deploy/compose.yaml: a valid Compose file that starts the services in the right order."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from collectors.agent_main import parser as agent_parser
from tests.deploy.manifests import DEPLOY, is_ai_cost_image
from tests.live_server import free_port

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
    assert set(ours) == {"migrate", "server", "scheduler", "slack-socket"}
    builds = {json.dumps(s["build"], sort_keys=True) for s in ours.values()}
    assert builds == {json.dumps({"context": "..", "dockerfile": "deploy/Dockerfile"},
                                 sort_keys=True)}
    assert (DEPLOY / "Dockerfile").exists()


def test_the_agent_runs_the_slim_image_and_its_command_parses() -> None:
    agent = compose()["services"]["agent"]
    assert agent["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile.agent"}
    assert agent["image"].split(":-")[-1].split(":")[0] == "ai-cost-agent"
    # The image's entry point is ai-cost-agent: the command is its arguments.
    args = agent_parser().parse_args(agent["command"])
    assert args.server == "http://server:8080" and not args.print_
    assert (agent["pid"], agent["user"], agent["cap_add"]) == ("host", "0:0", ["SYS_PTRACE"])


def test_configuration_comes_from_the_env_file() -> None:
    services = compose()["services"]
    for name in ("migrate", "server", "scheduler", "agent", "slack-socket"):
        assert {"path": ".env", "required": False} in services[name]["env_file"], name


def test_prometheus_scrapes_the_server_and_the_scheduler() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert [c["targets"] for c in jobs["ai-cost"]["static_configs"]] == [["server:8080"]]
    assert jobs["ai-cost"]["metrics_path"] == "/metrics"
    published = compose()["services"]["server"]["command"]
    assert published[published.index("--port") + 1] == "8080"
    scheduler = compose()["services"]["scheduler"]["command"]
    port = scheduler[scheduler.index("--metrics-port") + 1]
    assert [c["targets"] for c in jobs["ai-cost-scheduler"]["static_configs"]] == [
        [f"scheduler:{port}"]]
    # The scheduler's `job` label (digest:nlp, refresh) is what its alerts group by.
    assert jobs["ai-cost-scheduler"]["honor_labels"] is True


def _compose_prometheus_home(home: Path) -> Path:
    """The prometheus service's mounted files, laid out under `home` as the container sees
    /etc/prometheus; the config file's path there."""
    service = compose()["services"]["prometheus"]
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("./") and target.startswith("/etc/prometheus/"):
            shutil.copy(DEPLOY / source, home / target.removeprefix("/etc/prometheus/"))
    flag = next(a for a in service["command"] if a.startswith("--config.file="))
    return home / flag.removeprefix("--config.file=/etc/prometheus/")


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_compose_prometheus_config_and_its_rules(tmp_path: Path) -> None:
    config = _compose_prometheus_home(tmp_path)
    done = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 1 rule files found" in done.stdout
    assert "ai-cost-rules.yaml" in done.stdout


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed")
def test_the_compose_prometheus_loads_every_rule(tmp_path: Path) -> None:
    """Prometheus started on the files compose mounts serves ai-cost's rules, all of them."""
    config = _compose_prometheus_home(tmp_path)
    rules = yaml.safe_load((DEPLOY / "prometheus" / "ai-cost-rules.yaml").read_text())
    wanted = {r.get("record") or r.get("alert") for g in rules["groups"] for r in g["rules"]}
    port = free_port()
    with (tmp_path / "prometheus.log").open("w") as log:
        process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            loaded: set[str] = set()
            deadline = time.monotonic() + 45
            while loaded != wanted and time.monotonic() < deadline:
                assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
                try:
                    groups = httpx.get(f"http://127.0.0.1:{port}/api/v1/rules",
                                       timeout=5).json()["data"]["groups"]
                    loaded = {r["name"] for g in groups for r in g["rules"]}
                except (httpx.TransportError, ValueError, KeyError):
                    pass  # not up yet: no answer, or "Service Unavailable" while it starts
                time.sleep(0.2)  # polling a process that is starting; no event to wait on
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert loaded == wanted
