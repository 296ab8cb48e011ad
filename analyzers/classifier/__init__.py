"""The oversized classifier: a small distilled model reading task and model size from jobs."""
