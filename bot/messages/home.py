"""The App Home tab: the person's and their team's label and trend, and open suggestions."""

from __future__ import annotations

from typing import Any

from bot.messages.swaps import saving_text
from bot.messages.team import trend
from reports import format as fmt
from reports.blocks import Block, SwapButtons, context, enforce_limits, header, section
from storage.models import Job, Suggestion

MAX_HOME_SUGGESTIONS = 10  # two blocks each, within the 50 blocks Slack allows


def home_view(*, person: str | None, team: str | None, week: str | None,
              own_label: tuple[str | None, str | None],
              team_label: tuple[str | None, str | None],
              suggestions: list[tuple[Suggestion, Job]], more: int,
              buttons: SwapButtons | None = None, notice: str | None = None) -> dict[str, Any]:
    """A `home` view for views.publish."""
    blocks: list[Block] = [header("AI cost: your energy label")]
    if person is None:
        blocks.append(section("I do not know which cluster user you are yet. Ask an admin to "
                              "map your Slack account in the organisation file."))
        return {"type": "home", "blocks": blocks}
    blocks.append(section(
        f"*You* ({fmt.escape(person)}), {week or 'no data yet'}: {trend(*own_label)}\n"
        f"*Team {fmt.escape(team) or 'none'}*: {trend(*team_label)}"))
    if notice:  # the outcome of a click on this tab
        blocks.append(context(notice))
    blocks.append({"type": "divider"})
    if not suggestions:
        blocks.append(section(":white_check_mark: No open suggestions. Well sized!"))
    for suggestion, job in suggestions[:MAX_HOME_SUGGESTIONS]:
        blocks.append(section(f"*{fmt.escape(job.name or job.external_id)}* "
                              f"(`{fmt.escape(job.external_id)}`, "
                              f"{fmt.escape(job.user) or 'unknown'}): "
                              f"{fmt.escape(suggestion.title)}\n"
                              f"This {saving_text(suggestion)}."))
        actions = buttons(suggestion.id) if buttons and suggestion.id is not None else None
        if actions is not None:
            blocks.append(actions)
    hidden = more + max(0, len(suggestions) - MAX_HOME_SUGGESTIONS)
    if hidden:
        blocks.append(context(f"and {hidden} more: `/ai-cost top` lists them"))
    blocks.append(context("Type `/ai-cost help` in any channel for more."))
    return {"type": "home", "blocks": enforce_limits(blocks)}
