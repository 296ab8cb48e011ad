"""Pytest plugin: the `slack_api` fixture, a started FakeSlackApi (tests/fakes/slack_api.py).

Registered from tests/conftest.py with ``pytest_plugins = ["tests.fakes.slack_fixtures"]``.
Point code under test at it with ``WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url)``
or ``Settings(slack_api_url=slack_api.api_url, slack_bot_token=SLACK_TEST_TOKEN, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.slack_api import FakeSlackApi

SLACK_TEST_TOKEN = "xoxb-test-token"
SLACK_TEST_SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    """A fake Slack Web API on a free local port, checking the bot token SLACK_TEST_TOKEN."""
    with FakeSlackApi(token=SLACK_TEST_TOKEN) as fake:
        yield fake
