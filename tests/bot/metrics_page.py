"""Reading a Prometheus text page as a user's query would: one sample by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(page: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` whose labels include `labels`; None when absent."""
    for family in text_string_to_metric_families(page):
        for s in family.samples:
            if s.name == name and labels.items() <= s.labels.items():
                return float(s.value)
    return None
