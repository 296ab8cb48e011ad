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
