"""The digest's chart: energy per day by kind of waste (PNG, matplotlib)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analyzers.digest import Digest  # noqa: E402
from analyzers.weekly import WASTE_KINDS  # noqa: E402

COLOURS = {"healthy": "#4c9a2a", "idle": "#d64545", "overprovisioned": "#f0a030",
           "oversized_model": "#8e5ad6"}
LABELS = {"healthy": "well sized", "idle": "idle GPUs", "overprovisioned": "too many GPUs",
          "oversized_model": "oversized model"}


def energy_chart_png(digest: Digest) -> bytes:
    """A 900x450 PNG, readable at Slack's preview size: stacked kWh per day."""
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    days = [d.strftime("%a %d") for d, _ in digest.energy_kwh_by_day]
    bottom = [0.0] * len(days)
    for kind in WASTE_KINDS:
        values = [kinds.get(kind, 0.0) for _, kinds in digest.energy_kwh_by_day]
        ax.bar(days, values, bottom=bottom, color=COLOURS[kind], label=LABELS[kind])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("GPU energy, kWh")
    ax.set_title(f"{digest.team} · {digest.week}: energy per day", fontsize=14, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
