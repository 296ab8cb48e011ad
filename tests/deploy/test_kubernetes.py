"""The Kubernetes manifests: valid against Kubernetes' schemas, and they run what we mean."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.manifests import (
    KUBERNETES,
    KUSTOMIZATIONS,
    is_ai_cost_image,
    kustomize_available,
    load_all,
    pod_specs,
    render,
    resource_files,
)

# The oldest release still commonly run, and the newest the validator knows.
K8S_VERSIONS = ("1.29.0", kubernetes_validate.utils.latest_version())
BASE = KUBERNETES / "base"

# Prometheus Operator CRDs are not in Kubernetes' schemas: the fields we use, as documented.
SERVICE_MONITOR_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {"type": "object", "properties": {
                    "matchLabels": {"type": "object",
                                    "additionalProperties": {"type": "string"}}}},
                "namespaceSelector": {"type": "object", "additionalProperties": False,
                                      "properties": {"any": {"type": "boolean"},
                                                     "matchNames": {"type": "array",
                                                                    "items": {"type": "string"}}}},
                "endpoints": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"port": {"type": "string"}, "path": {"type": "string"},
                                   "interval": {"type": "string", "pattern": r"^\d+[smh]$"},
                                   "scrapeTimeout": {"type": "string", "pattern": r"^\d+[smh]$"},
                                   "scheme": {"enum": ["http", "https"]}}}},
            },
        },
    },
}


def _rendered(directory: Path) -> list[dict[str, Any]]:
    if kustomize_available():
        return render(directory)
    # Without kubectl: the listed files as written (generators are checked separately).
    return [doc for path in resource_files(directory) for doc in load_all(path)]


RENDERED = {d.relative_to(KUBERNETES).as_posix(): _rendered(d) for d in KUSTOMIZATIONS}


_ENDPOINTS = SERVICE_MONITOR_SCHEMA["properties"]["spec"]["properties"]["endpoints"]  # type: ignore[index]
POD_MONITOR_SCHEMA = copy.deepcopy(SERVICE_MONITOR_SCHEMA)
POD_MONITOR_SCHEMA["properties"]["spec"]["required"] = ["selector", "podMetricsEndpoints"]  # type: ignore[index]
POD_MONITOR_SCHEMA["properties"]["spec"]["properties"] = {  # type: ignore[index]
    **{k: v for k, v in SERVICE_MONITOR_SCHEMA["properties"]["spec"]["properties"].items()  # type: ignore[index]
       if k != "endpoints"},
    "podMetricsEndpoints": _ENDPOINTS}
PROMETHEUS_RULE_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {"type": "object", "required": ["groups"], "additionalProperties": False,
                 "properties": {"groups": {"type": "array", "minItems": 1, "items": {
                     "type": "object", "required": ["name", "rules"],
                     "properties": {"name": {"type": "string"}, "rules": {
                         "type": "array", "items": {
                             "type": "object", "required": ["expr"],
                             "additionalProperties": False,
                             "properties": {"record": {"type": "string"},
                                            "alert": {"type": "string"},
                                            "expr": {"type": "string"},
                                            "for": {"type": "string"},
                                            "labels": {"type": "object"},
                                            "annotations": {"type": "object"}}}}}}}}},
    },
}
# cert-manager's CRDs (cert-manager.io/v1), the fields the admission overlay uses, as documented.
_DURATION = {"type": "string", "pattern": r"^(\d+h)?(\d+m)?(\d+s)?$"}
CERTIFICATE_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "cert-manager.io/v1"},
        "metadata": {"type": "object", "required": ["name", "namespace"]},
        "spec": {"type": "object", "required": ["secretName", "issuerRef"],
                 "additionalProperties": False, "properties": {
                     "secretName": {"type": "string"}, "duration": _DURATION,
                     "renewBefore": _DURATION, "commonName": {"type": "string"},
                     "dnsNames": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                     "privateKey": {"type": "object", "additionalProperties": False,
                                    "properties": {
                                        "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                                        "size": {"type": "integer"},
                                        "rotationPolicy": {"enum": ["Never", "Always"]}}},
                     "issuerRef": {"type": "object", "required": ["name"],
                                   "additionalProperties": False, "properties": {
                                       "name": {"type": "string"},
                                       "kind": {"enum": ["Issuer", "ClusterIssuer"]},
                                       "group": {"type": "string"}}}}},
    },
}
ISSUER_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "cert-manager.io/v1"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {"type": "object", "minProperties": 1, "maxProperties": 1,
                 "properties": {"selfSigned": {"type": "object"}, "ca": {"type": "object"},
                                "acme": {"type": "object"}, "vault": {"type": "object"}}},
    },
}
OPERATOR_SCHEMAS = {"ServiceMonitor": SERVICE_MONITOR_SCHEMA, "PodMonitor": POD_MONITOR_SCHEMA,
                    "PrometheusRule": PROMETHEUS_RULE_SCHEMA, "Certificate": CERTIFICATE_SCHEMA,
                    "Issuer": ISSUER_SCHEMA}


def validate(resource: dict[str, Any], version: str) -> None:
    if resource["kind"] in OPERATOR_SCHEMAS:
        jsonschema.validate(resource, OPERATOR_SCHEMAS[resource["kind"]])
        return
    kubernetes_validate.validate(resource, version, strict=True)


def by_kind(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def test_kustomizations_found() -> None:
    assert set(RENDERED) >= {"base", "overlays/prometheus-operator", "overlays/slack-ingress",
                             "overlays/socket-mode", "admission",
                             "overlays/admission-cert-manager", "overlays/admission-secret"}


@pytest.mark.parametrize("name", sorted(RENDERED))
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_validates_against_kubernetes_schemas(name: str, version: str) -> None:
    for resource in RENDERED[name]:
        try:
            validate(resource, version)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{name}: {resource['kind']}/{resource['metadata']['name']} at "
                        f"{where}: {exc.message}")


def test_the_validator_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(by_kind(RENDERED["base"], "Deployment", "ai-cost-server"))
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)


def test_generators_and_resources_exist() -> None:
    for directory in KUSTOMIZATIONS:
        kustomization = load_all(directory / "kustomization.yaml")[0]
        for entry in kustomization.get("resources", []):
            assert (directory / entry).exists(), f"{directory}: {entry} is missing"
        for generator in (kustomization.get("configMapGenerator", [])
                          + kustomization.get("secretGenerator", [])):
            for entry in generator.get("envs", []) + generator.get("files", []):
                assert (directory / entry.split("=")[-1]).exists(), entry


def test_server_is_probed_on_healthz_and_served_by_the_service() -> None:
    resources = RENDERED["base"]
    server = by_kind(resources, "Deployment", "ai-cost-server")
    pod = server["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    paths = {"readinessProbe": "/healthz/ready", "livenessProbe": "/healthz/live"}
    for probe, path in paths.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path and get["port"] in ports, probe
    assert container["args"][0] == "serve"
    service = by_kind(resources, "Service", "ai-cost-server")
    labels = pod["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert all(p["targetPort"] in ports for p in service["spec"]["ports"])


def test_migrations_run_once_in_a_job_and_processes_only_wait_for_them() -> None:
    resources = RENDERED["base"]
    job = by_kind(resources, "Job", "ai-cost-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["spec"].get("parallelism", 1) == 1
    for resource, spec in pod_specs(resources):
        containers = spec.get("initContainers", []) + spec["containers"]
        if resource["metadata"]["name"] != "ai-cost-migrate":
            assert all(c.get("args", [])[:1] != ["migrate"] for c in containers), \
                f"{resource['metadata']['name']} migrates: only the Job may"
    # Every other process that opens the database first waits for the Job's schema.
    for resource, spec in pod_specs(RENDERED["overlays/socket-mode"]):
        name = resource["metadata"]["name"]
        uses_database = any(s.get("secretRef", {}).get("name", "").startswith("ai-cost-database")
                            for c in spec["containers"] for s in c.get("envFrom", []))
        if name == "ai-cost-migrate" or not uses_database:
            continue
        commands = [c.get("command", []) for c in spec.get("initContainers", [])]
        assert ["ai-cost-wait-for-schema"] in [c[:1] for c in commands], name


def test_scheduler_is_a_single_replica_replaced_not_rolled() -> None:
    scheduler = by_kind(RENDERED["base"], "Deployment", "ai-cost-scheduler")
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}
    assert scheduler["spec"]["template"]["spec"]["containers"][0]["args"] == ["scheduler"]


def test_agent_runs_on_every_gpu_node_in_the_host_pid_namespace() -> None:
    resources = RENDERED["agent"]
    assert not [r for r in RENDERED["base"] if r["kind"] == "DaemonSet"]
    namespace = by_kind(resources, "Namespace", "ai-cost-agent")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "privileged"
    base = by_kind(RENDERED["base"], "Namespace", "ai-cost")["metadata"]["labels"]
    assert base["pod-security.kubernetes.io/enforce"] == "restricted"
    spec = by_kind(resources, "DaemonSet", "ai-cost-agent")["spec"]["template"]["spec"]
    assert spec["hostPID"] is True
    assert spec["runtimeClassName"] == "nvidia"
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in \
        spec["tolerations"]
    (container,) = spec["containers"]
    assert _agent_image(container["image"])  # the slim image, deploy/Dockerfile.agent
    assert container["args"][:2] == ["--server", "http://ai-cost-server.ai-cost.svc:8080"]
    assert ("ServiceAccount", spec["serviceAccountName"]) in {
        (r["kind"], r["metadata"]["name"]) for r in resources}
    assert container["livenessProbe"]["httpGet"]["port"] == "metrics"
    assert "nvidia.com/gpu" not in container.get("resources", {}).get("limits", {}), \
        "the agent must not take a GPU from the jobs it measures"
    security = container["securityContext"]
    assert security["capabilities"] == {"drop": ["ALL"], "add": ["SYS_PTRACE"]}
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert not security.get("privileged", False)
    env = {e["name"]: e for e in container["env"]}
    secret = env["AI_COST_INGEST_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert by_kind(resources, "Secret", secret["name"])["data"][secret["key"]]


def _agent_image(image: str) -> bool:
    return image.split("@")[0].split(":")[0].rsplit("/", 1)[-1] == "ai-cost-agent"


def test_every_reference_points_at_a_rendered_object() -> None:
    resources = RENDERED["base"]
    names = {(r["kind"], r["metadata"]["name"]) for r in resources}
    for resource, spec in pod_specs(resources):
        where = resource["metadata"]["name"]
        assert ("ServiceAccount", spec["serviceAccountName"]) in names, where
        assert spec["automountServiceAccountToken"] is False, where
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                assert ("Secret", volume["secret"]["secretName"]) in names, where
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert is_ai_cost_image(container["image"]) or _agent_image(
                container["image"]), container["image"]
            for source in container.get("envFrom", []):
                for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                    if key in source and not source[key].get("optional"):
                        assert (kind, source[key]["name"]) in names, (where, source)


def test_server_scheduler_and_migration_run_as_non_root_with_nothing_extra() -> None:
    for resource, spec in pod_specs(RENDERED["base"]):
        if resource["kind"] == "DaemonSet":
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec.get("initContainers", []) + spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}


def test_secrets_are_templates_not_credentials() -> None:
    for resource in RENDERED["base"] + RENDERED["agent"]:
        if resource["kind"] != "Secret":
            continue
        for key, value in resource.get("data", {}).items():
            text = base64.b64decode(value).decode()
            if key.endswith(".yaml"):
                tokens = [line for line in text.splitlines() if "ingest_token:" in line]
                assert tokens and all("replace-me" in t for t in tokens), key
            else:
                assert "replace-me" in text, f"{resource['metadata']['name']}: {key}"


def test_service_monitor_scrapes_the_servers_metrics_port() -> None:
    resources = RENDERED["overlays/prometheus-operator"]
    monitor = by_kind(resources, "ServiceMonitor", "ai-cost-server")
    service = by_kind(resources, "Service", "ai-cost-server")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= \
        service["metadata"]["labels"].items()
    ports = {p["name"] for p in service["spec"]["ports"]}
    assert all(e["port"] in ports and e["path"] == "/metrics"
               for e in monitor["spec"]["endpoints"])


def test_the_slack_ingress_publishes_only_slacks_endpoint() -> None:
    ingress = by_kind(RENDERED["overlays/slack-ingress"], "Ingress", "ai-cost-slack")
    paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert paths == ["/slack/events"]


def test_socket_mode_runs_one_slack_socket_process() -> None:
    resources = RENDERED["overlays/socket-mode"]
    deployment = by_kind(resources, "Deployment", "ai-cost-slack-socket")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "serve" and container["args"][-1] == "--socket"
    # probes on the server's own health endpoints, on the port it serves
    port = container["args"][container["args"].index("--port") + 1]
    assert [p["containerPort"] for p in container["ports"]] == [int(port)]
    for probe, path in (("readinessProbe", "/healthz/ready"), ("livenessProbe", "/healthz/live"),
                        ("startupProbe", "/healthz/live")):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}
    assert any(s.get("secretRef", {}).get("name", "").startswith("ai-cost-slack")
               for s in container["envFrom"])


def test_nudges_run_hourly_one_at_a_time() -> None:
    cronjob = by_kind(RENDERED["base"], "CronJob", "ai-cost-nudge")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (_, spec), = pod_specs([cronjob])
    assert spec["containers"][0]["args"] == ["slack", "nudge"]
