"""Answers across the ledger: breakdowns, comparisons, savings, idle capacity, flagged jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from analyzers.accounting import J_PER_KWH, ZERO, Cost
from bot.ask import facts
from bot.ask.answer import Answer, Source
from bot.ask.facts import MAX_ROWS, METRICS, RATES_NOTE, USAGE_TABLES, JobCost, costed
from bot.ask.periods import Period, week_period
from bot.ask.subjects import AskError, Context, Subject
from domain.ledger import JobLine
from domain.weeks import iso_week
from reports import format as fmt
from storage.ledger_repo import load_ledger

GROUPS: dict[str, tuple[str, Callable[[JobCost], str]]] = {
    "team": ("team", lambda j: j.row.team),
    "cluster": ("cluster", lambda j: j.row.cluster),
    "gpu_type": ("GPU type", lambda j: j.row.gpu_type),
    "user": ("user", lambda j: j.row.user or "unknown owner"),
    "model": ("model", lambda j: j.row.model or "no model"),
}


def headline(metric: str, cost: Cost) -> str:
    """One figure of a cost in its unit."""
    return {"cost": fmt.usd(cost.cost_usd), "energy": fmt.kwh(cost.energy_kwh),
            "co2e": fmt.kg(cost.co2e_kg), "gpu_hours": f"{cost.gpu_hours:,.1f} GPU-hours"}[metric]


def amount(metric: str, cost: Cost) -> float:
    """One figure of a cost as a number: $, kWh, kg CO2e or GPU-hours."""
    return {"cost": cost.cost_usd, "energy": cost.energy_kwh, "co2e": cost.co2e_kg,
            "gpu_hours": cost.gpu_hours}[metric]


def figure(metric: str, value: float) -> str:
    """A number in a metric's unit: $1,234, 56.7 kWh, 8.9 kg, 12.0 GPU-hours."""
    return {"cost": fmt.usd, "energy": fmt.kwh, "co2e": fmt.kg,
            "gpu_hours": lambda v: f"{v:,.1f} GPU-hours"}[metric](value)


def _total(jobs: Sequence[JobCost]) -> Cost:
    total = ZERO
    for job in jobs:
        total = total + job.cost
    return total


def _source(subject: Subject, period: Period) -> Source:
    return Source(subject.words, period.describe(), USAGE_TABLES, RATES_NOTE)


def breakdown(ctx: Context, subject: Subject, period: Period, *, by: str,
              metric: str = "cost", limit: int = MAX_ROWS, ascending: bool = False) -> Answer:
    """The subject's totals per team, cluster, GPU type, user or model, largest first."""
    if by not in GROUPS or metric not in METRICS:
        raise AskError(f"group by one of {', '.join(GROUPS)}; measure one of "
                       f"{', '.join(METRICS)}")
    word, key = GROUPS[by]
    groups: dict[str, list[JobCost]] = {}
    for job in costed(ctx, subject, period)[0]:
        groups.setdefault(key(job), []).append(job)
    totals = sorted(((name, _total(jobs), len(jobs)) for name, jobs in groups.items()),
                    key=lambda g: amount(metric, g[1]), reverse=not ascending)
    whole = _total([j for jobs in groups.values() for j in jobs])
    if not totals:
        text = (f"{subject.words[:1].upper()}{subject.words[1:]}: no usage is stored for "
                f"{period.describe()}.")
    else:
        first = totals[0]
        text = (f"{word[:1].upper()}{word[1:]}s of {subject.words} by "
                f"{metric.replace('_', '-')}{', lowest first' if ascending else ''} in "
                f"{period.describe()} (total "
                f"{headline(metric, whole)}): *{fmt.escape(first[0])}* first with "
                f"{headline(metric, first[1])}.")
        for i, (name, cost, runs) in enumerate(totals[:limit], start=1):
            other = "energy" if metric == "cost" else "cost"
            text += (f"\n{i}. *{fmt.escape(name)}*: {headline(metric, cost)}, "
                     f"{headline(other, cost)}, {runs} run{'s' * (runs != 1)}")
    rows = tuple({by: name, "runs": runs, "cost_usd": round(c.cost_usd, 2),
                  "energy_kwh": round(c.energy_kwh, 3), "co2e_kg": round(c.co2e_kg, 3),
                  "gpu_hours": round(c.gpu_hours, 2)} for name, c, runs in totals[:limit])
    numbers: dict[str, float | int | str] = {"groups": len(totals),
                                             "total_" + metric: round(amount(metric, whole), 3)}
    if totals:
        numbers.update(first=totals[0][0], first_value=round(amount(metric, totals[0][1]), 3))
    return Answer(text=text, numbers=numbers, rows=rows, sources=(_source(subject, period),),
                  command="top 5" if by == "team" else None,
                  cli_command="report" + (f" --week {period.week}" if period.week else ""))


