"""The digest as Slack Block Kit, within Slack's documented limits."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from analyzers.digest import Digest
from analyzers.standings import OrgDigest
from reports import format as fmt

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_ACTION_ELEMENTS = 25
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000

Block = dict[str, Any]


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT)}}


def section(text: str, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section",
                    "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": clip(f, MAX_FIELD_TEXT)}
                           for f in fields[:MAX_FIELDS]]
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn",
                                              "text": clip(text, MAX_SECTION_TEXT)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button", "action_id": action_id, "value": value,
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT)},
    }
    if style:
        element["style"] = style
    return element


APPROVE, DISMISS, RETRY, MARK_DONE = "approve_swap", "dismiss_swap", "retry_swap", "done_swap"


SwapButtons = Callable[[int], "Block | None"]
"""A suggestion id to its buttons for the reader, or None (decided, or not theirs to decide)."""


def _gpus(n: Any) -> str:
    return f"{n} GPU{'s' * (n != 1)}"


def change_label(kind: str, change: Mapping[str, Any]) -> str:
    """The primary button's words: the change it makes ("Release 6 GPUs", "Use bf16")."""
    def to(key: str) -> Any:
        value = change.get(key)
        return value.get("to") if isinstance(value, Mapping) else None

    release = change.get("release")
    if kind == "release" and isinstance(release, Mapping) and release.get("gpus"):
        return f"Release {_gpus(release['gpus'])}"
    labels = {"model_swap": ("model", "Switch to {}"), "fewer_gpus": ("gpus", "Run on {}"),
              "smaller_gpu": ("gpu_type", "Move to {}"), "precision": ("precision", "Use {}"),
              "batching": ("batch_size", "Use batch size {}")}
    key, words = labels.get(kind, ("", ""))
    target = to(key) if key else None
    if target is None:
        return "Approve swap"
    return words.format(_gpus(target) if key == "gpus" else target)


