"""The digest for a terminal (rich) and as plain text or Markdown."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analyzers.digest import Digest
from reports import format as fmt


def render_rich(digest: Digest) -> Panel:
    """A panel with the week's figures and the worst oversized jobs."""
    f = digest.figures
    head = Table.grid(padding=(0, 3))
    for _ in range(3):
        head.add_column()
    head.add_row(
        Text(fmt.kwh(f.energy_kwh), style="bold"), Text(fmt.usd(f.cost_usd), style="bold"),
        Text(fmt.kg(f.co2e_kg), style="bold"),
    )
    head.add_row(
        fmt.change(digest.change_pct("energy_kwh")), fmt.change(digest.change_pct("cost_usd")),
        fmt.change(digest.change_pct("co2e_kg")),
    )
    summary = Text(
        f"{f.jobs} jobs, {f.gpu_hours:,.0f} GPU-hours, {f.oversized_jobs} oversized. "
        f"GPU time {fmt.usd(f.gpu_cost_usd)} + energy {fmt.usd(f.energy_cost_usd)}."
        + (f"  Label {digest.label}." if digest.label else ""),
        style="dim",
    )
    parts: list[Table | Text] = [head, summary]
    if digest.worst:
        jobs = Table(title="Worst oversized jobs", title_justify="left", expand=True)
        for column in ("job", "owner", "why", "cost", "suggestion", "saves / week"):
            jobs.add_column(column, overflow="fold")
        for w in digest.worst:
            jobs.add_row(
                w.name, w.user or "?", fmt.reasons(w.reasons), fmt.usd(w.cost_usd),
                w.suggestion or "-",
                f"{fmt.usd(w.saved_usd_week)}, {fmt.kwh(w.saved_kwh_week)}",
            )
        parts.append(jobs)
        if digest.more_oversized:
            parts.append(Text(f"and {digest.more_oversized} more oversized jobs", style="dim"))
    else:
        parts.append(Text("No oversized jobs this week. Well sized!", style="green"))
    return Panel(Group(*parts), title=f"[bold]{digest.team}[/] · {digest.week}",
                 border_style="cyan")


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown, for e-mail or a wiki."""
    f = digest.figures
    lines = [
        f"## {digest.team} · {digest.week}",
        "",
        f"- Energy: **{fmt.kwh(f.energy_kwh)}** ({fmt.change(digest.change_pct('energy_kwh'))})",
        f"- Cost: **{fmt.usd(f.cost_usd)}** (GPU time {fmt.usd(f.gpu_cost_usd)}, "
        f"energy {fmt.usd(f.energy_cost_usd)}; {fmt.change(digest.change_pct('cost_usd'))})",
        f"- Carbon: **{fmt.kg(f.co2e_kg)}** ({fmt.change(digest.change_pct('co2e_kg'))})",
        f"- {f.jobs} jobs, {f.gpu_hours:,.0f} GPU-hours, {f.oversized_jobs} oversized",
        "",
    ]
    if digest.worst:
        lines += ["| job | owner | why | cost | suggestion | saves / week |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for w in digest.worst:
            lines.append(f"| {w.name} | {w.user or '?'} | {fmt.reasons(w.reasons)} | "
                         f"{fmt.usd(w.cost_usd)} | {w.suggestion or '-'} | "
                         f"{fmt.usd(w.saved_usd_week)} |")
        if digest.more_oversized:
            lines.append(f"\nand {digest.more_oversized} more oversized jobs")
    return "\n".join(lines) + "\n"
