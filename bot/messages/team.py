"""Answers to `/ai-cost`: a team's week, a job, the top jobs, the rating, budgets, help."""

from __future__ import annotations

from analyzers.digest import Digest
from analyzers.ratings import label_change
from bot.services.team_view import Budget
from domain.ledger import JobLine
from reports import format as fmt
from reports.blocks import Block, SwapButtons, context, enforce_limits, header, section

HELP = [
    ("/ai-cost", "your team this week: energy, cost, CO2e, label, the 3 most wasteful jobs"),
    ("/ai-cost team NAME", "another team's week"),
    ("/ai-cost job ID", "one job: what it used, why it was flagged, what to change"),
    ("/ai-cost top [N]", "the N jobs (default 10) whose change saves most, every team"),
    ("/ai-cost rating", "every team's energy label, best first"),
    ("/ai-cost budget [set AMOUNT kWh|$]", "your team's weekly budget; approvers can set it"),
    ("/ai-cost digest", "a private preview of this week's digest"),
    ("/ai-cost subscribe #channel", "where your team's digest goes (approvers)"),
    ("/ai-cost help", "this help"),
]


def help_blocks(unknown: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    if unknown is not None:
        blocks.append(section(f":thinking_face: I did not understand `{fmt.escape(unknown)}`."))
    blocks.append(section("*What `/ai-cost` can do*\n" +
                          "\n".join(f"`{usage}`: {what}" for usage, what in HELP)))
    return blocks


def trend(label: str | None, previous: str | None) -> str:
    gained = label_change(previous, label)
    if label is None:
        return "no label yet"
    if gained is None:
        return f"label *{label}*"
    if gained > 0:
        return f"label *{label}* :arrow_up: from {previous}"
    if gained < 0:
        return f"label *{label}* :arrow_down: from {previous}"
    return f"label *{label}* (same as last week)"


def job_text(line: JobLine) -> str:
    job = line.job
    text = (f"*{fmt.escape(job.name or job.external_id)}* (`{fmt.escape(job.external_id)}`, "
            f"{fmt.escape(job.user) or 'unknown'}, {fmt.escape(job.team)}) · "
            f"label {line.label or '-'}\n{job.gpus}× {fmt.escape(job.gpu_type)}, "
            f"{fmt.kwh(line.cost.energy_kwh)}, {fmt.usd(line.cost.cost_usd)}, "
            f"{fmt.kg(line.cost.co2e_kg)}")
    if line.verdict.reasons:
        text += f"\nWhy flagged: {fmt.reasons(line.verdict.reasons)}"
    return text


def suggestion_blocks(line: JobLine, *, buttons: SwapButtons | None = None,
                      alternatives: int = 2) -> list[Block]:
    """The run's primary suggestion (the one that saves most), its buttons, its alternatives.

    The buttons are the reader's (`buttons`); the alternatives are named in the text only.
    """
    best = line.best
    if best is None:
        return []
    text = (f":bulb: {fmt.escape(best.title)}\n"
            f"Saves about {fmt.usd(best.saved_cost_usd_week)}, "
            f"{fmt.kwh(best.saved_energy_j_week / 3.6e6)} and "
            f"{fmt.kg(best.saved_co2e_kg_week)} a week")
    others = sorted((sg for sg in line.suggestions if sg is not best),
                    key=lambda sg: sg.saved_cost_usd_week, reverse=True)
    for other in others[:alternatives]:
        text += (f"\nOr: {fmt.escape(other.title)} (saves about "
                 f"{fmt.usd(other.saved_cost_usd_week)} a week)")
    if len(others) > alternatives:
        text += f"\nand {len(others) - alternatives} more ways"
    blocks = [section(text)]
    actions = buttons(best.id) if buttons and best.id is not None else None
    if actions is not None:
        blocks.append(actions)
    return blocks


def team_blocks(digest: Digest, lines: list[JobLine], more: int,
                buttons: SwapButtons | None = None) -> list[Block]:
    """A team's week: figures, label and trend, and its most wasteful jobs with suggestions."""
    f = digest.figures
    rank = (f" · rank {digest.rank} of {digest.teams_ranked}"
            if digest.rank and digest.teams_ranked else "")
    blocks: list[Block] = [
        header(f"{digest.team}, {digest.week}"),
        section(f"*{fmt.kwh(f.energy_kwh)}* · *{fmt.usd(f.cost_usd)}* · *{fmt.kg(f.co2e_kg)}*\n"
                f"Energy {fmt.change(digest.change_pct('energy_kwh'))} · "
                f"{trend(digest.label, digest.previous_label)}{rank}\n"
                f"{f.jobs} jobs, {f.gpu_hours:,.0f} GPU-hours, {f.oversized_jobs} oversized"),
        {"type": "divider"},
    ]
    empty = fmt.empty_week_text(digest) if not lines else None
    if empty:
        icon = ":white_check_mark: " if f.jobs and not f.oversized_jobs else ""
        blocks.append(section(icon + fmt.escape(empty)))
    coverage = fmt.coverage_text(digest)
    if coverage:
        blocks.insert(2, context(fmt.escape(coverage)))
    for line in lines:
        blocks.append(section(job_text(line)))
        blocks.extend(suggestion_blocks(line, buttons=buttons))
    if more:
        blocks.append(context(f"and {more} more oversized jobs: `/ai-cost top` lists them"))
    return enforce_limits(blocks)


def job_blocks(line: JobLine, week: str, buttons: SwapButtons | None = None) -> list[Block]:
    return enforce_limits([header(f"Job {line.job.external_id}, {week}"),
                           section(job_text(line)),
                           *suggestion_blocks(line, buttons=buttons, alternatives=5)])


def top_blocks(lines: list[JobLine], week: str, more: int) -> list[Block]:
    blocks: list[Block] = [header(f"Jobs whose change saves most, {week}")]
    if not lines:
        blocks.append(section("No oversized jobs this week."))
    # Two blocks per job at most: 24 jobs fit in 50 blocks with the header and the tail.
    for position, line in enumerate(lines, start=1):
        saved = f" · saves {fmt.usd(line.saved_cost_usd_week)}/week" if line.suggestions else ""
        blocks.append(section(f"{position}. {job_text(line)}{saved}"))
    if more:
        blocks.append(context(f"and {more} more"))
    return enforce_limits(blocks)


def rating_blocks(rows: list[tuple[str, str | None, str | None, int | None]],
                  week: str) -> list[Block]:
    """rows: (team, label, previous label, rank), best first."""
    lines = [f"{rank or '–'}. *{fmt.escape(team)}*: {trend(label, previous)}"
             for team, label, previous, rank in rows]
    return [header(f"Energy labels by team, {week}"),
            section("\n".join(lines) or "No team has usage this week."),
            context("A (best) to G: energy used against what right-sized jobs would use.")]


def budget_blocks(team: str, week: str, budget: Budget) -> list[Block]:
    parts = []
    if budget.kwh:
        parts.append(f"{fmt.kwh(budget.spent_kwh)} of {fmt.kwh(budget.kwh)} "
                     f"({100 * budget.spent_kwh / budget.kwh:.0f}%)")
    if budget.usd:
        parts.append(f"{fmt.usd(budget.spent_usd)} of {fmt.usd(budget.usd)} "
                     f"({100 * budget.spent_usd / budget.usd:.0f}%)")
    text = (f"*{fmt.escape(team)}*, {week}: " + " · ".join(parts)) if parts else (
        f"*{fmt.escape(team)}* has no weekly budget. An approver can set one: "
        "`/ai-cost budget set 1500 kWh` or `/ai-cost budget set 9000 $`.")
    source = "set in Slack" if budget.set_in_slack else "from the organisation file"
    return [section(text), context(f"Budget {source}.")] if parts else [section(text)]
