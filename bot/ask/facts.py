"""The answers `ask` can give, each computed from the store: usage, top jobs, label, budget."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from analyzers.accounting import J_PER_KWH, ZERO, Cost, account
from analyzers.ratings import LABELS
from bot.ask.answer import Answer, Source
from bot.ask.periods import Period, week_period
from bot.ask.subjects import AskError, Context, Subject
from bot.budgets import budget_in_force
from bot.pipeline import rates_lookup
from domain.ledger import JobLine, Ledger
from domain.types import RunWeek
from domain.weeks import iso_week
from reports import format as fmt
from storage.ask_queries import suggestion_rows, usage_days
from storage.ledger_repo import load_ledger

MAX_ROWS = 20
METRICS = ("cost", "energy", "co2e", "gpu_hours")
USAGE_TABLES = ("ledger",)
RATES_NOTE = "rates from the organisation file"


def _ledger(ctx: Context, week: str) -> Ledger | None:
    return load_ledger(session=ctx.session, week=week)


@dataclass(slots=True)
class JobCost:
    """A ledger run with its cost within the asked period."""

    row: RunWeek
    cost: Cost
    line: JobLine


def _matches(line: JobLine, subject: Subject) -> bool:
    run = line.job
    if subject.teams is not None and run.team not in subject.teams:
        return False
    if subject.user is not None and run.user != subject.user:
        return False
    if subject.cluster is not None and subject.cluster.lower() not in run.cluster.lower():
        return False
    if subject.job is not None and subject.job.lower() not in (run.name or "").lower() and \
            subject.job.lower() != run.external_id.lower():
        return False
    return not (subject.model is not None and
                (run.model is None or subject.model.lower() not in run.model.lower()))


def costed(ctx: Context, subject: Subject, period: Period) -> tuple[list[JobCost], list[str]]:
    """The ledger's runs of the subject in the period, each with its cost there.

    A run's cost in a period is the sum of its days there, each priced at its GPU type: over
    a whole week, exactly the run's cost in the ledger. Also the weeks not judged yet, or
    with data that arrived after they were judged.
    """
    rates = rates_lookup(ctx.organisation)
    out: list[JobCost] = []
    missing = []
    used: set[date] | None = None
    for week in period.weeks:
        ledger = _ledger(ctx, week)
        if ledger is None and used is None:  # a week never judged may hold no data at all
            used = usage_days(session=ctx.session, start=period.start, end=period.end)
        if ledger is None and used and any(iso_week(d) == week for d in used) or (
                ledger is not None and ledger.stale):
            missing.append(week)
        if ledger is None:
            continue
        for line in ledger.lines():
            if not _matches(line, subject):
                continue
            parts = [p for p in line.job.parts if period.start <= p.day <= period.end
                     and (subject.gpu_type is None
                          or subject.gpu_type.lower() in p.gpu_type.lower())]
            if not parts:
                continue
            if len(parts) == len(line.job.parts):
                cost = line.cost
            else:
                cost = ZERO
                for part in parts:
                    cost = cost + account(gpu_s=part.gpu_s, energy_j=part.energy_j,
                                          rates=rates(line.job.cluster, part.gpu_type))
            out.append(JobCost(row=line.job, cost=cost, line=line))
    return out, missing


def _not_judged(missing: Sequence[str]) -> str:
    if not missing:
        return ""
    return (f" Not counted yet: data of {', '.join(missing)} (`ai-cost refresh` judges it; "
            "the scheduler does on its own).")


def _figures(cost: Cost) -> dict[str, float]:
    return {"cost_usd": round(cost.cost_usd, 2), "gpu_cost_usd": round(cost.gpu_cost_usd, 2),
            "energy_cost_usd": round(cost.energy_cost_usd, 2),
            "energy_kwh": round(cost.energy_kwh, 3), "co2e_kg": round(cost.co2e_kg, 3),
            "gpu_hours": round(cost.gpu_hours, 2)}


def _headline(metric: str, cost: Cost) -> str:
    return {"cost": fmt.usd(cost.cost_usd), "energy": fmt.kwh(cost.energy_kwh),
            "co2e": fmt.kg(cost.co2e_kg), "gpu_hours": f"{cost.gpu_hours:,.1f} GPU-hours"}[metric]


def _report(team: str | None, week: str | None) -> str:
    """The terminal command showing the same team and week: ai-cost report ..."""
    parts = ["report"]
    if team:
        parts += ["--team", team]
    if week:
        parts += ["--week", week]
    return " ".join(parts)


def usage(ctx: Context, subject: Subject, period: Period, metric: str = "cost") -> Answer:
    """Energy, cost, CO2e and GPU-hours of a subject over a period."""
    if metric not in METRICS:
        raise AskError(f"metric must be one of {', '.join(METRICS)}")
    jobs, missing = costed(ctx, subject, period)
    total = ZERO
    for job in jobs:
        total = total + job.cost
    others = [_headline(m, total) for m in METRICS if m != metric]
    verb = {"cost": "cost", "energy": "used", "co2e": "emitted", "gpu_hours": "used"}[metric]
    words = subject.words[:1].upper() + subject.words[1:]
    text = (f"{words} {verb} *{_headline(metric, total)}* in {period.describe()}: "
            f"{', '.join(others)} over {len(jobs)} run{'s' * (len(jobs) != 1)}.")
    if not jobs and subject.job:
        scope = subject.words.removeprefix(f"job {subject.job}").strip() or "the organisation"
        raise AskError(f"no job {subject.job!r} of {scope} ran in {period.describe()}")
    if not jobs:
        text += " No usage is stored for that period."
    elif total.cost_usd:
        text += (f" GPU time {fmt.usd(total.gpu_cost_usd)} + energy "
                 f"{fmt.usd(total.energy_cost_usd)}.")
    text += _not_judged(missing)
    return Answer(text=text, numbers={**_figures(total), "jobs": len(jobs)},
                  sources=(Source(subject.words, period.describe(), USAGE_TABLES, RATES_NOTE),),
                  command=f"team {subject.team}" if subject.team else None,
                  cli_command=_report(subject.team, period.week))


def top_jobs(ctx: Context, subject: Subject, period: Period, by: str = "cost",
             limit: int = 5) -> Answer:
    """The subject's biggest jobs of the period by cost, energy, CO2e or GPU-hours."""
    if not 1 <= limit <= MAX_ROWS:
        raise AskError(f"ask for 1 to {MAX_ROWS} jobs")
    key = {"cost": lambda j: j.cost.cost_usd, "energy": lambda j: j.cost.energy_j,
           "co2e": lambda j: j.cost.co2e_kg, "gpu_hours": lambda j: j.cost.gpu_hours,
           # the digest's "worst": what the run's best suggestion saves, then its cost
           "waste": lambda j: (j.line.saved_cost_usd_week, j.cost.cost_usd),
           "waste_energy": lambda j: (j.line.saved_energy_j_week, j.cost.energy_j)}
    if by not in key:
        raise AskError(f"rank by one of {', '.join(key)}")
    jobs = sorted(costed(ctx, subject, period)[0], key=key[by], reverse=True)
    shown = jobs[:limit]
    lines = [f"{i}. *{fmt.escape(j.row.name or j.row.external_id)}* "
             f"({fmt.escape(j.row.user or 'unknown owner')}, team {j.row.team}, "
             f"{j.row.gpus}× {j.row.gpu_type}): {_ranked(by, j)}"
             for i, j in enumerate(shown, start=1)]
    what = {"waste": "most wasteful jobs (what the best suggestion saves a week)",
            "waste_energy": "jobs that waste the most energy (what a suggestion saves a week)",
            }.get(by, f"jobs by {by.replace('_', '-')}")
    head = (f"Top {len(shown)} {what} of {subject.words} in "
            f"{period.describe()}" + (":" if shown else ": no usage is stored for that period."))
    rows = tuple({"job_id": j.row.external_id, "name": j.row.name, "user": j.row.user,
                  "team": j.row.team, "gpu_type": j.row.gpu_type, "gpus": j.row.gpus,
                  **_figures(j.cost)} for j in shown)
    numbers: dict[str, float | int | str] = {"jobs": len(jobs), "shown": len(shown)}
    if shown:
        first = shown[0]
        numbers["top_" + by] = round(
            first.line.saved_cost_usd_week if by == "waste" else
            first.line.saved_energy_j_week / J_PER_KWH if by == "waste_energy" else
            float(key[by](first)), 2)  # type: ignore[arg-type]
    return Answer(text="\n".join([head, *lines]), numbers=numbers, rows=rows,
                  sources=(Source(subject.words, period.describe(), USAGE_TABLES, RATES_NOTE),),
                  command=f"top {limit}", cli_command=_report(subject.team, period.week))


