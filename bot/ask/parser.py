"""The deterministic parser: the common questions answered without a language model."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.ask import facts, insights
from bot.ask.answer import Answer
from bot.ask.periods import Period, find_periods, parse_period, previous
from bot.ask.subjects import DETAILED, AskError, Context, Subject, resolve
from bot.ask.words import VOCABULARY, mend, normalize
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
_CHANGE = re.compile(r"^(?:please\s+|can you\s+|could you\s+)?(?:approve|dismiss|apply|reject|"
                     r"delete|remove|set|change|update|cancel|kill|stop|raise|lower|increase)\b"
                     r"(?!.*\b(?:since|from|between|vs|compared)\b)")
_FLAGGED = re.compile(r"\bflag|\bwhy\b.*\b(?:oversized|wasteful|marked|inefficient|overprovi)|"
                      r"what'?s wrong with|\bwhy\b.*\bjob\b.*\b(?:bad|red|wast)")
_LABEL = re.compile(r"\blabel|\brating\b|\brated\b|\bgrade\b|energy score|why\b.*\b(?:is|are|"
                    r"got|get|a|an)\s+(?:an?\s+)?[a-g]\b")
_REALIZED = re.compile(r"\b(?:approved|applied|accepted|implemented|adopted|taken)\b.*\bsav|"
                       r"\bsaved\b.*\b(?:approved|applied|accepted|implemented|adopted)\b|"
                       r"\breali[sz]|\bactually sav|\bdid\b.*\bsave\b|\bhave\b.*\bsaved\b|"
                       r"\bsaved so far\b|\bhow much\b.*\bsaved\b")
_IDLE = re.compile(r"\bidle\b|\bunused\b|\bspare\b|\bnobody used|\bsitting around|\bwasn'?t used")
_JOBS = re.compile(r"\bjobs?\b|\bruns?\b|\bworkloads?\b|\bpods?\b|\bservices?\b|\bnotebooks?\b|"
                   r"\btrainings?\b")
_COMPARE = re.compile(r"\bcompar|\bvs\.?(?!\w)|\bversus\b|\bagainst\b|\bdifference\b|"
                      r"\bmore\b|\bless\b|\bfewer\b|\bthan\b|\bor\b|\bhigher\b|\blower\b|"
                      r"\bbigger\b|\bsmaller\b|\bcheaper\b|\band\b|\bbetween\b")
_TREND = re.compile(r"\bchange|\btrend|\bincreas|\bdecreas|\bgr[eo]w|\bgrowth\b|\bwent (?:up|down)|"
                    r"\bgo(?:ne)? (?:up|down)|\bup or down\b|week over week|\bwow\b|"
                    r"compared (?:to|with)|\bdifference\b|\bdelta\b|\bthan (?:last|the|in|"
                    r"previous)|\bvs\.? (?:last|the|previous|this)|\bversus\b")
_BUDGET = re.compile(r"\bbudget|\bover (?:our|the|my) limit|\bquota\b")
_WASTE = re.compile(r"\bwast|\bworst|\binefficien|\boversiz|\bover-?provision|\bbloat|"
                    r"\bsav(?:e|es|ed|ing|ings)\b|\bright[- ]?siz")
_STRONG_RANK = re.compile(r"\btop\b|\bworst\b|\bmost\b|\bbiggest\b|\blargest\b|\bheaviest\b|"
                          r"\bhungriest\b|\bcostliest\b|\bpriciest\b|\bhighest\b|\brank")
_RANK = re.compile(r"\btop\b|\bworst\b|\bmost\b|\bbiggest\b|\blargest\b|\bheaviest\b|"
                   r"\bhungriest\b|\bcostliest\b|\bpriciest\b|\bhighest\b|\brank|\bleaderboard|"
                   r"\bwhich\b|\bwho\b|\blist\b|\bshow\b|\bexpensive\b")
_SAVINGS = re.compile(r"\b(?:could|can|might|would)\b.*\bsav|\bpotential|\bsavings?\b|"
                      r"\boverspen|"
                      r"\bhow much\b.*\bwast|\bwast\w*\b.*\bhow much\b|\bwaste\b|\bwasted\b|"
                      r"\bsave\b")
_GROUP = re.compile(r"\b(?:by|per|each|every|across|among|between|for each|for every|"
                    r"split by|broken down by|breakdown by|grouped by)\s+(?:the\s+)?"
                    r"(team|cluster|gpu[- ]?types?|gpu|users?|person|people|engineers?|"
                    r"owners?|models?)s?\b(?=\s*$|\s+(?:in|for|last|this|over|during|and|since|"
                    r"from|the|of|on|so|today|yesterday|with|between|vs|past|previous|"
                    r"costs?|spend\w*|energy|usage|co2\w*|emissions|gpu|kwh|totals?|figures|"
                    r"\d))|\b(?:which|what)\s+(team|cluster|gpu[- ]?type|gpu|"
                    r"user|person|engineer|model)s?\b|\b(team|cluster|gpu[- ]?type|user|model)"
                    r"s\s+(?:ranked|sorted|ordered|by (?:cost|energy|spend|co2|carbon|kwh|gpu))|"
                    r"\b(?:cheapest|costliest|priciest|biggest|largest|greenest|smallest|"
                    r"expensive|highest|lowest|top|hungriest|dirtiest|cleanest)\s+"
                    r"(team|cluster|gpu[- ]?type|user|model)s?\b|"
                    r"\b(team|cluster|gpu[- ]?type|user|model)s?\s+(?:leaderboard|ranking|league)")
_GROUP_WORDS = {"team": "team", "cluster": "cluster", "gpu": "gpu_type", "user": "user",
                "person": "user", "people": "user", "engineer": "user", "owner": "user",
                "model": "model"}
_SUGGEST = re.compile(r"smaller|distil|right[- ]?siz|could (?:\w+ )?(?:use|switch)|fewer gpus|"
                      r"suggest|swaps?\b|cheaper|alternative|what should .* change|oversized|"
                      r"wasteful|recommend|improve|optimi[sz]")
_METRICS = (
    ("co2e", re.compile(r"co2|carbon|emission|emitted|emit\b|footprint|ghg|\bclimate")),
    ("energy", re.compile(r"\bk?wh\b|\bmwh\b|kwh|energy|electricity|\bpower\b|\bjoules?\b")),
    ("gpu_hours", re.compile(r"gpu[- ]?hours?|gpu time|\bhours\b|\bgpu-?h\b")),
    ("cost", re.compile(r"\$|\bcost|\bspen[dt]|dollar|\busd\b|money|\bpa(?:y|id)\b|\bbill|"
                        r"expensive|price|\beur\b|\bbudget|\bcheap")),
)
_USAGE = re.compile(r"how much|how many|\btotal|\bused?\b|\bconsum|\bspen[dt]|\bcost|\bburn|"
                    r"\busage\b|\bfigures?\b|\bnumbers?\b")
_GPU = re.compile(r"\b(a100|h100|h200|h20|l40s|l40|l4|a10g|a10|a30|a40|t4|v100|p100|b200|"
                  r"gb200|mi250x?|mi300x?)s?\b")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "twenty": 20}
_COUNT = "|".join(_NUMBER_WORDS)
_KINDS = (
    ("model_swap", re.compile(r"smaller model|distil|model swap|swap|lighter model")),
    ("fewer_gpus", re.compile(r"fewer gpus|less gpus")),
    ("smaller_gpu", re.compile(r"smaller gpu|\bmig\b")),
    ("release", re.compile(r"\bidle|release")),
    ("precision", re.compile(r"precision|bf16|fp16|fp32")),
    ("batching", re.compile(r"batch")),
)
_STATES = ("approved", "applied", "dismissed")


@dataclass(frozen=True, slots=True)
class Query:
    """What a question asks, read by the parser; names still unchecked.

    intent: usage, top_jobs, breakdown, compare_teams, compare_periods, savings, realized,
    idle, flagged, suggestions, label or budget.
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
                    and name not in VOCABULARY and not _GPU.fullmatch(name):
                found.append((match.start(1), name))
    return [n for _, n in sorted(found)]


