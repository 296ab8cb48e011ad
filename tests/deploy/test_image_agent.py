"""deploy/Dockerfile.agent: the slim agent image, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import re

from collectors.agent_main import parser as agent_parser
from tests.deploy.manifests import DEPLOY, ROOT, load_all

DOCKERFILE = (DEPLOY / "Dockerfile.agent").read_text()
INSTRUCTIONS = [line for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
IGNORE = [line.strip() for line in (DEPLOY / "Dockerfile.agent.dockerignore").read_text()
          .splitlines() if line.strip() and not line.startswith("#")]


def _ignored(path: str) -> bool:
    """Docker's rule: the last pattern that matches wins; `!` re-includes."""
    ignored = False
    for pattern in IGNORE:
        negate = pattern.startswith("!")
        if fnmatch.fnmatch(path, pattern.lstrip("!")):
            ignored = not negate
    return ignored


def test_it_installs_only_the_agent_distribution_and_runs_it_as_its_entry_point() -> None:
    text = " ".join(INSTRUCTIONS)
    for heavy in ("torch", "transformers", "langchain", "matplotlib", "psycopg", "sqlalchemy",
                  "'.[", "requirements"):
        assert heavy not in text.lower()
    # The one list of what the agent carries (tests/collectors/test_agent_dist.py installs it)
    assert "python deploy/agent/stage.py /stage /src" in text
    assert "/opt/ai-cost-agent/bin/pip install --no-cache-dir --disable-pip-version-check " \
        "/stage" in text
    assert 'ENTRYPOINT ["ai-cost-agent"]' in INSTRUCTIONS
    assert "ai-cost-agent --version" in text, "the image smoke-tests its entry point"
    runtime = INSTRUCTIONS[[i for i, line in enumerate(INSTRUCTIONS)
                            if line.startswith("FROM ")][-1]:]
    assert not any("pip install" in line for line in runtime)
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}


def test_its_context_holds_what_it_copies_and_nothing_else() -> None:
    copied = [line.split()[1] for line in INSTRUCTIONS
              if line.startswith("COPY ") and "--from" not in line]
    assert copied == ["deploy/agent", "collectors", "domain", "config"]
    for source in copied:
        assert (ROOT / source).exists() and not _ignored(source), source
    for left_out in ("bot", "storage", "analyzers", "reports", ".venv", "tests",
                     "collectors/data", "collectors/simulation"):
        assert _ignored(left_out), left_out


def test_the_daemonset_arguments_parse_as_the_slim_agent_reads_them() -> None:
    daemonset = next(doc for doc in load_all(DEPLOY / "kubernetes" / "agent" / "daemonset.yaml")
                     if doc["kind"] == "DaemonSet")
    (container,) = daemonset["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "ai-cost-agent"
    args = agent_parser().parse_args(container["args"])  # exits 2 on an unknown option
    assert args.server.startswith("http://ai-cost-server.") and args.metrics_port == 9401
