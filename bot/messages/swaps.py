"""Suggestion messages: the owner's nudge, the swap buttons, and the outcome of a click."""

from __future__ import annotations

from datetime import datetime

from domain.types import Suggestion as Proposed
from reports import format as fmt
from reports.blocks import (
    APPROVE,
    DISMISS,
    MARK_DONE,
    RETRY,
    Block,
    button,
    change_label,
    context,
    enforce_limits,
    header,
    section,
    swap_actions,
)
from storage.models import Job, Suggestion

SWAP_ACTIONS = (APPROVE, DISMISS, RETRY, MARK_DONE)


def saving_text(suggestion: Suggestion) -> str:
    return (f"saves about {fmt.usd(suggestion.saved_cost_usd_week)}, "
            f"{fmt.kwh(suggestion.saved_energy_j_week / 3.6e6)} and "
            f"{fmt.kg(suggestion.saved_co2e_kg_week)} a week")


def suggestion_buttons(suggestion: Suggestion | Proposed, *,
                       by_hand: str | None = None) -> Block | None:
    """A suggestion's buttons, the primary one named by its change; None once decided.

    `by_hand`: why the team's action cannot make it, said in the confirmation and the label.
    """
    if suggestion.id is None or suggestion.state != "open":
        return None
    label = change_label(suggestion.kind, suggestion.change)
    return swap_actions(suggestion.id, suggestion.title,
                        f"{label} (by hand)" if by_hand else label, by_hand)


def nudge_blocks(suggestion: Suggestion, job: Job, *, reasons: list[str] | None = None,
                 cost_usd: float | None = None, energy_kwh: float | None = None,
                 by_hand: str | None = None) -> list[Block]:
    """The direct message to a flagged job's owner: cost, why, the change, the buttons."""
    text = (f"Your job *{fmt.escape(job.name or job.external_id)}* "
            f"(`{fmt.escape(job.external_id)}`, team {fmt.escape(job.team)}) "
            f"was flagged in {suggestion.week}.")
    if cost_usd is not None and energy_kwh is not None:
        text += f"\nIt cost {fmt.usd(cost_usd)} and used {fmt.kwh(energy_kwh)} that week."
    if reasons:
        text += f"\nWhy: {fmt.reasons(reasons)}."
    return enforce_limits([
        header(f"A cheaper way to run {job.name or job.external_id}"),
        section(text),
        section(f":bulb: *{fmt.escape(suggestion.title)}*\nThis {saving_text(suggestion)}."),
        *([actions] if (actions := suggestion_buttons(suggestion, by_hand=by_hand)) else []),
        context("You get at most one message a day per job, never at night. Dismiss it and "
                "this change is not suggested again."),
    ])


def outcome_blocks(status: str, text: str, suggestion_id: int,
                   at: datetime | None = None) -> list[Block]:
    """What replaces a suggestion's buttons once it is decided, with what is left to do.

    Failed: Retry, Dismiss or Mark done (applied by hand). Manual (approved, to be applied by
    hand): Mark done.
    """
    icon = {"applied": ":white_check_mark:", "failed": ":warning:", "dismissed": ":no_entry:",
            "manual": ":hammer_and_wrench:", "done": ":white_check_mark:",
            "already": ":information_source:"}.get(status, ":information_source:")
    when = ""
    if at is not None:  # Slack shows the date in the reader's time zone
        when = (f" · <!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|"
                f"{at:%Y-%m-%d %H:%M} UTC>")
    blocks: list[Block] = [context(f"{icon} {text}{when}")]
    value = str(suggestion_id)
    buttons = {"failed": [button("Retry", RETRY, value, style="primary"),
                          button("Dismiss", DISMISS, value),
                          button("Mark done", MARK_DONE, value)],
               "manual": [button("Mark done", MARK_DONE, value, style="primary")]}.get(status)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"swap:{suggestion_id}",
                       "elements": buttons})
    return blocks


def _is_swap_block(block: Block, suggestion_id: int) -> bool:
    if block.get("type") != "actions":
        return False
    if block.get("block_id") == f"swap:{suggestion_id}":
        return True
    return any(e.get("action_id") in SWAP_ACTIONS and e.get("value") == str(suggestion_id)
               for e in block.get("elements", []))


def replace_swap_buttons(blocks: list[Block], suggestion_id: int,
                         replacement: list[Block]) -> list[Block]:
    """`blocks` with the buttons of `suggestion_id` (and an old outcome) replaced."""
    out: list[Block] = []
    replaced = False
    for block in blocks:
        if _is_swap_block(block, suggestion_id):
            if not replaced:
                out.extend(replacement)
                replaced = True
            continue
        out.append(block)
    if not replaced:
        out.extend(replacement)
    return enforce_limits(out)


def praise_blocks(team: str, week: str, before: str | None, after: str | None) -> list[Block]:
    return [section(f":tada: *{fmt.escape(team)}* improved its energy label from *{before}* "
                    f"to *{after}* in {week}. Right-sized work pays off, thank you!")]
