"""Slack surfaces, one folder each with a `register(app)`: commands, actions, views, events."""
