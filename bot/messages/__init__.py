"""Block Kit for the bot's own messages (the digest's blocks live in reports/blocks.py)."""
