"""The git swap action: one workload's entry edited in a YAML or JSON file, on its own branch.

The team's ``swap_action`` says where the workloads are and how each is named::

    {type: git, repo: URL or path, file: deploy/workloads.yaml, branch: main,
     entries: workloads,      # dotted path to a list (or a mapping keyed by name) of workloads
     match: name,             # the field of an entry that names it (default: name)
     fields: "model:model_id,gpus:replicas",  # change key -> entry field, where they differ
     commit_to_branch: "false",  # "true": commit straight to `branch` (default: a new branch)
     forge: github | gitlab, forge_api_url: https://api.github.com,
     forge_project: owner/repo (GitLab: its path or id), forge_token_env: NAME}

Only the value of one field of one entry changes: the file is parsed to find the entry, and
exactly the characters of that value are replaced, so comments and other entries stay as they
are. The change goes on branch ``ai-cost/suggestion-<id>`` and a merge request is opened when
a forge is configured.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

DEFAULT_FIELDS = {"model": "model", "precision": "precision", "gpus": "gpus",
                  "gpu_type": "gpu_type", "batch_size": "batch_size"}
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:+-]*$")


class ChangeError(ValueError):
    """A change that cannot be made as configured, said in words."""


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _entry(root: yaml.Node, entries: str, match: str, workload: str) -> yaml.Node:
    node: yaml.Node | None = root
    for part in [p for p in entries.split(".") if p]:
        node = _child(node, part) if node is not None else None
    if node is None:
        raise ChangeError(f"the file has no {entries!r}")
    if isinstance(node, yaml.MappingNode):
        found = _child(node, workload)
    elif isinstance(node, yaml.SequenceNode):
        found = next((item for item in node.value
                      if (name := _child(item, match)) is not None
                      and isinstance(name, yaml.ScalarNode) and name.value == workload), None)
    else:
        found = None
    if found is None:
        raise ChangeError(f"no entry named {workload!r} under {entries!r}")
    return found


def _literal(value: Any, *, json_file: bool) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return text if not json_file and _PLAIN.match(text) else json.dumps(text)


def edit_entry(text: str, *, entries: str, match: str, workload: str,
               changes: Mapping[str, tuple[Any, Any]], json_file: bool = False) -> str:
    """`text` with `changes` (field -> (from, to)) made in the entry of `workload` only.

    Fields the entry does not set are left out. Raises ChangeError when the entry is missing,
    sets none of the fields, or a field does not hold `from`.
    """
    root = yaml.compose(text)
    if root is None:
        raise ChangeError("the file is empty")
    entry = _entry(root, entries, match, workload)
    spans = []
    for field, (old, new) in changes.items():
        node = _child(entry, field)
        if not isinstance(node, yaml.ScalarNode):
            continue  # a field the entry does not set (a model swap's GPU count, say)
        if old is not None and str(node.value) != str(old):
            raise ChangeError(f"the entry {workload!r} has {field}: {node.value}, not {old}")
        spans.append((node.start_mark.index, node.end_mark.index,
                       _literal(new, json_file=json_file)))
    if not spans:
        raise ChangeError(f"the entry {workload!r} sets none of {', '.join(changes)}")
    for start, end, literal in sorted(spans, reverse=True):
        text = text[:start] + literal + text[end:]
    return text


def _pairs(value: Any) -> dict[str, str]:
    """``"model:model_id,gpus:replicas"`` (or a mapping) as {change key: entry field}."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs = (p.split(":", 1) for p in str(value or "").split(",") if ":" in p)
    return {k.strip(): v.strip() for k, v in pairs}