def approve_button(suggestion_id: int, title: str, label: str = "Approve swap",
                   by_hand: str | None = None) -> dict[str, Any]:
    """The primary button, named by its change, which asks for confirmation before it is sent.

    `by_hand`: why the team's action cannot make this change (said before approval).
    """
    element = button(label, APPROVE, str(suggestion_id), style="primary")
    how = (f"Nothing is changed for you: {fmt.escape(by_hand)}. Approve, apply it, then Mark "
           "done." if by_hand else "It is applied through your team's configured action.")
    element["confirm"] = {
        "title": {"type": "plain_text", "text": "Apply this change?"},
        "text": {"type": "mrkdwn", "text": clip(f"{fmt.escape(title)}\n{how}", 300)},
        "confirm": {"type": "plain_text", "text": "Approve and apply"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    return element


def swap_actions(suggestion_id: int, title: str, label: str = "Approve swap",
                 by_hand: str | None = None) -> Block:
    """The change's button (primary, confirmed) and Dismiss for one suggestion."""
    return {"type": "actions", "block_id": f"swap:{suggestion_id}", "elements": [
        approve_button(suggestion_id, title, label, by_hand),
        button("Dismiss", DISMISS, str(suggestion_id)),
    ]}


def digest_blocks(digest: Digest, *, chart_file_id: str | None = None, max_jobs: int = 10,
                  buttons: SwapButtons | None = None) -> list[Block]:
    """Blocks of a team's weekly digest: figures, chart, worst jobs.

    `buttons` gives each job's suggestion its buttons (open ones only); without it, none.
    """
    f = digest.figures
    label = f" · label {digest.label}" if digest.label else ""
    blocks: list[Block] = [
        header(f"AI energy digest: {digest.team}, {digest.week}{label}"),
        section(
            f"*{fmt.kwh(f.energy_kwh)}* · *{fmt.usd(f.cost_usd)}* · *{fmt.kg(f.co2e_kg)}*",
            fields=[
                f"*Energy*\n{fmt.change(digest.change_pct('energy_kwh'))}",
                f"*Cost*\nGPU time {fmt.usd(f.gpu_cost_usd)} + energy "
                f"{fmt.usd(f.energy_cost_usd)}",
                f"*Jobs*\n{f.jobs} jobs, {f.gpu_hours:,.0f} GPU-hours",
                f"*Oversized*\n{f.oversized_jobs} jobs",
            ],
        ),
    ]
    standing = standing_text(digest)
    if standing:
        blocks.append(section(standing))
    if chart_file_id:
        blocks.append({"type": "image", "slack_file": {"id": chart_file_id},
                       "alt_text": f"Energy per day for {digest.team}, {digest.week}"})
    coverage = fmt.coverage_text(digest)
    if coverage:
        blocks.append(context(fmt.escape(coverage)))
    blocks.append({"type": "divider"})
    empty = fmt.empty_week_text(digest)
    if empty:
        icon = ":white_check_mark: " if digest.figures.jobs and not f.oversized_jobs else ""
        blocks.append(section(icon + fmt.escape(empty)))
    shown = digest.worst[:max_jobs]
    for w in shown:
        text = (f"*{fmt.escape(w.name)}* ({fmt.escape(w.user) or 'unknown owner'}): "
                f"{fmt.reasons(w.reasons)}\n{w.gpus}× {fmt.escape(w.gpu_type)}, "
                f"{fmt.kwh(w.energy_kwh)}, {fmt.usd(w.cost_usd)} this week")
        if w.suggestion:
            text += (f"\n:bulb: {fmt.escape(w.suggestion)}\n"
                     f"Saves about {fmt.usd(w.saved_usd_week)}, "
                     f"{fmt.kwh(w.saved_kwh_week)} and {fmt.kg(w.saved_co2e_kg_week)} a week")
        blocks.append(section(text))
        actions = buttons(w.suggestion_id) if buttons and w.suggestion_id is not None else None
        if actions is not None:
            blocks.append(actions)
    hidden = len(digest.worst) - len(shown) + digest.more_oversized
    if hidden:
        blocks.append(context(f"and {hidden} more oversized jobs: `/ai-cost top` lists them"))
    blocks += served_blocks(digest.served, max_rows=5)
    return enforce_limits(blocks)


def enforce_limits(blocks: list[Block]) -> list[Block]:
    """Keep a message within 50 blocks, ending with how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context(f"and {len(blocks) - len(kept)} more blocks not shown")]


def standing_text(digest: Digest) -> str:
    """Label and its change, rank, budget progress, swaps and what they saved (mrkdwn)."""
    lines = []
    if digest.label:
        line = f"*Label {digest.label}* ({fmt.label_change(digest.label_change)})"
        if digest.rank:
            line += f" · rank *{digest.rank}* of {digest.teams_ranked} teams"
        lines.append(line)
    for b in digest.budget:
        icon = ":red_circle:" if b.pct >= 100 else ":large_orange_circle:" if b.pct >= 80 \
            else ":large_green_circle:"
        lines.append(f"{icon} Budget: {fmt.budget(b.metric, b.spent, b.budget)}")
    s = digest.swaps
    if s is not None and (s.approved or s.applied or s.measured):
        line = f":arrows_counterclockwise: Swaps: {s.approved} approved, {s.applied} applied"
        if s.measured:
            line += (f"; applied swaps measurably saved *{fmt.usd(s.saved_usd_week)}*, "
                     f"{fmt.kwh(s.saved_kwh_week)} and {fmt.kg(s.saved_co2e_kg_week)} this "
                     f"week (estimated {fmt.usd(s.estimated_usd_week)})")
        lines.append(line)
    submitted = fmt.submit_time_text(*digest.submit_time)
    if submitted:
        lines.append(":inbox_tray: " + submitted[0].upper() + submitted[1:])
    return "\n".join(lines)


def org_digest_blocks(org: OrgDigest, *, max_teams: int = 40) -> list[Block]:
    """The organisation-wide ranking: one line per team, best label first."""
    f = org.total
    blocks: list[Block] = [
        header(f"AI energy ranking: {len(org.teams)} teams, {org.week}"),
        section(f"*{fmt.kwh(f.energy_kwh)}* · *{fmt.usd(f.cost_usd)}* · *{fmt.kg(f.co2e_kg)}* "
                f"· {f.jobs} jobs, {f.oversized_jobs} oversized"),
        {"type": "divider"},
    ]
    lines = []
    for t in org.teams[:max_teams]:
        budget = "" if t.budget_pct is None else f" · budget {t.budget_pct:.0f}%"
        lines.append(f"*{t.rank or '-'}.* {fmt.escape(t.team)}: label *{t.label or '-'}* "
                     f"({fmt.label_change(t.label_change)}) · {fmt.kwh(t.energy_kwh)} "
                     f"({fmt.change(t.energy_change_pct)}) · {fmt.usd(t.cost_usd)}{budget}")
    # Several lines per section, each section under Slack's 3,000 characters.
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > MAX_SECTION_TEXT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(clip(line, MAX_SECTION_TEXT))
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(org.teams) > max_teams:
        blocks.append(context(f"and {len(org.teams) - max_teams} more teams: "
                              "`ai-cost report` lists them all"))
    idle = fmt.idle_capacity_lines(org.clusters)
    if idle:
        blocks.append(section("*GPUs held by no job*\n" + fmt.escape("\n".join(idle))))
    return enforce_limits(blocks)


def _wh(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f} Wh" if value >= 10 else f"{value:,.3g} Wh"


def stars_text(stars: int | None) -> str:
    """'★★★☆☆ 3/5', or 'not rated'."""
    return "not rated" if stars is None else f"{'★' * stars}{'☆' * (5 - stars)} {stars}/5"


def served_text(row: Mapping[str, Any], escape: Callable[[str], str] = fmt.escape) -> str:
    """One served endpoint's week in words (docs/served.md); names pass through `escape`."""
    models = ", ".join(row.get("models") or []) or row.get("server", "")
    text = (f"{escape(row['service'])} ({escape(models)}; {row['gpus']}× "
            f"{escape(row['gpu_type'])}): {row['requests']:,.0f} requests, "
            f"{_wh(row['wh_per_1k_requests'])} per 1,000 requests")
    if row.get("wh_per_1k_tokens") is not None:
        text += f", {_wh(row['wh_per_1k_tokens'])} per 1,000 generated tokens"
    if row.get("idle_share") is not None:
        text += f", idle {row['idle_share']:.0%} of its energy"
    text += f". {stars_text(row.get('stars'))}"
    if row.get("task"):
        text += f" on {row['task']}" + (f" class {row['size_class']}"
                                         if row.get("size_class") else "")
    if row.get("change_pct") is not None:
        text += f", {row['change_pct']:+.0f}% Wh per 1,000 requests vs last week"
    if row.get("worse_after_deploy"):
        text += f". Worse after a deploy ({escape(row.get('deploy') or '')})"
    swap = row.get("swap")
    if swap:
        text += (f". Since the approved swap: {_wh(swap['before_wh_per_1k_requests'])} -> "
                 f"{_wh(swap['after_wh_per_1k_requests'])} per 1,000 requests "
                 f"({swap['saved_pct']:+.0f}% saved, {swap['saved_kwh_week']:,.2f} kWh this "
                 f"week; estimated {swap['estimated_kwh_week']:,.2f} kWh)")
    if row.get("advice"):
        text += f". {escape(row['advice'])}"
    return text


def served_blocks(rows: Sequence[Mapping[str, Any]], *, max_rows: int = 8) -> list[Block]:
    """The served endpoints of a team's week: one section each, the benchmark note once."""
    if not rows:
        return []
    blocks: list[Block] = [section("*Served models: energy per 1,000 requests, measured*")]
    for row in rows[:max_rows]:
        icon = ":warning: " if row.get("worse_after_deploy") else ""
        blocks.append(section(icon + served_text(row)))
    if len(rows) > max_rows:
        blocks.append(context(f"and {len(rows) - max_rows} more: `ai-cost rate --served`"))
    blocks.append(context("Stars on the AI Energy Score scale of each task; that benchmark "
                          "runs on one reference GPU, production GPUs differ (the GPU type is "
                          "shown)."))
    return blocks
