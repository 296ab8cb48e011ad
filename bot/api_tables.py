"""The read API's tables: each resource's columns (name, type, meaning) and rows from the ledger.

One definition serves the JSON rows, the CSV columns, the OpenAPI document and
`ai-cost report --csv`. Amounts are in the organisation's currency (the `currency` field of a
JSON answer, a `currency` column of a CSV one); energy in kWh, emissions in kg CO2e.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.budgets import budget_in_force
from config.organisation import Organisation
from domain.ledger import JobLine, Ledger, TeamWeek
from domain.types import J_PER_KWH
from storage.api_queries import WeekHead

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Column:
    """One field of a resource: its name, JSON type, whether it may be null, and its meaning."""

    name: str
    type: str  # string, integer, number, boolean
    doc: str
    nullable: bool = False

    def schema(self) -> dict[str, Any]:
        kind: Any = [self.type, "null"] if self.nullable else self.type
        return {"type": kind, "description": self.doc}


def _c(name: str, kind: str, doc: str, nullable: bool = False) -> Column:
    return Column(name, kind, doc, nullable)


MONEY = "in the organisation's currency"
TEAMS = [
    _c("week", "string", "ISO week, YYYY-Www (UTC)."), _c("team", "string", "The team."),
    _c("label", "string", "Efficiency label A (best) to G.", True),
    _c("rank", "integer", "Rank among the teams ranked (1: best).", True),
    _c("teams_ranked", "integer", "Teams ranked that week."),
    _c("runs", "integer", "Runs judged."),
    _c("oversized_runs", "integer", "Runs judged oversized."),
    _c("gpu_hours", "number", "GPU-hours."), _c("energy_kwh", "number", "Energy, PUE included."),
    _c("co2e_kg", "number", "Emissions, kg CO2e."),
    _c("gpu_cost", "number", f"Cost of the GPU time, {MONEY}."),
    _c("energy_cost", "number", f"Cost of the energy, {MONEY}."),
    _c("cost", "number", f"Total cost (chargeback), {MONEY}."),
    _c("oversized_cost", "number", f"Cost of the runs judged oversized, {MONEY}."),
    _c("open_savings", "number", f"Weekly savings of the open suggestions, {MONEY}."),
    _c("budget", "number", f"Weekly budget in force, {MONEY}.", True),
    _c("budget_kwh", "number", "Weekly energy budget in force.", True),
]
RUNS = [
    _c("week", "string", "ISO week."), _c("team", "string", "The team."),
    _c("cluster", "string", "The cluster."), _c("user", "string", "Who ran it.", True),
    _c("job", "string", "The scheduler's job id."), _c("name", "string", "The job's name."),
    _c("gpu_type", "string", "GPU model."), _c("gpus", "integer", "GPUs held."),
    _c("gpu_hours", "number", "GPU-hours."), _c("energy_kwh", "number", "Energy, PUE included."),
    _c("co2e_kg", "number", "Emissions, kg CO2e."), _c("cost", "number", f"Cost, {MONEY}."),
    _c("util_mean_pct", "number", "Mean GPU utilisation, %."),
    _c("label", "string", "Efficiency label A to G.", True),
    _c("oversized", "boolean", "Judged oversized."),
    _c("waste", "string", "healthy, idle, overprovisioned or oversized_model."),
    _c("open_savings", "number", f"Weekly saving of its best open suggestion, {MONEY}."),
]
SUGGESTIONS = [
    _c("id", "integer", "Suggestion id (as in Slack)."), _c("week", "string", "ISO week."),
    _c("team", "string", "The team."), _c("cluster", "string", "The cluster."),
    _c("job", "string", "The scheduler's job id."), _c("kind", "string", "What it changes."),
    _c("title", "string", "In words."), _c("state", "string", "open, approved, applied, ..."),
    _c("saved_cost_week", "number", f"Estimated weekly saving, {MONEY}."),
    _c("saved_energy_kwh_week", "number", "Estimated weekly energy saving."),
    _c("saved_co2e_kg_week", "number", "Estimated weekly emissions saving, kg CO2e."),
    _c("confidence", "number", "0 to 1."),
]
IDLE = [
    _c("week", "string", "ISO week."), _c("cluster", "string", "The cluster."),
    _c("gpu_hours", "number", "GPU-hours of the cluster's GPUs seen."),
    _c("unheld_idle_gpu_hours", "number", "GPU-hours held by no run (idle capacity)."),
    _c("idle_share", "number", "Unheld idle GPU-hours over all, 0 to 1."),
    _c("unheld_idle_cost", "number", f"Cost of the unheld GPU time, {MONEY}."),
    _c("held_idle_gpu_hours", "number", "GPU-hours held by runs judged idle."),
    _c("last_sample_ts", "integer", "Newest sample counted, Unix seconds.", True),
]
WEEKS = [
    _c("week", "string", "ISO week."), _c("judge", "string", "rules or a model."),
    _c("refreshed_at", "number", "When it was judged, Unix seconds."),
    _c("hours", "number", "Hours of the week covered (168 once over)."),
    _c("complete", "boolean", "The week is over."),
    _c("stale", "boolean", "Data arrived after it was judged."),
    _c("runs", "integer", "Runs judged."), _c("gpu_hours", "number", "GPU-hours."),
    _c("energy_kwh", "number", "Energy, PUE included."),
    _c("co2e_kg", "number", "Emissions, kg CO2e."), _c("cost", "number", f"Cost, {MONEY}."),
]
SERVED = [
    _c("week", "string", "ISO week."), _c("team", "string", "The team."),
    _c("cluster", "string", "The cluster."),
    _c("service", "string", "The inference service (its workload's name)."),
    _c("server", "string", "vllm, tgi, triton or a custom server."),
    _c("models", "string", "The models it served, ';'-separated."),
    _c("task", "string", "AI Energy Score task of its stars.", True),
    _c("gpu_type", "string", "GPU type."), _c("gpus", "integer", "GPUs it held."),
    _c("requests", "number", "Requests completed in the week."),
    _c("generated_tokens", "number", "Tokens generated (generative servers).", True),
    _c("energy_kwh", "number", "GPU energy of its runs over the week."),
    _c("wh_per_1k_requests", "number", "Energy per 1,000 requests, Wh.", True),
    _c("wh_per_1k_tokens", "number", "Energy per 1,000 generated tokens, Wh.", True),
    _c("idle_share", "number", "Share of its energy spent while no request completed.", True),
    _c("stars", "integer", "1-5 on the AI Energy Score scale of its task.", True),
    _c("change_pct", "number", "Wh per 1,000 requests against the week before, %.", True),
    _c("worse_after_deploy", "boolean", "10 % worse or more after a deploy."),
]
TABLES: dict[str, list[Column]] = {"teams": TEAMS, "runs": RUNS, "suggestions": SUGGESTIONS,
                                   "idle": IDLE, "weeks": WEEKS, "served": SERVED}


def served_rows(served: Iterable[Row]) -> list[Row]:
    """Served endpoints as the ledger keeps them (docs/served.md), one row each."""
    rows = []
    for d in served:
        row = {c.name: d.get(c.name) for c in SERVED}
        row["models"] = ";".join(d.get("models") or [])
        row["energy_kwh"] = _r(d["energy_j"] / J_PER_KWH, 6)
        row["worse_after_deploy"] = bool(d.get("worse_after_deploy"))
        rows.append(row)
    return rows


def _r(value: float, digits: int = 4) -> float:
    return round(value, digits)


def _open_saving(line: JobLine) -> float:
    return max((s.saved_cost_usd_week for s in line.suggestions if s.state == "open"),
               default=0.0)


def team_rows(ledger: Ledger, *, session: Session, organisation: Organisation,
              teams: Iterable[str]) -> list[Row]:
    """One row per team of `teams` in the ledger: the chargeback table."""
    rows = []
    for name in teams:
        team: TeamWeek = ledger.teams[name]
        cost = team.cost
        budget = budget_in_force(session=session, organisation=organisation, team=name)
        rows.append({
            "week": ledger.week, "team": name, "label": team.label, "rank": team.rank,
            "teams_ranked": team.teams_ranked, "runs": len(team.jobs),
            "oversized_runs": len(team.oversized), "gpu_hours": _r(cost.gpu_hours),
            "energy_kwh": _r(cost.energy_kwh), "co2e_kg": _r(cost.co2e_kg),
            "gpu_cost": _r(cost.gpu_cost_usd), "energy_cost": _r(cost.energy_cost_usd),
            "cost": _r(cost.cost_usd),
            "oversized_cost": _r(sum(j.cost.cost_usd for j in team.oversized)),
            "open_savings": _r(sum(_open_saving(j) for j in team.jobs)),
            "budget": budget.usd, "budget_kwh": budget.kwh})
    return rows


def run_rows(ledger: Ledger, lines: Iterable[JobLine]) -> list[Row]:
    """One row per run."""
    return [{
        "week": ledger.week, "team": j.job.team, "cluster": j.job.cluster, "user": j.job.user,
        "job": j.job.external_id, "name": j.job.name, "gpu_type": j.job.gpu_type,
        "gpus": j.job.gpus, "gpu_hours": _r(j.cost.gpu_hours), "energy_kwh": _r(j.cost.energy_kwh),
        "co2e_kg": _r(j.cost.co2e_kg), "cost": _r(j.cost.cost_usd),
        "util_mean_pct": _r(j.job.util_mean, 2), "label": j.label,
        "oversized": j.verdict.oversized, "waste": j.waste_kind,
        "open_savings": _r(_open_saving(j))} for j in lines]


def suggestion_rows(ledger: Ledger, lines: Iterable[JobLine],
                    keep: Callable[[str], bool]) -> list[Row]:
    """One row per suggestion of `lines` whose state `keep` accepts."""
    return [{
        "id": s.id or 0, "week": ledger.week, "team": j.job.team, "cluster": j.job.cluster,
        "job": j.job.external_id, "kind": s.kind, "title": s.title, "state": s.state,
        "saved_cost_week": _r(s.saved_cost_usd_week),
        "saved_energy_kwh_week": _r(s.saved_energy_j_week / J_PER_KWH),
        "saved_co2e_kg_week": _r(s.saved_co2e_kg_week), "confidence": _r(s.confidence, 2)}
        for j in lines for s in j.suggestions if keep(s.state)]


def idle_rows(ledger: Ledger, clusters: Sequence[str]) -> list[Row]:
    """One row per cluster: idle capacity held by no run, and GPU time held by idle runs."""
    held: dict[str, float] = {}
    for line in ledger.lines():
        if line.waste_kind == "idle":
            held[line.job.cluster] = held.get(line.job.cluster, 0.0) + line.cost.gpu_hours
    return [{
        "week": ledger.week, "cluster": c.cluster, "gpu_hours": _r(c.gpu_hours),
        "unheld_idle_gpu_hours": _r(c.idle_gpu_hours), "idle_share": _r(c.idle_share),
        "unheld_idle_cost": _r(c.idle_cost_usd), "held_idle_gpu_hours": _r(held.get(c.cluster, 0)),
        "last_sample_ts": c.last_sample_ts}
        for name, c in ledger.clusters.items() if name in clusters]


def week_rows(heads: Iterable[WeekHead]) -> list[Row]:
    """One row per judged week."""
    return [{
        "week": h.week, "judge": h.judge, "refreshed_at": h.refreshed_at, "hours": h.hours,
        "complete": h.hours >= 168.0, "stale": h.stale, "runs": h.runs,
        "gpu_hours": _r(h.gpu_hours), "energy_kwh": _r(h.energy_j / J_PER_KWH),
        "co2e_kg": _r(h.co2e_kg), "cost": _r(h.cost_usd)} for h in heads]


def to_csv(table: str, rows: Iterable[Row], currency: str) -> str:
    """The rows as CSV with a header; a `currency` column last."""
    out = io.StringIO()
    names = [c.name for c in TABLES[table]]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*names, "currency"])
    for row in rows:
        writer.writerow([_cell(row[n]) for n in names] + [currency])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet must not run a name as a formula
    return value
