"""deploy/.env.example lists every setting, so the example and the code cannot drift apart."""

from __future__ import annotations

import re

import typer
from pydantic import AliasChoices

from bot.cli import app
from config.settings import Settings
from tests.deploy.manifests import DEPLOY, KUBERNETES

EXAMPLE = (DEPLOY / ".env.example").read_text()
DOCUMENTED = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", EXAMPLE, flags=re.MULTILINE))


def setting_names() -> dict[str, set[str]]:
    """Field -> the environment names pydantic-settings reads it from."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = {}
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names[field] = {str(choice) for choice in alias.choices}
        elif isinstance(alias, str):
            names[field] = {alias}
        else:
            names[field] = {f"{prefix}{field}".upper()}
    return names


def cli_envvars() -> set[str]:
    """AI_COST_* variables that the commands' options read."""
    found: set[str] = set()
    stack = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            for name in [envvar] if isinstance(envvar, str) else envvar or []:
                found.add(name)
    return found


def test_every_setting_is_in_env_example() -> None:
    missing = {field: sorted(names) for field, names in setting_names().items()
               if not names & DOCUMENTED}
    assert not missing, f"add to deploy/.env.example, with its meaning: {missing}"


def test_every_variable_a_command_reads_is_in_env_example() -> None:
    missing = sorted(cli_envvars() - DOCUMENTED)
    assert not missing, f"add to deploy/.env.example, with its meaning: {missing}"


def test_every_variable_compose_interpolates_is_in_env_example() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", compose))
    assert used, "compose.yaml interpolates nothing?"
    assert not sorted(used - DOCUMENTED)


def test_each_entry_says_what_it_means() -> None:
    lines = EXAMPLE.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^#? ?([A-Z][A-Z0-9_]*)=", line)
        if not match:
            continue
        above = lines[:index]
        comment = next((a for a in reversed(above) if not re.match(r"^#? ?[A-Z0-9_]+=", a)), "")
        assert comment.startswith("# ") and len(comment) > 10, f"{match.group(1)} has no meaning"


def test_kubernetes_settings_are_real_settings() -> None:
    known = set().union(*setting_names().values()) | cli_envvars()
    text = (KUBERNETES / "base" / "settings.env").read_text()
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)
    assert names and not sorted(set(names) - known)
