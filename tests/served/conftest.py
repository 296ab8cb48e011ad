"""The Slack world of tests/bot (the demo's week behind a running server), for /ai-cost rating."""

from tests.bot.conftest import demo_engine, slack_world

__all__ = ["demo_engine", "slack_world"]
