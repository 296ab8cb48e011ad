"""The deterministic parser: the common questions answered without a language model."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.ask import facts, insights, intents
from bot.ask.answer import Answer
from bot.ask.periods import Period, find_periods, parse_period, previous
from bot.ask.subjects import DETAILED, AskError, Context, Subject, resolve
from bot.ask.words import COMMON, VOCABULARY, mend, normalize
from storage.ask_queries import KnownNames

DEFAULT_TOP = 5
EXAMPLES = (
    "how much did team vision spend on A100s last week?",
    "which team spent more last week, nlp or vision?",
    "cost by GPU type in November",
    "5 most wasteful jobs",
    "what could we save?",
    "what did the approved swaps save?",
    "idle capacity per cluster",
    "why is job train-detector flagged?",
    "energy of my jobs in the last 4 weeks",
    "CO2e of model llama-3-70b in November",
    "top 5 jobs by energy this week",
    "which of my jobs could use a smaller model?",
    "why is our label D?",
    "are we within budget?",
)
HELP = ("I can answer questions like:\n" + "\n".join(f"• {e}" for e in EXAMPLES) +
        "\nI only read: swaps are approved with the buttons of the digest, budgets with "
        "`/ai-cost budget set`." +
        "\nFree questions need a chat model: set AI_COST_ASK_MODEL (for example "
        "openai:gpt-4o-mini, or ollama:llama3.1 with AI_COST_ASK_BASE_URL); see docs/ask.md.")

_W = r"[a-z0-9][\w.@/:-]*[a-z0-9]|[a-z0-9]"
_NOT_NAMES = frozenset({"our", "my", "the", "your", "this", "whole", "every", "each", "all",
                        "a", "their", "his", "her", "that", "which", "what", "s", "is", "was",
                        "flagged", "marked", "oversized", "of", "in", "for", "on", "by", "and",
                        "or", "vs", "with", "last", "cost", "used", "spend", "spent"})


@dataclass(frozen=True, slots=True)
class Query:
    """What a question asks, read by the parser; names still unchecked.

    intent: usage, top_jobs, breakdown, compare_teams, compare_users, compare_periods,
    savings, realized, idle, flagged, suggestions, label, labels (every team's) or budget.
    """

    intent: str
    metric: str = "cost"
    team: str | None = None
    user: str | None = None
    model: str | None = None
    gpu_type: str | None = None
    mine: bool = False
    ours: bool = False
    org: bool = False
    period: Period | None = None
    limit: int = DEFAULT_TOP
    kinds: tuple[str, ...] | None = None
    states: tuple[str, ...] = ("open",)
    by: str = "cost"
    group_by: str | None = None
    teams: tuple[str, ...] = ()
    periods: tuple[Period, ...] = ()
    job: str | None = None
    ascending: bool = False
    cluster: str | None = None
    users: tuple[str, ...] = ()


def _word(name: str, text: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(name.lower()) + r"(?![\w-])", text) is not None


def _named(pattern: str, text: str) -> str | None:
    for match in re.finditer(pattern, text):
        if match.group(1) not in _NOT_NAMES:
            return match.group(1)
    return None


def _teams(text: str, known: KnownNames) -> list[str]:
    """Teams the question names, in the order written (known ones, or after "team")."""
    found: list[tuple[int, str]] = []
    for team in sorted(known.teams, key=len, reverse=True):
        match = re.search(r"(?<![\w-])" + re.escape(team.lower()) + r"(?![\w-])", text)
        if match and not any(team.lower() in other for _, other in found):
            found.append((match.start(), team.lower()))
    for pattern in (r"\bteams?\s+(" + _W + ")", r"(" + _W + r")\s+team\b"):
        for match in re.finditer(pattern, text):
            name = match.group(1).removesuffix("'s")
            if name not in _NOT_NAMES and all(name != n for _, n in found) \
                    and not all(part in VOCABULARY for part in name.split("-")) \
                    and not intents.GPU.fullmatch(name):
                found.append((match.start(1), name))
    return [n for _, n in sorted(found)]


def _people(text: str, known: KnownNames, teams: list[str]) -> list[str]:
    """Known cluster users the question names, in the order written."""
    found = []
    for user in known.users:
        match = re.search(r"(?<![\w-])" + re.escape(user.lower()) + r"(?![\w-])", text)
        if match and user.lower() not in teams:
            found.append((match.start(), user))
    return [u for _, u in sorted(found)]


def _job_like(text: str, known: KnownNames, model: str | None,
              cluster: str | None) -> str | None:
    """A word shaped like a job's name (train-detector, job-666), not a known name or unit."""
    taken = {n.lower() for n in (*known.teams, *known.users, model or "", cluster or "")}
    for token in re.findall(r"[a-z0-9][\w.-]*[a-z0-9]", text):
        parts = [p for p in re.split(r"[-_.]", token) if p]
        if len(parts) < 2 or token in taken or intents.GPU.fullmatch(token) or \
                re.fullmatch(r"\d{4}-(?:w?\d{1,2})(?:-\d{2})?", token) or \
                any(token in m.lower() for m in known.models) or \
                any(token in c.lower() for c in known.clusters):
            continue
        if re.fullmatch(r"job[-_]?\d+", token) or any(
                len(p) >= 3 and not p.isdigit() and p not in VOCABULARY and p not in COMMON
                for p in parts):
            return token
    return None


def _cluster(text: str, known: KnownNames) -> str | None:
    """The cluster the question names: its whole name, or a word of it (frankfurt, iowa)."""
    for name in sorted(known.clusters, key=len, reverse=True):
        if _word(name, text):
            return name
    for token in re.findall(r"[a-z0-9][\w.-]*[a-z0-9]", text):
        if len(token) >= 4 and token not in VOCABULARY:
            found = [c for c in known.clusters if token in re.split(r"[-_.]", c.lower())]
            if len(found) == 1:
                return found[0]
    return None


def _model_part(text: str, known: KnownNames) -> str | None:
    """A word of the question that is a part of a stored model's name (llama-3.1-70b)."""
    for token in re.findall(r"[a-z0-9][\w.-]*[a-z0-9]", text):
        if len(token) >= 4 and token not in VOCABULARY and not intents.GPU.fullmatch(token) and \
                token not in {t.lower() for t in known.teams} and \
                any(token in m.lower() for m in known.models):
            return token
    return None


def parse(question: str, *, known: KnownNames, today: date) -> Query | None:
    """The query a question asks, or None when it is not one of the common forms."""
    text = normalize(question)
    if intents.CHANGE.match(text):
        return None  # asking is read-only: approvals and budgets have their own commands
    text = mend(text, [*known.teams, *known.users])
    teams = _teams(text, known)
    periods = find_periods(text, today=today)
    intent, group = intents.intent(text, teams, len(periods))
    if intent is None:
        return None
    if intent == "compare_periods" and not periods and re.search(r"\bmonth", text):
        periods = find_periods("last month", today=today)  # "month over month": whole months
    metric = next((name for name, rx in intents.METRICS if rx.search(text)), None)
    team = teams[0] if teams else None
    people = _people(text, known, teams)
    if len(people) >= 2 and intent in ("usage", "breakdown", "compare_periods") and \
            intents.COMPARE.search(text):
        intent = "compare_users"
    user = _named(r"\b(?:user|engineer|person)\s+(" + _W + ")", text)
    if user is None:
        user = next((u for u in sorted(known.users, key=len, reverse=True)
                     if _word(u, text) and u.lower() not in teams), None)
    model = _named(r"\bmodel\s+(" + _W + ")", text)
    if model is not None and model in VOCABULARY or model and not (
            re.search(r"[-/.\d]", model) or any(model in m.lower() for m in known.models)):
        model = None  # "model swaps", "model costs": words, not a model's name
    if model is None:
        model = next((m for m in sorted(known.models, key=len, reverse=True)
                      if _word(m, text)), None) or _model_part(text, known)
    cluster = _cluster(text, known)
    gpu = intents.GPU.search(text)
    limit = DEFAULT_TOP
    number = intents.COUNT
    count = re.search(r"\btop\s*(\d+|" + number + r")\b|\b(\d+|" + number + r")\s+(?:of (?:the|"
                      r"our|my) )?(?:biggest|largest|most|costliest|heaviest|worst|priciest|"
                      r"highest|jobs|runs|expensive|wasteful)", text)
    if count:
        word = count.group(1) or count.group(2)
        limit = intents.NUMBER_WORDS.get(word) or int(word)
    kinds = next(((k,) for k, rx in intents.KINDS if rx.search(text)), None)
    states = tuple(s for s in intents.STATES if s in text) or ("open",)
    if re.search(r"\b(?:all|any) (?:state|suggestions)", text):
        states = ("open", "approved", "applied", "dismissed")
    job = _named(r"\bjobs?\s+(" + _W + ")", text) or _named(
        r"\b(?:is|was|are|were|did|does)\s+(" + _W + r")\s+(?:\w+\s+)?(?:flagged|marked|oversized)",
        text) or _named(r"(" + _W + r")\s+(?:is|was|got|gets|get|been)\s+(?:\w+\s+)?"
                        r"(?:flagged|marked|oversized)", text) or _named(
        r"\bflagged:?\s+(" + _W + ")", text)
    if job in VOCABULARY:
        job = None
    if job in ("run", "runs", "flagged", "get", "being", "so", "it", "we", "i", "they", "you"):
        job = None
    if job is None and intent in ("usage", "flagged", "suggestions"):
        job = _job_like(text, known, model, cluster)
    costly = re.search(r"\bexpensive\b|\bcost(?:s|ly|liest)? the most\b", text)
    by = "waste" if intents.WASTE.search(text) and not costly else (metric or "cost")
    if by == "waste" and metric == "energy":
        by = "waste_energy"  # "wasted the most energy": by the kWh a suggestion saves
    return Query(
        intent=intent, metric=metric or "cost", team=team, user=user, model=model,
        gpu_type=gpu.group(1).upper() if gpu else None,
        mine=re.search(r"\b(?:my|mine|i|i'm|i've)\b|(?<!show )(?<!tell )(?<!give )(?<!let )"
                       r"(?<!help )\bme\b", text) is not None,
        ours=re.search(r"\b(?:our|we|us|ours|we've|we're)\b", text) is not None,
        org=re.search(r"\b(?:organi[sz]ation|org|company|everyone|everybody|all teams|overall|"
                      r"whole cluster|all clusters|in total|altogether|the whole)\b",
                      text) is not None,
        period=periods[0] if periods else None, limit=limit, kinds=kinds, states=states,
        by=by, group_by=group, teams=tuple(teams), periods=tuple(periods),
        job=job if intent in ("usage", "flagged", "suggestions") else None, cluster=cluster,
        users=tuple(people),
        ascending=re.search(r"\b(?:cheapest|least|lowest|smallest|greenest|cleanest|fewest)\b",
                            text) is not None,
    )


def _subject(ctx: Context, query: Query, *, detail: bool, team: str | None = None,
             org: bool = False) -> Subject:
    team = team or query.team
    return resolve(ctx, team=team, user=query.user, model=query.model, cluster=query.cluster,
                   gpu_type=query.gpu_type, mine=query.mine and not team,
                   ours=query.ours and not team and not query.user and not org,
                   org=query.org or org, detail=detail or query.job is not None,
                   job=query.job)


def answer(ctx: Context, query: Query) -> Answer:
    """Answer a parsed query from the store; AskError or AccessDenied say why not."""
    period = query.period or parse_period(None, today=ctx.today)
    detail = query.intent in DETAILED  # label: its why names jobs; budget: the team's own
    if query.intent == "compare_teams":
        sides = [(_subject(ctx, query, detail=False, team=t), period) for t in query.teams]
        return insights.compare(ctx, sides, metric=query.metric)
    if query.intent == "compare_users":
        sides = [(resolve(ctx, user=u, cluster=query.cluster, gpu_type=query.gpu_type), period)
                 for u in query.users]
        return insights.compare(ctx, sides, metric=query.metric)
    if query.intent == "compare_periods":
        subject = _subject(ctx, query, detail=False)
        periods = list(query.periods[:2])
        if not periods:
            periods = [period]
        if len(periods) == 1:
            periods.append(previous(periods[0]))
        return insights.compare(ctx, [(subject, p) for p in periods], metric=query.metric)
    if query.intent == "labels":
        return insights.labels(ctx, period)
    if query.intent == "idle":
        return insights.idle(ctx, period, cluster=query.cluster)
    if query.intent == "breakdown":
        assert query.group_by is not None
        plain = query.group_by in ("team", "cluster", "gpu_type")  # totals, public
        whole = plain and not (query.team or query.user or query.mine or query.model)
        subject = _subject(ctx, query, detail=not plain, org=whole)
        return insights.breakdown(ctx, subject, period, by=query.group_by, metric=query.metric,
                                  ascending=query.ascending,
                                  limit=min(max(query.limit, 1) if query.limit != DEFAULT_TOP
                                            else facts.MAX_ROWS, facts.MAX_ROWS))
    if query.intent == "realized":
        return insights.realized(ctx, _subject(ctx, query, detail=False), period)
    subject = _subject(ctx, query, detail=detail)
    if query.intent == "usage":
        return facts.usage(ctx, subject, period, query.metric)
    if query.intent == "savings":
        return insights.savings(ctx, subject, period)
    if query.intent == "flagged":
        return insights.flagged(ctx, replace(subject, job=None), period, job=query.job)
    if query.intent == "top_jobs":
        limit = min(query.limit, facts.MAX_ROWS)
        found = facts.top_jobs(ctx, subject, period, by=query.by, limit=max(1, limit))
        if query.limit > facts.MAX_ROWS:
            return _note(found, f"(I show {facts.MAX_ROWS} jobs at most.)")
        return found
    if query.intent == "suggestions":
        return facts.suggestions(ctx, subject, period, states=query.states, kinds=query.kinds,
                                 limit=min(max(query.limit, 1), facts.MAX_ROWS))
    team = subject.team
    if team is None and subject.whole_org:  # the operator's or FinOps' "we": every team
        return insights.labels(ctx, period) if query.intent == "label" else insights.budgets(
            ctx, period)
    if team is None:
        raise AskError("which team? Ask for example 'label of team nlp last week'")
    if query.intent == "label":
        return facts.label(ctx, team, period)
    return facts.budget(ctx, team, period)


def _note(found: Answer, note: str) -> Answer:
    return replace(found, text=f"{found.text}\n{note}")
