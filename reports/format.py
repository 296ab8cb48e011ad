"""Numbers the way people read them in a digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.ledger import Ledger


def kwh(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:,.2f} MWh"
    return f"{value:,.1f} kWh" if value >= 10 else f"{value:,.2f} kWh"


def usd(value: float) -> str:
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def kg(value: float) -> str:
    return f"{value / 1000:,.2f} t CO2e" if value >= 1000 else f"{value:,.1f} kg CO2e"


def change(pct: float | None) -> str:
    """'+12%' / '-5%' against last week, or 'new' when there is nothing to compare."""
    if pct is None:
        return "no prior week"
    arrow = "▲" if pct > 0.5 else "▼" if pct < -0.5 else "="
    return f"{arrow} {pct:+.0f}% vs last week"


REASON_WORDS = {
    "idle": "GPUs held but idle",
    "overprovisioned": "more GPUs than the work needs",
    "oversized_model": "a big model on a narrow task",
    "precision": "fp32 where bf16 would do",
    "small_batch": "batch size 1-2",
}


def reasons(items: tuple[str, ...] | list[str]) -> str:
    return "; ".join(REASON_WORDS.get(r, r) for r in items)


def label_change(classes: int | None) -> str:
    """'up 2 classes' / 'down 1 class' / 'same as last week' / 'new'."""
    if classes is None:
        return "no label last week"
    if classes == 0:
        return "same as last week"
    word = "class" if abs(classes) == 1 else "classes"
    return f"{'up' if classes > 0 else 'down'} {abs(classes)} {word} vs last week"


def budget(metric: str, spent: float, limit: float) -> str:
    """'1,234 kWh of 1,500 kWh (82%)'."""
    show = kwh if metric == "kwh" else usd
    pct = 100.0 * spent / limit if limit > 0 else 0.0
    return f"{show(spent)} of {show(limit)} ({pct:.0f}%)"


@dataclass(frozen=True, slots=True)
class AsOf:
    """When a week's figures were judged, and the line that says so."""

    as_of: str | None
    text: str


def as_of_note(ledger: Ledger) -> AsOf:
    """'Figures as of <time>', with a warning when newer data is not counted yet."""
    if ledger.refreshed_at is None:
        return AsOf(None, "")
    at = datetime.fromtimestamp(ledger.refreshed_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"figures as of {at}"
    if ledger.stale:
        text += "; newer data not yet counted (`ai-cost refresh` counts it)"
    if not ledger.complete:
        text += f"; so far, {ledger.hours:.0f} of 168 hours"
    return AsOf(at, text)


def moment(ts: float) -> str:
    """A Unix time as people read it in a log: 2026-11-23 09:00 UTC."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def empty_week_text(digest: Any) -> str | None:
    """What a digest says when its team has no run, or no oversized run (None otherwise).

    A week without data is never "well sized": it names the clusters that went silent.
    """
    if digest.figures.jobs == 0:
        if digest.silent:
            quiet = "; ".join(f"{name} has sent nothing since {when}" if when else
                              f"{name} has never sent data" for name, when in digest.silent)
            return f"No GPU usage from {digest.team} was counted in {digest.week}: {quiet}."
        return f"No GPU usage from {digest.team} in {digest.week}."
    if digest.figures.oversized_jobs == 0:
        return "No oversized jobs this week. Well sized!"
    if not digest.worst:
        return (f"{digest.figures.oversized_jobs} oversized jobs: their details are for the "
                "team's members, approvers and FinOps.")
    return None


def coverage_text(digest: Any) -> str | None:
    """When the figures were judged, and whether the week is partial or has newer data."""
    parts = []
    if digest.hours < 168:
        parts.append(f"so far, {digest.hours:.0f} of 168 hours (weeks are UTC)")
    if digest.as_of:
        parts.append(f"figures as of {digest.as_of}")
    if digest.stale:
        parts.append("newer data not yet counted")
    if digest.defaults:
        parts.append("priced with defaults: " + "; ".join(digest.defaults))
    return "; ".join(parts) or None


def idle_capacity_lines(clusters: Any) -> list[str]:
    """One line per cluster with GPU-hours that no run held: hours, share and cost."""
    return [f"{c.cluster}: {c.idle_gpu_hours:,.0f} of {c.gpu_hours:,.0f} GPU-hours "
            f"({c.idle_share:.0%}), {usd(c.idle_cost_usd)}"
            for c in clusters if c.idle_gpu_hours > 0]


def escape(text: str | None) -> str:
    """Text from users or collectors (job, model, user names) made safe for Slack's mrkdwn.

    Slack reads `<...>` as links and mentions (`<!channel>`) and `&` as an entity: these three
    are escaped as Slack asks, so a name can neither ping a channel nor fake a link.
    """
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def submit_time_text(warnings: int, resized_jobs: int, saved_usd_week: float = 0.0,
                     currency: str = "USD") -> str:
    """A week's warnings at submit time in words; empty when none was given.

    For example "12 warnings at submit time this week, 5 jobs resized before they ran
    (about $340 a week saved)" (docs/submit-time.md).
    """
    if warnings == 0:
        return ""
    text = (f"{warnings} warning{'s' * (warnings != 1)} at submit time this week, "
            f"{resized_jobs} job{'s' * (resized_jobs != 1)} resized before they ran")
    if resized_jobs and saved_usd_week >= 0.5:
        money = usd(saved_usd_week) if currency == "USD" else f"{saved_usd_week:,.0f} {currency}"
        text += f" (about {money} a week saved)"
    return text