def _model_part(text: str, known: KnownNames) -> str | None:
    """A word of the question that is a part of a stored model's name (llama-3.1-70b)."""
    for token in re.findall(r"[a-z0-9][\w.-]*[a-z0-9]", text):
        if len(token) >= 4 and token not in VOCABULARY and not _GPU.fullmatch(token) and \
                token not in {t.lower() for t in known.teams} and \
                any(token in m.lower() for m in known.models):
            return token
    return None


def _intent(text: str, teams: list[str], periods: int) -> tuple[str | None, str | None]:
    """(intent, group) the words ask for; (None, None) when none of the common forms."""
    jobs = _JOBS.search(text) is not None
    if _FLAGGED.search(text):
        return "flagged", None
    if _LABEL.search(text):
        return "label", None
    if _BUDGET.search(text):
        return "budget", None
    if _REALIZED.search(text):
        return "realized", None
    if _IDLE.search(text) and not jobs:
        return "idle", None
    if len(teams) >= 2 and _COMPARE.search(text):
        return "compare_teams", None
    if not jobs and re.search(r"\b(?:could|can|would|might)\b.*\bsave\b|\bhow much\b.*"
                              r"\b(?:save|wast|overspen)", text):
        return "savings", None
    if re.search(r"\bshould\b|\bsuggest|\brecommend", text) and periods < 2:
        return "suggestions", None
    if _TREND.search(text) or (periods >= 2 and _COMPARE.search(text)) or re.search(
            r"\bcompar", text):
        return "compare_periods", None
    group = _GROUP.search(text)
    if group and not (jobs and not group.group(0).startswith(("by", "per"))):
        word = next(g for g in group.groups() if g).split()[0].split("-")[0].rstrip("s")
        word = "gpu" if word.startswith("gpu") else word
        return "breakdown", _GROUP_WORDS.get(word, "team")
    if re.search(r"\bwho\b", text) and not jobs:
        return "breakdown", "user"
    if jobs and (_RANK.search(text) or _WASTE.search(text)) or re.search(
            r"\btop\s*(?:\d+|" + _COUNT + r")\b", text):
        if _SUGGEST.search(text) and not _STRONG_RANK.search(text):
            return "suggestions", None
        return "top_jobs", None
    if _SAVINGS.search(text) and not re.search(r"\bwhich\b", text):
        return "savings", None
    if _SUGGEST.search(text) or _IDLE.search(text):
        return "suggestions", None
    if _RANK.search(text) and re.search(r"\bworst\b|\bexpensive\b|\bbiggest\b", text):
        return "top_jobs", None
    if any(rx.search(text) for _, rx in _METRICS) or _USAGE.search(text):
        return "usage", None
    return None, None


