"""Operations around the workloads: disruption budget, network policy, probes, the scheduler's
PodMonitor and the alerting rules as a PrometheusRule."""

from __future__ import annotations

import yaml

from tests.deploy.manifests import DEPLOY
from tests.deploy.test_kubernetes import RENDERED, by_kind


def test_a_drain_keeps_one_server_and_only_its_http_port_is_open() -> None:
    base = RENDERED["base"]
    server = by_kind(base, "Deployment", "ai-cost-server")
    labels = server["spec"]["template"]["metadata"]["labels"]
    budget = by_kind(base, "PodDisruptionBudget", "ai-cost-server")["spec"]
    assert budget["minAvailable"] == 1 < server["spec"]["replicas"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    policy = by_kind(base, "NetworkPolicy", "ai-cost-server")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    ports = {p["name"] for c in server["spec"]["template"]["spec"]["containers"]
             for p in c["ports"]}
    assert [p["port"] for p in rule["ports"]] == ["http"] and "http" in ports


def test_the_scheduler_is_probed_and_scraped_through_a_pod_monitor() -> None:
    resources = RENDERED["overlays/prometheus-operator"]
    scheduler = by_kind(resources, "Deployment", "ai-cost-scheduler")["spec"]["template"]
    (container,) = scheduler["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
    monitor = by_kind(resources, "PodMonitor", "ai-cost-scheduler")["spec"]
    assert monitor["selector"]["matchLabels"].items() <= scheduler["metadata"]["labels"].items()
    ports = {p["name"] for p in container["ports"]}
    assert all(e["port"] in ports and e["path"] == "/metrics"
               for e in monitor["podMetricsEndpoints"])


def test_the_prometheus_rule_is_the_rules_file() -> None:
    rule = by_kind(RENDERED["overlays/prometheus-operator"], "PrometheusRule", "ai-cost")
    rules = yaml.safe_load((DEPLOY / "prometheus" / "ai-cost-rules.yaml").read_text())
    assert rule["spec"]["groups"] == rules["groups"]
