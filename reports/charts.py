"""The digest's chart: energy per day by kind of waste (PNG, matplotlib)."""

from __future__ import annotations

import io
from typing import Any

from analyzers.digest import Digest
from analyzers.ratings import LABELS
from domain.ledger import WASTE_KINDS

COLOURS = {"healthy": "#4c9a2a", "idle": "#d64545", "overprovisioned": "#f0a030",
           "oversized_model": "#8e5ad6"}
KIND_LABELS = {"healthy": "well sized", "idle": "idle GPUs", "overprovisioned": "too many GPUs",
          "oversized_model": "oversized model"}
# EU energy label colours, A (dark green) to G (red).
LABEL_COLOURS = ("#00a651", "#50b848", "#bed630", "#fff200", "#fdb913", "#f37021", "#ed1c24")


def _pyplot() -> Any:
    """Pyplot on the Agg backend, imported only when a chart is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def energy_chart_png(digest: Digest) -> bytes:
    """A 900x450 PNG, readable at Slack's preview size: stacked kWh per day."""
    plt = _pyplot()
    history = [(w, label) for w, label in digest.label_history if label]
    if history:
        fig, (ax, lx) = plt.subplots(1, 2, figsize=(9, 4.5), dpi=100,
                                     gridspec_kw={"width_ratios": [3, 1.1]})
        _label_panel(lx, digest.label_history)
    else:
        fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    days = [d.strftime("%a %d") for d, _ in digest.energy_kwh_by_day]
    bottom = [0.0] * len(days)
    for kind in WASTE_KINDS:
        values = [kinds.get(kind, 0.0) for _, kinds in digest.energy_kwh_by_day]
        ax.bar(days, values, bottom=bottom, color=COLOURS[kind], label=KIND_LABELS[kind])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("GPU energy, kWh")
    ax.set_title(f"{digest.team} · {digest.week}: energy per day", fontsize=14, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    if history:  # legend inside, over headroom left above the tallest day
        ax.set_ylim(0, max(max(bottom) * 1.45, 1e-9))
        ax.legend(loc="upper left", frameon=False, fontsize=9, ncol=2)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _label_panel(ax: Any, history: list[tuple[str, str | None]]) -> None:
    """The team's label per week, A at the top, like an appliance energy label."""
    weeks = [w[-3:] for w, _ in history]
    values = [None if label is None else LABELS.index(label) for _, label in history]
    xs = [i for i, v in enumerate(values) if v is not None]
    ys = [v for v in values if v is not None]
    ax.plot(xs, ys, color="#555555", linewidth=1.5, zorder=1)
    ax.scatter(xs, ys, c=[LABEL_COLOURS[v] for v in ys], s=90, zorder=2)
    ax.set_ylim(len(LABELS) - 0.5, -0.5)
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xticks(range(len(weeks)), weeks, rotation=45, fontsize=8)
    ax.set_xlim(-0.5, len(weeks) - 0.5)
    ax.set_title("label by week", fontsize=12, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
