"""The answers `ask` can give, each computed from the store: usage, top jobs, label, budget."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analyzers.accounting import J_PER_KWH, ZERO, Cost, Rates, account, rates_for
from analyzers.jobs import to_record
from analyzers.judges import default_judge_name, get_judge
from analyzers.ratings import (
    LABELS,
    judge_waste,
    right_sized_energy_kwh,
    team_label,
    team_score,
)
from analyzers.records import Verdict
from analyzers.suggestions import default_rates
from bot.ask.answer import Answer, Source
from bot.ask.periods import Period, week_period
from bot.ask.subjects import AskError, Context, Subject
from config.organisation import Organisation, OrganisationError
from reports import format as fmt
from storage.ask_queries import (
    UsageRow,
    stored_verdicts,
    suggestion_rows,
    team_budget,
    usage_rows,
)
from storage.queries import iso_week, job_weeks

MAX_ROWS = 20
METRICS = ("cost", "energy", "co2e", "gpu_hours")
USAGE_TABLES = ("usage", "job", "gpu", "cluster")
RATES_NOTE = "rates from the organisation file"


def rates_of(organisation: Organisation) -> Callable[[str, str], Rates]:
    """Rates per (cluster, GPU type); a cluster missing from the file gets the defaults."""
    cache: dict[tuple[str, str], Rates] = {}

    def rates(cluster: str, gpu_type: str) -> Rates:
        if (cluster, gpu_type) not in cache:
            try:
                found = rates_for(organisation, organisation.cluster(cluster), gpu_type)
            except OrganisationError:
                found = default_rates(organisation, gpu_type)
            cache[(cluster, gpu_type)] = found
        return cache[(cluster, gpu_type)]

    return rates


def _rows(ctx: Context, subject: Subject, period: Period) -> list[UsageRow]:
    return usage_rows(session=ctx.session, start=period.start, end=period.end,
                      teams=subject.teams, users=[subject.user] if subject.user else None,
                      model=subject.model, gpu_type=subject.gpu_type)


@dataclass(slots=True)
class JobCost:
    row: UsageRow
    cost: Cost


def _costed(ctx: Context, rows: Sequence[UsageRow]) -> list[JobCost]:
    rates = rates_of(ctx.organisation)
    per_job: dict[int, JobCost] = {}
    for row in rows:
        cost = account(gpu_s=row.gpu_s, energy_j=row.energy_j,
                       rates=rates(row.cluster, row.gpu_type))
        if row.job_id in per_job:
            per_job[row.job_id].cost = per_job[row.job_id].cost + cost
        else:
            per_job[row.job_id] = JobCost(row=row, cost=cost)
    return list(per_job.values())


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
    jobs = _costed(ctx, _rows(ctx, subject, period))
    total = ZERO
    for job in jobs:
        total = total + job.cost
    others = [_headline(m, total) for m in METRICS if m != metric]
    verb = {"cost": "cost", "energy": "used", "co2e": "emitted", "gpu_hours": "used"}[metric]
    words = subject.words[:1].upper() + subject.words[1:]
    text = (f"{words} {verb} *{_headline(metric, total)}* in {period.describe()}: "
            f"{', '.join(others)} over {len(jobs)} job{'s' * (len(jobs) != 1)}.")
    if not jobs:
        text += " No usage is stored for that period."
    elif total.cost_usd:
        text += (f" GPU time {fmt.usd(total.gpu_cost_usd)} + energy "
                 f"{fmt.usd(total.energy_cost_usd)}.")
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
           "co2e": lambda j: j.cost.co2e_kg, "gpu_hours": lambda j: j.cost.gpu_hours}
    if by not in key:
        raise AskError(f"rank by one of {', '.join(key)}")
    jobs = sorted(_costed(ctx, _rows(ctx, subject, period)), key=key[by], reverse=True)
    shown = jobs[:limit]
    lines = [f"{i}. *{j.row.name or j.row.external_id}* ({j.row.user or 'unknown owner'}, "
             f"team {j.row.team}, {j.row.gpus}× {j.row.gpu_type}): "
             f"{_headline(by, j.cost)}, {fmt.kwh(j.cost.energy_kwh)}"
             for i, j in enumerate(shown, start=1)]
    head = (f"Top {len(shown)} jobs of {subject.words} by {by.replace('_', '-')} in "
            f"{period.describe()}" + (":" if shown else ": no usage is stored for that period."))
    rows = tuple({"job_id": j.row.external_id, "name": j.row.name, "user": j.row.user,
                  "team": j.row.team, "gpu_type": j.row.gpu_type, "gpus": j.row.gpus,
                  **_figures(j.cost)} for j in shown)
    numbers: dict[str, float | int | str] = {"jobs": len(jobs), "shown": len(shown)}
    if shown:
        numbers["top_" + by] = round(key[by](shown[0]), 2)
    return Answer(text="\n".join([head, *lines]), numbers=numbers, rows=rows,
                  sources=(Source(subject.words, period.describe(), USAGE_TABLES, RATES_NOTE),),
                  command=f"top {limit}", cli_command=_report(subject.team, period.week))


def label(ctx: Context, team: str, period: Period) -> Answer:
    """A team's weekly label (A to G) and why: which jobs weigh on it, and what to change."""
    week = period.week or iso_week(period.end)
    wp = week_period(week)
    jobs = job_weeks(session=ctx.session, week=week, teams=[team])
    if not jobs:
        raise AskError(f"team {team} has no usage stored in {week}, so it has no label")
    stored = stored_verdicts(session=ctx.session, job_ids=[j.job_id for j in jobs], week=week)
    records = [to_record(j) for j in jobs]
    judge = get_judge(default_judge_name())  # the judge the weekly pipeline uses
    fresh = iter(judge([r for j, r in zip(jobs, records, strict=True)
                        if j.job_id not in stored], ctx.organisation.policy))
    rates = rates_of(ctx.organisation)
    scored = []
    for job, record in zip(jobs, records, strict=True):
        v = stored.get(job.job_id)
        verdict = (Verdict(job_id=record.job_id, task=v.task, oversized=v.oversized,
                           score=v.score, reasons=list(v.reasons)) if v else next(fresh))
        found, lab = judge_waste(record, verdict, rates=rates(job.cluster, job.gpu_type),
                                 policy=ctx.organisation.policy, recurrence=job.recurrence,
                                 gpu_price_usd_per_hour=ctx.organisation.gpu_price_usd_per_hour)
        energy = record.energy_kwh_or_estimate()
        scored.append((job, verdict, found, energy,
                       right_sized_energy_kwh(record, verdict, found), lab))
    pairs = [(energy, lab) for *_, energy, _, lab in scored]
    result, score = team_label(pairs), team_score(pairs)
    if result is None:
        raise AskError(f"team {team} used no energy in {week}, so it has no label")
    total = sum(e for e, _ in pairs)
    by_label: dict[str, float] = defaultdict(float)
    for energy, lab in pairs:
        by_label[lab] += energy
    share = ", ".join(f"{lab} {100 * by_label[lab] / total:.0f}%" for lab in LABELS
                      if by_label.get(lab))
    right_total = sum(right for *_, right, _ in scored)
    weight = sorted(scored, key=lambda s: s[3] * LABELS.index(s[5]), reverse=True)
    lines = []
    for job, verdict, found, energy, _right, lab in weight[:3]:
        if lab == "A":
            break
        fix = f": {found[0].title}" if found else ""
        lines.append(f"• *{job.name or job.external_id}* ({job.user or 'unknown owner'}), "
                     f"label {lab}, {fmt.kwh(energy)}, {fmt.reasons(verdict.reasons)}{fix}")
    text = (f"Team {team} is *{result}* for {week}: its jobs used {fmt.kwh(total)} where "
            f"right-sized versions would use about {fmt.kwh(right_total)} (energy by job "
            f"label: {share}). The label is the energy-weighted mean of its jobs' labels, "
            f"so the biggest wasteful jobs weigh most.")
    if lines:
        text += "\nWhat weighs on it:\n" + "\n".join(lines)
    return Answer(text=text,
                  numbers={"label": result, "score": round(score or 0.0, 2),
                           "energy_kwh": round(total, 3),
                           "right_sized_kwh": round(right_total, 3), "jobs": len(scored)},
                  sources=(Source(f"team {team}", wp.describe(),
                                  ("usage", "job", "verdict"), "labels per docs/ratings.md"),),
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
    limits = team_budget(session=ctx.session, team=team)
    config = ctx.organisation.team(team)
    kwh_limit = config.weekly_budget.kwh if config and config.weekly_budget else None
    usd_limit = config.weekly_budget.usd if config and config.weekly_budget else None
    if limits is not None:
        kwh_limit, usd_limit = kwh_limit or limits[0], usd_limit or limits[1]
    if kwh_limit is None and usd_limit is None:
        return Answer(text=f"Team {team} has no weekly budget in the organisation file.",
                      sources=(Source(f"team {team}", wp.describe(), ("team",)),))
    subject = Subject(teams=(team,), words=f"team {team}")
    total = ZERO
    for job in _costed(ctx, _rows(ctx, subject, wp)):
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
