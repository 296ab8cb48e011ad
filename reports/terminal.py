"""The digest for a terminal (rich) and as plain text or Markdown."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analyzers.digest import Digest
from analyzers.standings import OrgDigest
from reports import format as fmt
from reports.blocks import served_text, stars_text


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
            jobs.add_row(  # Text: names are the users', never rich markup
                Text(w.name), Text(w.user or "?"), fmt.reasons(w.reasons), fmt.usd(w.cost_usd),
                Text(w.suggestion or "-"),
                f"{fmt.usd(w.saved_usd_week)}, {fmt.kwh(w.saved_kwh_week)}",
            )
        parts.append(jobs)
        if digest.more_oversized:
            parts.append(Text(f"and {digest.more_oversized} more oversized jobs", style="dim"))
    empty = fmt.empty_week_text(digest)
    if empty:
        parts.append(Text(empty, style="green" if f.jobs else "yellow"))
    if digest.served:
        served = Table(title=SERVED_TITLE, title_justify="left", expand=True)
        for column in ("service", "GPUs", "requests", "Wh / 1k req", "idle", "stars"):
            served.add_column(column, overflow="fold")
        for row in digest.served:
            served.add_row(
                Text(row["service"]), Text(f"{row['gpus']}× {row['gpu_type']}"),
                f"{row['requests']:,.0f}",
                "-" if row.get("wh_per_1k_requests") is None
                else f"{row['wh_per_1k_requests']:,.1f}",
                "-" if row.get("idle_share") is None else f"{row['idle_share']:.0%}",
                stars_text(row.get("stars")))
        parts.append(served)
    coverage = fmt.coverage_text(digest)
    if coverage:
        parts.append(Text(coverage, style="dim"))
    return Panel(Group(*parts), title=Text.assemble((digest.team, "bold"), f" · {digest.week}"),
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
    for extra in (fmt.empty_week_text(digest), fmt.coverage_text(digest)):
        if extra:
            lines.append(f"\n_{extra}_")
    if digest.served:
        lines += ["", f"**{SERVED_TITLE}**", "", *(f"- {line}" for line in _served(digest))]
    return "\n".join(lines) + "\n"


SERVED_TITLE = "Served models: energy per 1,000 requests, measured"


def _served(digest: Digest) -> list[str]:
    """The team's served endpoints (docs/served.md), one line each, plain text."""
    return [served_text(row, escape=str) for row in digest.served]


def headline(digest: Digest) -> str:
    """One line: the week's figures and label, for notifications and plain-text fallbacks."""
    f = digest.figures
    label = f", label {digest.label}" if digest.label else ""
    rank = (f", rank {digest.rank} of {digest.teams_ranked}" if digest.rank else "")
    return (f"AI energy digest for {digest.team}, {digest.week}: {fmt.kwh(f.energy_kwh)}, "
            f"{fmt.usd(f.cost_usd)}, {fmt.kg(f.co2e_kg)}{label}{rank}")


def _standing_lines(digest: Digest) -> list[str]:
    lines = []
    if digest.label:
        lines.append(f"Label {digest.label} ({fmt.label_change(digest.label_change)})"
                     + (f", rank {digest.rank} of {digest.teams_ranked} teams"
                        if digest.rank else ""))
    for b in digest.budget:
        lines.append(f"Budget: {fmt.budget(b.metric, b.spent, b.budget)}")
    s = digest.swaps
    if s is not None and (s.approved or s.applied or s.measured):
        line = f"Swaps: {s.approved} approved, {s.applied} applied this week"
        if s.measured:
            line += (f"; applied swaps measurably saved {fmt.usd(s.saved_usd_week)}, "
                     f"{fmt.kwh(s.saved_kwh_week)}, {fmt.kg(s.saved_co2e_kg_week)} "
                     f"(estimated {fmt.usd(s.estimated_usd_week)})")
        lines.append(line)
    submitted = fmt.submit_time_text(*digest.submit_time)
    if submitted:
        lines.append(submitted[0].upper() + submitted[1:])
    coverage = fmt.coverage_text(digest)
    if coverage:
        lines.append(coverage[0].upper() + coverage[1:])
    history = [f"{w[-3:]} {label or '-'}" for w, label in digest.label_history if label]
    if len(history) > 1:
        lines.append("Label over the weeks: " + ", ".join(history))
    return lines


def render_text(digest: Digest) -> str:
    """The digest as plain text, for a terminal or an e-mail without Markdown."""
    f = digest.figures
    lines = [
        f"{digest.team} · {digest.week}",
        headline(digest),
        f"Energy {fmt.change(digest.change_pct('energy_kwh'))}; cost "
        f"{fmt.change(digest.change_pct('cost_usd'))}",
        f"{f.jobs} jobs, {f.gpu_hours:,.0f} GPU-hours, {f.oversized_jobs} oversized",
        *_standing_lines(digest),
        "",
    ]
    empty = fmt.empty_week_text(digest)
    if empty:
        lines.append(empty)
    for w in digest.worst:
        lines.append(f"- {w.name} ({w.user or 'unknown owner'}): {fmt.reasons(w.reasons)}; "
                     f"{fmt.usd(w.cost_usd)} this week")
        if w.suggestion:
            lines.append(f"  suggestion: {w.suggestion}, saves about "
                         f"{fmt.usd(w.saved_usd_week)} a week")
    if digest.more_oversized:
        lines.append(f"and {digest.more_oversized} more oversized jobs")
    if digest.served:
        lines += ["", SERVED_TITLE + ":", *(f"- {line}" for line in _served(digest))]
    return "\n".join(lines) + "\n"


def render_markdown_full(digest: Digest) -> str:
    """The Markdown digest with label, rank, budget and swaps."""
    extra = _standing_lines(digest)
    body = render_markdown(digest)
    if not extra:
        return body
    head, sep, rest = body.partition("\n\n")
    lines = "\n".join(f"- {line}" for line in extra)
    return f"{head}{sep}{lines}\n{rest}"


def org_headline(org: OrgDigest) -> str:
    return (f"AI energy ranking of {len(org.teams)} teams, {org.week}: "
            f"{fmt.kwh(org.total.energy_kwh)}, {fmt.usd(org.total.cost_usd)}, "
            f"{fmt.kg(org.total.co2e_kg)}")


def render_org_markdown(org: OrgDigest) -> str:
    """The organisation-wide ranking as Markdown."""
    lines = [f"## {org_headline(org)}", "",
             "| rank | team | label | energy | change | cost | CO2e | oversized | budget |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in org.teams:
        lines.append(
            f"| {t.rank or '-'} | {t.team} | {t.label or '-'} "
            f"({fmt.label_change(t.label_change)}) | {fmt.kwh(t.energy_kwh)} | "
            f"{fmt.change(t.energy_change_pct)} | {fmt.usd(t.cost_usd)} | {fmt.kg(t.co2e_kg)} | "
            f"{t.oversized_jobs} | {'-' if t.budget_pct is None else f'{t.budget_pct:.0f}%'} |")
    idle = fmt.idle_capacity_lines(org.clusters)
    if idle:
        lines += ["", "GPUs held by no job:", *[f"- {line}" for line in idle]]
    return "\n".join(lines) + "\n"
