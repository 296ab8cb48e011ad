"""Local stand-ins for the services ai-cost talks to (Slack's Web API, request signing)."""
