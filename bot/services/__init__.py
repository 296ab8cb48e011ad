"""What the Slack listeners call: plain services that take a session, a clock and a client."""