def _ranked(by: str, job: JobCost) -> str:
    """A ranked job's figure, then one other (never the same one twice)."""
    if by == "waste":
        best = job.line.best
        if best is None:
            return f"no suggestion, {fmt.usd(job.cost.cost_usd)}"
        return (f"could save {fmt.usd(best.saved_cost_usd_week)} and "
                f"{fmt.kwh(best.saved_energy_kwh_week)} of {fmt.usd(job.cost.cost_usd)}: "
                f"{fmt.escape(best.title)}")
    if by == "waste_energy":
        return (f"could save {fmt.kwh(job.line.saved_energy_j_week / J_PER_KWH)} of "
                f"{fmt.kwh(job.cost.energy_kwh)}"
                + (f": {fmt.escape(job.line.best.title)}" if job.line.best else ""))
    other = "energy" if by == "cost" else "cost"
    return f"{_headline(by, job.cost)}, {_headline(other, job.cost)}"


def label(ctx: Context, team: str, period: Period) -> Answer:
    """A team's weekly label (A to G) and why: which runs weigh on it, and what to change."""
    week = period.week or iso_week(period.end)
    wp = week_period(week)
    ledger = _ledger(ctx, week)
    if ledger is None:
        raise AskError(f"{week} has not been judged yet, so team {team} has no label there")
    team_week = ledger.teams.get(team)
    if team_week is None or not team_week.jobs or team_week.label is None:
        raise AskError(f"team {team} has no usage in {week}, so it has no label")
    lines = team_week.jobs
    total_usd = sum(ln.cost.cost_usd for ln in lines)
    by_label: dict[str, float] = defaultdict(float)
    for ln in lines:
        by_label[ln.label or "A"] += ln.cost.cost_usd
    share = ", ".join(f"{lab} {100 * by_label[lab] / total_usd:.0f}%" for lab in LABELS
                      if by_label.get(lab)) if total_usd else "-"
    weight = sorted(lines, key=lambda ln: ln.cost.cost_usd * LABELS.index(ln.label or "A"),
                    reverse=True)
    out = []
    for ln in weight[:3]:
        if ln.label in (None, "A"):
            break
        fix = f": {ln.best.title}" if ln.best else ""
        out.append(f"• *{ln.job.name or ln.job.external_id}* ({ln.job.user or 'unknown owner'}),"
                   f" label {ln.label}, {fmt.usd(ln.cost.cost_usd)}, "
                   f"{fmt.reasons(ln.verdict.reasons)}{fix}")
    energy = sum(ln.cost.energy_kwh for ln in lines)
    text = (f"Team {team} is *{team_week.label}* for {week}: {len(lines)} runs cost "
            f"{fmt.usd(total_usd)} and used {fmt.kwh(energy)} (cost by run label: {share}). "
            f"The label is the cost-weighted mean of its runs' labels; a run's label is the "
            f"larger of its energy and GPU-hour ratios to its right-sized version.")
    if out:
        text += "\nWhat weighs on it:\n" + "\n".join(out)
    return Answer(text=text,
                  numbers={"label": team_week.label, "score": round(team_week.score or 0.0, 2),
                           "energy_kwh": round(energy, 3), "cost_usd": round(total_usd, 2),
                           "jobs": len(lines)},
                  sources=(Source(f"team {team}", wp.describe(),
                                  ("ledger",), "labels per docs/ratings.md"),),
                  command="rating", cli_command=_report(team, week))


