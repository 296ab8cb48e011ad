"""The Slack app manifests: Slack's documented fields, one URL that the server serves, the
listeners' surfaces, and exactly the bot scopes the code's Web API calls need."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_sdk import WebClient

from bot.slack_http import events_endpoint
from tests.deploy.manifests import DEPLOY, ROOT

HTTP = DEPLOY / "slack-app-manifest.yaml"
SOCKET = DEPLOY / "slack-app-manifest.socket.yaml"

# https://api.slack.com/reference/manifests: the fields and limits Slack documents.
_URL = {"type": "string", "pattern": r"^https://[^\s/]+(/\S*)?$"}
_BOOL = {"type": "boolean"}
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["display_information", "features", "oauth_config", "settings"],
    "properties": {
        "_metadata": {"type": "object", "additionalProperties": False, "properties": {
            "major_version": {"type": "integer"}, "minor_version": {"type": "integer"}}},
        "display_information": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 35},
                "description": {"type": "string", "maxLength": 140},
                "long_description": {"type": "string", "minLength": 175, "maxLength": 4000},
                "background_color": {"type": "string",
                                     "pattern": "^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$"},
            }},
        "features": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "app_home": {"type": "object", "additionalProperties": False, "properties": {
                    "home_tab_enabled": _BOOL, "messages_tab_enabled": _BOOL,
                    "messages_tab_read_only_enabled": _BOOL}},
                "bot_user": {"type": "object", "additionalProperties": False,
                             "required": ["display_name"], "properties": {
                                 "display_name": {"type": "string", "minLength": 1,
                                                  "maxLength": 80},
                                 "always_online": _BOOL}},
                "slash_commands": {"type": "array", "maxItems": 50, "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["command", "description"],
                    "properties": {
                        "command": {"type": "string", "pattern": "^/[a-z0-9_-]{1,31}$"},
                        "url": _URL,
                        "description": {"type": "string", "minLength": 1, "maxLength": 2000},
                        "usage_hint": {"type": "string", "maxLength": 1000},
                        "should_escape": _BOOL}}},
                "shortcuts": {"type": "array"},
                "unfurl_domains": {"type": "array", "maxItems": 5},
            }},
        "oauth_config": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "redirect_urls": {"type": "array", "items": _URL},
                "scopes": {"type": "object", "additionalProperties": False, "properties": {
                    "bot": {"type": "array", "maxItems": 255, "uniqueItems": True,
                            "items": {"type": "string", "pattern": r"^[a-z]+(:[a-z.]+)?$"}},
                    "user": {"type": "array", "maxItems": 255, "uniqueItems": True}}},
            }},
        "settings": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "allowed_ip_address_ranges": {"type": "array", "maxItems": 10},
                "event_subscriptions": {
                    "type": "object", "additionalProperties": False, "properties": {
                        "request_url": _URL,
                        "bot_events": {"type": "array", "maxItems": 100, "uniqueItems": True,
                                       "items": {"type": "string"}},
                        "user_events": {"type": "array", "maxItems": 100}}},
                "interactivity": {
                    "type": "object", "additionalProperties": False, "required": ["is_enabled"],
                    "properties": {"is_enabled": _BOOL, "request_url": _URL,
                                   "message_menu_options_url": _URL}},
                "org_deploy_enabled": _BOOL,
                "socket_mode_enabled": _BOOL,
                "token_rotation_enabled": _BOOL,
            }},
    },
}

# The bot scope each Web API method the code calls needs (Slack's method reference). A method
# missing here fails the test: look its scope up and add it, so the manifest stays minimal.
SCOPE_OF_METHOD = {
    "chat_postMessage": "chat:write", "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write", "chat_delete": "chat:write",
    "users_info": "users:read", "users_lookupByEmail": "users:read.email",
    "files_upload_v2": "files:write", "conversations_open": "im:write",
    "reactions_add": "reactions:write", "conversations_info": "channels:read",
    # a digest whose post went unanswered is looked for in its channel's history, public or
    # private, found by id (conversations.list turns a channel's name into its id)
    "conversations_history": ("channels:history", "groups:history"),
    "conversations_list": ("channels:read", "groups:read"),
    "views_open": None, "views_publish": None, "views_update": None, "views_push": None,
}
METHOD_CALL = re.compile(r"\.((?:chat|users|files|conversations|reactions|views|im|pins|"
                         r"usergroups|team|dnd|bookmarks|reminders)_[A-Za-z0-9_]+)\(")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def code_methods() -> set[str]:
    """Slack Web API methods that bot/ calls through slack_sdk's WebClient."""
    found = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(METHOD_CALL.findall(path.read_text()))
    # Our own helpers named like Slack methods (team_names, chat_model) are not API calls.
    return {m for m in found if callable(getattr(WebClient, m, None))}


def needed_scopes(manifest: dict[str, Any]) -> set[str]:
    methods = code_methods()
    unknown = sorted(methods - set(SCOPE_OF_METHOD))
    assert not unknown, f"add the scope of {unknown} to SCOPE_OF_METHOD"
    needed: set[str | None] = set()
    for method in methods:
        scopes = SCOPE_OF_METHOD[method]
        needed |= set(scopes) if isinstance(scopes, tuple) else {scopes}
    if manifest["features"].get("slash_commands"):
        needed.add("commands")
    return {s for s in needed if s}


def registered_events() -> set[str]:
    events = set()
    for path in (ROOT / "bot" / "listeners").rglob("*.py"):
        events |= set(re.findall(r"app\.event\(\"([a-z_]+)\"\)", path.read_text()))
    return events


@pytest.mark.parametrize("path", [HTTP, SOCKET], ids=["http", "socket"])
def test_matches_slacks_manifest_fields(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(MANIFEST_SCHEMA)
    errors = [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
              for e in validator.iter_errors(load(path))]
    assert not errors, "\n".join(errors)


def test_the_schema_catches_a_misplaced_field() -> None:
    manifest = load(HTTP)
    manifest["settings"]["interactivity"]["enabled"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, MANIFEST_SCHEMA)


@pytest.mark.parametrize("path", [HTTP, SOCKET], ids=["http", "socket"])
def test_the_app_the_listeners_serve(path: Path) -> None:
    manifest = load(path)
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/ai-cost"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == registered_events()


@pytest.mark.parametrize("path", [HTTP, SOCKET], ids=["http", "socket"])
def test_bot_scopes_are_exactly_what_the_code_calls_for(path: Path) -> None:
    manifest = load(path)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = needed_scopes(manifest)
    assert scopes == needed, (f"not needed: {sorted(scopes - needed)}; "
                              f"missing: {sorted(needed - scopes)}")
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_http_mode_sends_everything_to_the_servers_slack_route() -> None:
    manifest = load(HTTP)
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    urls = {settings["event_subscriptions"]["request_url"],
            settings["interactivity"]["request_url"],
            *[c["url"] for c in manifest["features"]["slash_commands"]]}
    assert len(urls) == 1
    (url,) = urls
    assert url.endswith(events_endpoint(None).path)  # type: ignore[arg-type]


def test_socket_mode_is_the_same_app_without_urls() -> None:
    expected = copy.deepcopy(load(HTTP))
    for command in expected["features"]["slash_commands"]:
        command.pop("url")
    expected["settings"]["event_subscriptions"].pop("request_url")
    expected["settings"]["interactivity"].pop("request_url")
    expected["settings"]["socket_mode_enabled"] = True
    assert load(SOCKET) == expected