def parse(question: str, *, known: KnownNames, today: date) -> Query | None:
    """The query a question asks, or None when it is not one of the common forms."""
    text = normalize(question)
    if _CHANGE.match(text):
        return None  # asking is read-only: approvals and budgets have their own commands
    text = mend(text, [*known.teams, *known.users])
    teams = _teams(text, known)
    periods = find_periods(text, today=today)
    intent, group = _intent(text, teams, len(periods))
    if intent is None:
        return None
    metric = next((name for name, rx in _METRICS if rx.search(text)), None)
    team = teams[0] if teams else None
    user = _named(r"\b(?:user|engineer|person)\s+(" + _W + ")", text)
    if user is None:
        user = next((u for u in sorted(known.users, key=len, reverse=True)
                     if _word(u, text) and u.lower() not in teams), None)
    model = _named(r"\bmodel\s+(" + _W + ")", text)
    if model is None:
        model = next((m for m in sorted(known.models, key=len, reverse=True)
                      if _word(m, text)), None) or _model_part(text, known)
    gpu = _GPU.search(text)
    limit = DEFAULT_TOP
    count = re.search(r"\btop\s*(\d+|" + _COUNT + r")\b|\b(\d+|" + _COUNT + r")\s+(?:of (?:the|"
                      r"our|my) )?(?:biggest|largest|most|costliest|heaviest|worst|priciest|"
                      r"highest|jobs|runs|expensive|wasteful)", text)
    if count:
        word = count.group(1) or count.group(2)
        limit = _NUMBER_WORDS.get(word) or int(word)
    kinds = next(((k,) for k, rx in _KINDS if rx.search(text)), None)
    states = tuple(s for s in _STATES if s in text) or ("open",)
    if re.search(r"\b(?:all|any) (?:state|suggestions)", text):
        states = ("open", "approved", "applied", "dismissed")
    job = _named(r"\bjobs?\s+(" + _W + ")", text) or _named(
        r"\b(?:is|was|are|were|did|does)\s+(" + _W + r")\s+(?:\w+\s+)?(?:flagged|marked|oversized)",
        text) or _named(r"(" + _W + r")\s+(?:is|was|got|gets|get|been)\s+(?:\w+\s+)?"
                        r"(?:flagged|marked|oversized)", text)
    if job in VOCABULARY:
        job = None
    if job in ("run", "runs", "flagged", "get", "being", "so", "it", "we", "i", "they", "you"):
        job = None
    by = "waste" if _WASTE.search(text) and not re.search(r"\bexpensive\b|\bcost(?:s|ly|liest)?"
                                                          r" the most\b", text) else (
        metric or "cost")
    return Query(
        intent=intent, metric=metric or "cost", team=team, user=user, model=model,
        gpu_type=gpu.group(1).upper() if gpu else None,
        mine=re.search(r"\b(?:my|mine|i|me|i'm|i've)\b", text) is not None,
        ours=re.search(r"\b(?:our|we|us|ours|we've|we're)\b", text) is not None,
        org=re.search(r"\b(?:organi[sz]ation|org|company|everyone|everybody|all teams|overall|"
                      r"whole cluster|all clusters|in total|altogether|the whole)\b",
                      text) is not None,
        period=periods[0] if periods else None, limit=limit, kinds=kinds, states=states,
        by=by, group_by=group, teams=tuple(teams), periods=tuple(periods),
        job=job if intent == "flagged" else None,
        ascending=re.search(r"\b(?:cheapest|least|lowest|smallest|greenest|cleanest|fewest)\b",
                            text) is not None,
    )