def suggestions(ctx: Context, subject: Subject, period: Period, *,
                states: Sequence[str] | None = ("open",), kinds: Sequence[str] | None = None,
                limit: int = 5) -> Answer:
    """Stored suggestions of the subject's jobs in the period's weeks, most $ saved first."""
    if not 1 <= limit <= MAX_ROWS:
        raise AskError(f"ask for 1 to {MAX_ROWS} suggestions")
    rows = suggestion_rows(session=ctx.session, weeks=period.weeks, teams=subject.teams,
                           users=[subject.user] if subject.user else None, states=states,
                           kinds=kinds, limit=MAX_ROWS)
    if subject.model:
        rows = [r for r in rows if r.model and subject.model.lower() in r.model.lower()]
    shown = rows[:limit]
    what = "model swaps" if kinds == ("model_swap",) else "suggestions"
    state_words = "/".join(states) if states else "any state"
    if not shown:
        text = (f"No {state_words} {what} for {subject.words} in {period.describe()}: "
                f"their jobs look right-sized, or the week has not been judged yet.")
    else:
        text = f"{len(rows)} {state_words} {what} for {subject.words} in {period.describe()}:"
        for r in shown:
            text += (f"\n• *{r.job_name or r.job_external_id}* ({r.user or 'unknown owner'}, "
                     f"{r.week}): {r.title}. Saves about {fmt.usd(r.saved_cost_usd_week)} and "
                     f"{fmt.kwh(r.saved_energy_j_week / J_PER_KWH)} a week ({r.state})")
    saved = sum(r.saved_cost_usd_week for r in rows)
    first = shown[0] if shown else None
    return Answer(text=text,
                  numbers={"suggestions": len(rows), "saved_usd_week": round(saved, 2),
                           "saved_kwh_week": round(sum(r.saved_energy_j_week for r in rows)
                                                   / J_PER_KWH, 3)},
                  rows=tuple({"id": r.id, "job_id": r.job_external_id, "name": r.job_name,
                              "kind": r.kind, "title": r.title, "state": r.state,
                              "saved_usd_week": round(r.saved_cost_usd_week, 2)}
                             for r in shown),
                  sources=(Source(subject.words, period.describe(), ("suggestion", "job")),),
                  command=f"job {first.job_external_id}" if first else None,
                  cli_command=f"suggest --job {first.job_external_id} --week {first.week}"
                  if first else None)


