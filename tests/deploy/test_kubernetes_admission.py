"""The admission webhook's manifests (deploy/kubernetes/admission and its two TLS overlays):
opt-in, never a refusal for ai-cost's own failure, every kind the webhook judges, and a TLS
path from the API server to a route the server has."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from starlette.routing import Match

from bot.admission import KINDS, AdmissionEndpoint
from bot.metrics import admission_reviews
from config.organisation import load_organisation
from tests.deploy.manifests import kustomize_available
from tests.deploy.test_kubernetes import RENDERED, by_kind

# The overlays' namespace and CA are kustomize's work (a transformer, patches): rendered only.
pytestmark = pytest.mark.skipif(not kustomize_available(),
                                reason="kubectl is not installed: overlays cannot be rendered")

OVERLAYS = ("overlays/admission-cert-manager", "overlays/admission-secret")
WEBHOOK = "ai-cost-submit-warnings"
TLS_SECRET = "ai-cost-admission-tls"
OPT_IN = {"ai-cost/submit-warnings": "enabled"}
# The API server names resources; the webhook reads kinds (bot/admission.py KINDS).
RESOURCES = {("", "pods"): "Pod", ("batch", "jobs"): "Job", ("batch", "cronjobs"): "CronJob",
             ("apps", "deployments"): "Deployment", ("apps", "statefulsets"): "StatefulSet",
             ("serving.kserve.io", "inferenceservices"): "InferenceService"}


def webhook(resources: list[dict[str, Any]]) -> dict[str, Any]:
    (hook,) = by_kind(resources, "ValidatingWebhookConfiguration", WEBHOOK)["webhooks"]
    assert isinstance(hook, dict)
    return hook


def admission_pod(resources: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = by_kind(resources, "Deployment", "ai-cost-admission")
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_webhook_is_opt_in_and_never_refuses_for_its_own_failure(overlay: str) -> None:
    hook = webhook(RENDERED[overlay])
    assert hook["failurePolicy"] == "Ignore"
    assert hook["sideEffects"] == "NoneOnDryRun"
    assert hook["timeoutSeconds"] == 2
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["namespaceSelector"] == {"matchLabels": OPT_IN}
    (opt_out,) = hook["objectSelector"]["matchExpressions"]
    assert opt_out == {"key": "ai-cost/submit-warnings", "operator": "NotIn",
                       "values": ["disabled"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_webhook_asks_about_every_kind_the_server_judges(overlay: str) -> None:
    asked = set()
    for rule in webhook(RENDERED[overlay])["rules"]:
        assert "DELETE" not in rule["operations"] and "*" not in rule["operations"]
        assert rule["scope"] == "Namespaced"
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                assert "/" not in resource, "a subresource (status, scale) is no submission"
                asked.add(RESOURCES[(group, resource)])
    assert asked == KINDS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_api_server_reaches_the_webhook_route_over_tls(overlay: str) -> None:
    resources = RENDERED[overlay]
    target = webhook(resources)["clientConfig"]["service"]
    service = by_kind(resources, "Service", target["name"])
    assert service["metadata"]["namespace"] == target["namespace"]
    (port,) = [p for p in service["spec"]["ports"] if p["port"] == target["port"]]
    pod = admission_pod(resources)
    assert service["spec"]["selector"].items() <= by_kind(
        resources, "Deployment", "ai-cost-admission")["spec"]["template"]["metadata"][
        "labels"].items()
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert port["targetPort"] in ports
    args = container["args"]
    assert args[0] == "serve" and args[args.index("--port") + 1] == str(
        ports[port["targetPort"]])
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    (tls,) = [name for name, v in volumes.items()
              if v.get("secret", {}).get("secretName") == TLS_SECRET]
    assert args[args.index("--ssl-certfile") + 1] == f"{mounts[tls]}/tls.crt"
    assert args[args.index("--ssl-keyfile") + 1] == f"{mounts[tls]}/tls.key"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["scheme"] == "HTTPS", probe
    endpoint = AdmissionEndpoint(organisation=load_organisation(None, warn=False), engine=None,
                                 counter=admission_reviews(CollectorRegistry()))
    scope = {"type": "http", "path": target["path"], "method": "POST"}
    assert any(r.matches(scope)[0] is Match.FULL for r in endpoint.routes()), target["path"]


def test_cert_manager_issues_the_certificate_and_injects_its_ca() -> None:
    resources = RENDERED["overlays/admission-cert-manager"]
    configuration = by_kind(resources, "ValidatingWebhookConfiguration", WEBHOOK)
    inject = configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
    namespace, name = inject.split("/")
    certificate = by_kind(resources, "Certificate", name)
    assert certificate["metadata"]["namespace"] == namespace
    assert certificate["spec"]["secretName"] == TLS_SECRET
    service = webhook(resources)["clientConfig"]["service"]
    assert f"{service['name']}.{service['namespace']}.svc" in certificate["spec"]["dnsNames"]
    issuer = certificate["spec"]["issuerRef"]
    assert by_kind(resources, issuer["kind"], issuer["name"])["metadata"]["namespace"] == \
        namespace
    assert "caBundle" not in webhook(resources)["clientConfig"]


def test_a_provided_secret_comes_with_a_ca_bundle_template_not_a_credential() -> None:
    resources = RENDERED["overlays/admission-secret"]
    assert not [r for r in resources if r["kind"] in ("Certificate", "Issuer")]
    configuration = by_kind(resources, "ValidatingWebhookConfiguration", WEBHOOK)
    assert "cert-manager.io/inject-ca-from" not in configuration["metadata"].get(
        "annotations", {})
    bundle = base64.b64decode(webhook(resources)["clientConfig"]["caBundle"]).decode()
    assert bundle == "replace-me"
    assert not [r for r in resources if r["kind"] == "Secret"
                and r["metadata"]["name"] == TLS_SECRET], "the TLS Secret is yours to create"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_admission_server_runs_like_the_server(overlay: str) -> None:
    resources = RENDERED[overlay]
    names = {(r["kind"], r["metadata"]["name"]) for r in resources}
    deployment = by_kind(resources, "Deployment", "ai-cost-admission")
    pod = admission_pod(resources)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert ("ServiceAccount", pod["serviceAccountName"]) in names
    for container in pod["initContainers"] + pod["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"] == {"drop": ["ALL"]}
        for source in container.get("envFrom", []):
            for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                if key in source:
                    assert (kind, source[key]["name"]) in names, source
    assert ["ai-cost-wait-for-schema"] in [c["command"][:1] for c in pod["initContainers"]]
    budget = by_kind(resources, "PodDisruptionBudget", "ai-cost-admission")["spec"]
    assert budget["minAvailable"] == 1 < deployment["spec"]["replicas"]
    policy = by_kind(resources, "NetworkPolicy", "ai-cost-admission")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= \
        deployment["spec"]["template"]["metadata"]["labels"].items()
    assert [p["port"] for p in policy["ingress"][0]["ports"]] == ["https"]
    # The base's server policy and budget do not select the admission pods, nor the reverse.
    server = by_kind(resources, "Deployment", "ai-cost-server")
    assert not policy["podSelector"]["matchLabels"].items() <= \
        server["spec"]["template"]["metadata"]["labels"].items()