def _subject(ctx: Context, query: Query, *, detail: bool, team: str | None = None,
             org: bool = False) -> Subject:
    team = team or query.team
    return resolve(ctx, team=team, user=query.user, model=query.model,
                   gpu_type=query.gpu_type, mine=query.mine and not team,
                   ours=query.ours and not team and not query.user and not org,
                   org=query.org or org, detail=detail)


def answer(ctx: Context, query: Query) -> Answer:
    """Answer a parsed query from the store; AskError or AccessDenied say why not."""
    period = query.period or parse_period(None, today=ctx.today)
    detail = query.intent in DETAILED  # label: its why names jobs; budget: the team's own
    if query.intent == "compare_teams":
        sides = [(_subject(ctx, query, detail=False, team=t), period) for t in query.teams]
        return insights.compare(ctx, sides, metric=query.metric)
    if query.intent == "compare_periods":
        subject = _subject(ctx, query, detail=False)
        periods = list(query.periods[:2])
        if not periods:
            periods = [period]
        if len(periods) == 1:
            periods.append(previous(periods[0]))
        return insights.compare(ctx, [(subject, p) for p in periods], metric=query.metric)
    if query.intent == "idle":
        return insights.idle(ctx, period)
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
        return insights.flagged(ctx, subject, period, job=query.job)
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
    if team is None:
        raise AskError("which team? Ask for example 'label of team nlp last week'")
    if query.intent == "label":
        return facts.label(ctx, team, period)
    return facts.budget(ctx, team, period)


def _note(found: Answer, note: str) -> Answer:
    return replace(found, text=f"{found.text}\n{note}")