def _forge(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The forge settings: flat (forge, forge_api_url, ...) or one mapping under forge."""
    forge = config.get("forge")
    if isinstance(forge, Mapping):
        return dict(forge)
    if not forge:
        return None
    return {"type": forge, "api_url": config.get("forge_api_url", ""),
            "project": config.get("forge_project", ""),
            "token_env": config.get("forge_token_env", "")}


def expressible_fields(config: Mapping[str, Any], change: Mapping[str, Any]) -> list[str]:
    """The entry fields a git action would edit for `change` (empty: it cannot express it)."""
    fields = {**DEFAULT_FIELDS, **_pairs(config.get("fields"))}
    return [fields[k] for k, v in change.items()
            if k in fields and isinstance(v, Mapping) and v.get("to") is not None]


def branch_name(suggestion_id: int) -> str:
    return f"ai-cost/suggestion-{suggestion_id}"


def open_merge_request(http: httpx.Client, forge: Mapping[str, Any], *, token: str,
                       branch: str, base: str, title: str, body: str) -> str:
    """Open a pull/merge request of `branch` into `base`; its web address."""
    kind, api = forge.get("type", "github"), str(forge.get("api_url", "")).rstrip("/")
    project = str(forge.get("project", ""))
    if kind == "gitlab":
        response = http.post(f"{api}/projects/{quote(project, safe='')}/merge_requests",
                             headers={"PRIVATE-TOKEN": token},
                             json={"source_branch": branch, "target_branch": base,
                                   "title": title, "description": body})
        key = "web_url"
    else:
        response = http.post(f"{api}/repos/{project}/pulls",
                             headers={"Authorization": f"Bearer {token}",
                                      "Accept": "application/vnd.github+json"},
                             json={"head": branch, "base": base, "title": title, "body": body})
        key = "html_url"
    if response.status_code in (409, 422):  # one is open for this branch already (a retry)
        return f"{kind} request for {branch} already open"
    response.raise_for_status()
    return str(response.json().get(key) or f"{kind} request for {branch}")


def apply_git_change(*, git: str, http: httpx.Client, environ: Mapping[str, str],
                     config: Mapping[str, Any], suggestion_id: int, workload: str,
                     change: Mapping[str, Any], title: str, message: str) -> str:
    """Make the change in a clone, commit and push it; what was done, in words.

    Raises ChangeError, RuntimeError (git), httpx.HTTPError (forge) or OSError.
    """
    repo, path = config.get("repo"), config.get("file")
    base = str(config.get("branch", "main"))
    if not repo or not path:
        raise ChangeError("swap_action git needs repo and file")
    fields = {**DEFAULT_FIELDS, **_pairs(config.get("fields"))}
    changes = {fields[k]: (v.get("from"), v["to"]) for k, v in change.items()
               if k in fields and isinstance(v, Mapping) and v.get("to") is not None}
    if not changes:
        raise ChangeError("this change names no field of a workload entry to edit; apply it "
                          "by hand")
    direct = str(config.get("commit_to_branch", "")).lower() in ("true", "yes", "1")
    branch = base if direct else branch_name(suggestion_id)

    def run(*args: str, cwd: Path | None = None) -> str:
        done = subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode != 0:
            out = (done.stderr or done.stdout).strip()
            raise RuntimeError(out.splitlines()[-1] if out else "git failed")
        return done.stdout

    with tempfile.TemporaryDirectory(prefix="ai-cost-git-") as tmp:
        work = Path(tmp) / "repo"
        run("clone", "--quiet", "--depth", "1", "--branch", base, str(repo), str(work))
        target = work / str(path)
        if not target.is_file():
            raise ChangeError(f"{path} is not in {repo}@{base}")
        target.write_text(edit_entry(
            target.read_text(), entries=str(config.get("entries", "")),
            match=str(config.get("match", "name")), workload=workload, changes=changes,
            json_file=str(path).endswith(".json")))
        ident = ("-c", "user.name=ai-cost", "-c", "user.email=ai-cost@localhost")
        if not direct:
            run("checkout", "--quiet", "-b", branch, cwd=work)
        run(*ident, "commit", "--quiet", "-am", message, cwd=work)
        sha = run("rev-parse", "--short", "HEAD", cwd=work).strip()
        # Our own branch: a retry replaces what an earlier attempt pushed.
        run("push", "--quiet", *(() if direct else ("--force",)), "origin",
            f"HEAD:refs/heads/{branch}", cwd=work)
    done = f"commit {sha} on {branch} changes {workload} in {path}"
    forge = _forge(config)
    if direct or forge is None:
        return done
    token = environ.get(str(forge.get("token_env", "")), "")
    if not token:
        raise ChangeError(f"{done}, but the forge token is not set (environment variable "
                          f"{forge.get('token_env') or 'forge_token_env'})")
    url = open_merge_request(http, forge, token=token, branch=branch, base=base, title=title,
                             body=message)
    return f"{done}; merge request {url}"