def budget(ctx: Context, team: str, period: Period) -> Answer:
    """A team's weekly budget against what it used in the period's last week."""
    week = period.week or iso_week(period.end)
    wp = week_period(week)
    rule = budget_in_force(session=ctx.session, organisation=ctx.organisation, team=team)
    kwh_limit, usd_limit = rule.kwh, rule.usd
    if kwh_limit is None and usd_limit is None:
        return Answer(text=f"Team {team} has no weekly budget in the organisation file.",
                      sources=(Source(f"team {team}", wp.describe(), ("team",)),))
    subject = Subject(teams=(team,), words=f"team {team}")
    total = ZERO
    for job in costed(ctx, subject, wp)[0]:
        total = total + job.cost
    parts: list[str] = []
    numbers: dict[str, float | int | str] = {}
    if kwh_limit:
        parts.append(fmt.budget("kwh", total.energy_kwh, kwh_limit))
        numbers.update(budget_kwh=kwh_limit, energy_kwh=round(total.energy_kwh, 3))
    if usd_limit:
        parts.append(fmt.budget("usd", total.cost_usd, usd_limit))
        numbers.update(budget_usd=usd_limit, cost_usd=round(total.cost_usd, 2))
    over = (kwh_limit and total.energy_kwh > kwh_limit) or (usd_limit and
                                                             total.cost_usd > usd_limit)
    text = (f"Team {team} used {' and '.join(parts)} of its weekly budget in {week}: "
            f"{'over budget' if over else 'within budget'}.")
    return Answer(text=text, numbers=numbers,
                  sources=(Source(f"team {team}", wp.describe(), (*USAGE_TABLES, "team"),
                                  RATES_NOTE),),
                  command="budget", cli_command=_report(team, week))
