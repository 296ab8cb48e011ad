"""deploy/grafana's dashboard and deploy/prometheus's rules against a real Prometheus scraping
an ai-cost server that holds the demo week: every panel's query returns data."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.server import create_server
from config.organisation import Organisation
from config.settings import Settings
from tests.clock import WEEK, at
from tests.live_server import free_port, running

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "ai-cost-rules.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "ai-cost-dashboard.json"
VARIABLES = {"$period": "last_week", "$team": ".*", "$cluster": ".*", "$gpu_type": ".*",
             "$__rate_interval": "1m"}

pytestmark = [pytest.mark.dated, pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None,
    reason="prometheus/promtool are not installed (apt-get install prometheus; .ci/run does)")]


def queries() -> list[tuple[str, str]]:
    """(panel title, query with the dashboard's variables set) of every panel."""
    found = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            found.append((panel["title"], expr))
    return found


def test_promtool_loads_the_rules_and_each_alert_fires_when_it_should() -> None:
    checked = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(["promtool", "test", "rules", RULES.with_suffix(".test.yaml").name],
                            cwd=RULES.parent, capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.fixture
def prometheus(demo_engine: Engine, organisation: Organisation,
               tmp_path: Path) -> Iterator[str]:
    url = demo_engine.url.render_as_string(hide_password=False)
    app = create_server(Settings(database_url=url), organisation, demo_engine,
                        clock=at(WEEK, 9, 12).timestamp, slack_events=False)
    with running(app) as server:
        config = tmp_path / "prometheus.yml"
        shutil.copy(RULES, tmp_path / "rules.yaml")
        config.write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: [rules.yaml]
scrape_configs:
  - job_name: ai-cost
    static_configs: [{{targets: ["{server.removeprefix('http://')}"]}}]
""")
        port = free_port()
        with (tmp_path / "prometheus.log").open("w") as log:
            process = subprocess.Popen(
                ["prometheus", f"--config.file={config}",
                 f"--storage.tsdb.path={tmp_path / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}"], stdout=log,
                stderr=subprocess.STDOUT)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                process.terminate()
                process.wait(timeout=20)


def test_every_dashboard_query_returns_data(prometheus: str, tmp_path: Path) -> None:
    pending = dict.fromkeys(queries(), "not asked yet")
    assert len(pending) >= 15
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=prometheus, timeout=5) as client:
        while pending and time.monotonic() < deadline:
            for key in list(pending):
                try:
                    answer = client.get("/api/v1/query", params={"query": key[1]}).json()
                except (httpx.HTTPError, ValueError) as exc:  # not up yet: 503, no JSON
                    pending[key] = str(exc)
                    continue
                if answer.get("status") != "success":
                    pending[key] = answer.get("error", "failed")
                elif answer["data"]["result"]:
                    del pending[key]
                else:
                    pending[key] = "no data"
            if pending:
                time.sleep(0.5)  # the next scrape and rule evaluation come each second
    log = (tmp_path / "prometheus.log").read_text()[-1500:] if pending else ""
    assert not pending, f"{pending}\n{log}"