def compare(ctx: Context, sides: Sequence[tuple[Subject, Period]], *,
            metric: str = "cost") -> Answer:
    """Two or more subjects or periods side by side: which is more, and by how much."""
    if len(sides) < 2:
        raise AskError("name two teams or two periods to compare")
    figures = []
    for subject, period in sides:
        jobs, _ = costed(ctx, subject, period)
        figures.append((subject, period, _total(jobs), len(jobs)))
    same_subject = len({s.words for s, _, _, _ in figures}) == 1

    def name(subject: Subject, period: Period) -> str:
        return period.describe() if same_subject else subject.words

    other = "energy" if metric == "cost" else "cost"
    parts = [f"{name(s, p)}: *{headline(metric, c)}* ({headline(other, c)}, "
             f"{runs} run{'s' * (runs != 1)})" if runs else
             f"{name(s, p)}: no usage stored" for s, p, c, runs in figures]
    ranked = sorted(figures, key=lambda f: amount(metric, f[2]), reverse=True)
    top, low = ranked[0], ranked[-1]
    a, b = amount(metric, top[2]), amount(metric, low[2])
    pct = f" ({100 * (a - b) / b:,.0f}% more)" if b > 0 else ""
    if same_subject:  # one subject over periods: the change from the older to the newer
        old, new = sorted(figures[:2], key=lambda f: f[1].start)
        x, y = amount(metric, old[2]), amount(metric, new[2])
        change = f" ({100 * (y - x) / x:+,.0f}%)" if x > 0 else ""
        verdict = (f"{'Up' if y > x else 'Down' if y < x else 'No change'}"
                   f"{' by ' + figure(metric, abs(y - x)) if y != x else ''}{change} from "
                   f"{old[1].describe()} to {new[1].describe()}.")
    elif a == b:
        verdict = "They are the same."
    else:
        higher = name(top[0], top[1])
        verdict = f"*{higher[:1].upper()}{higher[1:]}* is higher by {figure(metric, a - b)}{pct}."
    scope = figures[0][0].words if same_subject else figures[0][1].describe()
    text = (f"{metric.replace('_', '-').capitalize()} compared ({scope}):\n"
            + "\n".join(f"• {p}" for p in parts) + f"\n{verdict}")
    numbers: dict[str, float | int | str] = {"higher": name(top[0], top[1]),
                                             "difference": round(a - b, 3)}
    rows = tuple({"subject": s.words, "period": p.describe(), "cost_usd": round(c.cost_usd, 2),
                  "energy_kwh": round(c.energy_kwh, 3), "co2e_kg": round(c.co2e_kg, 3),
                  "gpu_hours": round(c.gpu_hours, 2), "runs": runs}
                 for s, p, c, runs in figures)
    return Answer(text=text, numbers=numbers, rows=rows,
                  sources=tuple(_source(s, p) for s, p, _, _ in figures),
                  command=None, cli_command="report")


def _lines(ctx: Context, subject: Subject, period: Period) -> list[JobLine]:
    return [j.line for j in costed(ctx, subject, period)[0]]


def savings(ctx: Context, subject: Subject, period: Period) -> Answer:
    """What the subject could save: each run's best suggestion (the digest's figure), summed."""
    lines = [ln for ln in _lines(ctx, subject, period) if ln.best is not None]
    usd = sum(ln.saved_cost_usd_week for ln in lines)
    kwh = sum(ln.saved_energy_j_week for ln in lines) / J_PER_KWH
    co2 = sum(ln.best.saved_co2e_kg_week for ln in lines if ln.best is not None)
    lines.sort(key=lambda ln: ln.saved_cost_usd_week, reverse=True)
    text = (f"{subject.words[:1].upper()}{subject.words[1:]} could save *{fmt.usd(usd)}*, "
            f"{fmt.kwh(kwh)} and {fmt.kg(co2)} in {period.describe()} by taking the best "
            f"suggestion of each of {len(lines)} run{'s' * (len(lines) != 1)}.")
    if not lines:
        text += " No run has a suggestion there: the jobs look right-sized."
    for ln in lines[:3]:
        assert ln.best is not None
        text += (f"\n• *{fmt.escape(ln.job.name or ln.job.external_id)}* "
                 f"({fmt.escape(ln.job.user or 'unknown owner')}, team {ln.job.team}): "
                 f"{fmt.escape(ln.best.title)}, saves {fmt.usd(ln.saved_cost_usd_week)}")
    return Answer(text=text, numbers={"saved_usd": round(usd, 2), "saved_kwh": round(kwh, 3),
                                      "saved_co2e_kg": round(co2, 3), "runs": len(lines)},
                  sources=(Source(subject.words, period.describe(), ("ledger",),
                                  "best suggestion per run, as the digest"),),
                  command="top 5", cli_command="report" + (
                      f" --team {subject.team}" if subject.team else ""))


