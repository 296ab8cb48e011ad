"""Numbers the way people read them in a digest."""

from __future__ import annotations


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