def realized(ctx: Context, subject: Subject, period: Period) -> Answer:
    """What applied swaps measurably saved (the ledger's realized savings)."""
    found = []
    for week in period.weeks:
        ledger = load_ledger(session=ctx.session, week=week)
        if ledger is None:
            continue
        for team, items in ledger.realized.items():
            if subject.teams is None or team in subject.teams:
                found.extend(items)
    usd = sum(r.saved_cost_usd_week for r in found)
    kwh = sum(r.saved_energy_j_week for r in found) / J_PER_KWH
    est = sum(r.estimated_cost_usd_week for r in found)
    text = (f"Applied suggestions of {subject.words} saved *{fmt.usd(usd)}* and "
            f"{fmt.kwh(kwh)} in {period.describe()}, measured on {len(found)} "
            f"workload-week{'s' * (len(found) != 1)} (estimated {fmt.usd(est)}).")
    if not found:
        text += (" Nothing applied is followed there yet: an approved swap counts once its "
                 "team's action applied it, from the week after.")
    for r in sorted(found, key=lambda r: r.saved_cost_usd_week, reverse=True)[:3]:
        seen = "" if r.seen else ", not seen that week"
        text += (f"\n• *{fmt.escape(r.workload)}* (team {r.team}, {r.week}): "
                 f"{fmt.escape(r.title)}, saved {fmt.usd(r.saved_cost_usd_week)}{seen}")
    return Answer(text=text, numbers={"realized_usd": round(usd, 2),
                                      "realized_kwh": round(kwh, 3),
                                      "estimated_usd": round(est, 2), "workloads": len(found)},
                  sources=(Source(subject.words, period.describe(), ("ledger",),
                                  "realized savings per docs/ratings.md"),),
                  command="team " + subject.team if subject.team else None,
                  cli_command="report" + (f" --team {subject.team}" if subject.team else ""))


def idle(ctx: Context, period: Period, *, cluster: str | None = None) -> Answer:
    """Idle capacity per cluster: GPU-hours no run held, and their cost, largest first."""
    totals: dict[str, list[float]] = {}
    for week in period.weeks:
        ledger = load_ledger(session=ctx.session, week=week)
        if ledger is None:
            continue
        for name, cw in ledger.clusters.items():
            if cluster and cluster.lower() not in name.lower():
                continue
            t = totals.setdefault(name, [0.0, 0.0, 0.0])
            t[0] += cw.idle_gpu_hours
            t[1] += cw.gpu_hours
            t[2] += cw.idle_cost_usd
    ranked = sorted(totals.items(), key=lambda kv: kv[1][2], reverse=True)
    hours = sum(t[0] for t in totals.values())
    usd = sum(t[2] for t in totals.values())
    text = (f"Idle capacity in {period.describe()}: *{hours:,.1f} GPU-hours* that no job held, "
            f"{fmt.usd(usd)}, over {len(ranked)} cluster{'s' * (len(ranked) != 1)}.")
    if not ranked:
        text += " No cluster has judged data for that period."
    for name, (h, total, cost) in ranked:
        share = f"{100 * h / total:.0f}%" if total else "-"
        text += f"\n• *{fmt.escape(name)}*: {h:,.1f} idle GPU-hours ({share}), {fmt.usd(cost)}"
    numbers: dict[str, float | int | str] = {"idle_gpu_hours": round(hours, 2),
                                             "idle_cost_usd": round(usd, 2)}
    if ranked:
        numbers["first"] = ranked[0][0]
    return Answer(text=text, numbers=numbers,
                  rows=tuple({"cluster": n, "idle_gpu_hours": round(t[0], 2),
                              "gpu_hours": round(t[1], 2), "idle_cost_usd": round(t[2], 2)}
                             for n, t in ranked),
                  sources=(Source("every cluster" if not cluster else f"cluster {cluster}",
                                  period.describe(), ("ledger",), "idle capacity"),),
                  cli_command="report --json")


def flagged(ctx: Context, subject: Subject, period: Period, *, job: str | None = None,
            limit: int = 5) -> Answer:
    """Why a job (or the subject's flagged jobs) is flagged: the judge's reasons and the fix."""
    lines = _lines(ctx, subject, period)
    named = job or subject.job
    if named and subject.words.startswith(f"job {named}"):  # "job X team nlp": team nlp
        subject = replace(subject, words=subject.words.removeprefix(f"job {named}").strip()
                          or "the organisation")
    if job is not None:
        asked = job.lower()
        lines = [ln for ln in lines if asked in (ln.job.name or "").lower()
                 or asked == ln.job.external_id.lower()]
        if not lines:
            raise AskError(f"no job {job!r} of {subject.words} ran in {period.describe()}")
    flagged_lines = [ln for ln in lines if ln.verdict.oversized]
    flagged_lines.sort(key=lambda ln: (ln.saved_cost_usd_week, ln.cost.cost_usd), reverse=True)
    if not flagged_lines:
        what = f"job {job}" if job else f"{subject.words}"
        return Answer(text=f"Nothing of {what} is flagged in {period.describe()}: "
                      f"{len(lines)} run{'s' * (len(lines) != 1)}, none oversized.",
                      numbers={"flagged": 0, "runs": len(lines)},
                      sources=(Source(subject.words, period.describe(), ("ledger",)),))
    text = (f"{len(flagged_lines)} flagged run{'s' * (len(flagged_lines) != 1)} of "
            f"{subject.words}" + (f" named {job}" if job else "") +
            f" in {period.describe()}:")
    for ln in flagged_lines[:limit]:
        fix = (f" Best fix: {fmt.escape(ln.best.title)}, saves "
               f"{fmt.usd(ln.saved_cost_usd_week)} a week.") if ln.best else ""
        text += (f"\n• *{fmt.escape(ln.job.name or ln.job.external_id)}* "
                 f"({fmt.escape(ln.job.user or 'unknown owner')}, {ln.job.gpus}× "
                 f"{ln.job.gpu_type}, label {ln.label or '-'}, {fmt.usd(ln.cost.cost_usd)}): "
                 f"{fmt.reasons(ln.verdict.reasons)}, mean GPU use "
                 f"{ln.job.util_mean:.0f}%.{fix}")
    first = flagged_lines[0]
    return Answer(text=text, numbers={"flagged": len(flagged_lines), "runs": len(lines),
                                      "job_id": first.job.external_id},
                  rows=tuple({"job_id": ln.job.external_id, "name": ln.job.name,
                              "reasons": list(ln.verdict.reasons), "label": ln.label}
                             for ln in flagged_lines[:limit]),
                  sources=(Source(subject.words, period.describe(), ("ledger",),
                                  "the oversized policy (README)"),),
                  command=f"job {first.job.external_id}",
                  cli_command=f"suggest --job {first.job.external_id}" + (
                      f" --week {period.week}" if period.week else ""))


def labels(ctx: Context, period: Period) -> Answer:
    """Every team's label and rank for the week (for everyone, as the digest shows them)."""
    week = period.week or iso_week(period.end)
    ledger = load_ledger(session=ctx.session, week=week)
    if ledger is None:
        raise AskError(f"{week} has not been judged yet, so no team has a label there")
    teams = sorted((tw for tw in ledger.teams.values() if tw.label is not None),
                   key=lambda tw: (tw.rank or 99, tw.team))
    text = f"Team labels for {week} (A best to G; the cost-weighted mean of their runs' labels):"
    for tw in teams:
        rank = f", rank {tw.rank} of {tw.teams_ranked}" if tw.rank else ""
        text += f"\n• team *{fmt.escape(tw.team)}*: *{tw.label}*{rank}, {fmt.usd(tw.cost.cost_usd)}"
    if not teams:
        text += " no team has usage there."
    return Answer(text=text, numbers={tw.team: tw.label or "" for tw in teams},
                  rows=tuple({"team": tw.team, "label": tw.label, "rank": tw.rank}
                             for tw in teams),
                  sources=(Source("every team", week_period(week).describe(), ("ledger",),
                                  "labels per docs/ratings.md"),),
                  command="rating", cli_command=f"report --week {week}")


def budgets(ctx: Context, period: Period) -> Answer:
    """Every team's weekly budget against its use: the team answers one under the other."""
    found = [facts.budget(ctx, team.name, period) for team in ctx.organisation.teams]
    numbers: dict[str, float | int | str] = {}
    for team, answer in zip(ctx.organisation.teams, found, strict=True):
        numbers.update({f"{team.name}.{k}": v for k, v in answer.numbers.items()})
    return Answer(text="\n".join(a.text for a in found), numbers=numbers,
                  sources=found[0].sources if found else (), command="budget",
                  cli_command=found[0].cli_command if found else None)
