"""The deterministic parser: the common questions answered without a language model."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.ask import facts
from bot.ask.answer import Answer
from bot.ask.periods import Period, find_period, parse_period
from bot.ask.subjects import DETAILED, AskError, Context, resolve
from storage.ask_queries import KnownNames

DEFAULT_TOP = 5
EXAMPLES = (
    "how much did team vision spend on A100s last week?",
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
                        "a", "their", "his", "her", "that", "which", "what", "s", "is", "was"})
_INTENTS = (
    ("label", re.compile(r"\blabel|\brating\b|\bgrade\b|energy score|why\b.*\b(?:is|are|got|"
                         r"get|a|an)\s+(?:an?\s+)?[a-g]\b")),
    ("budget", re.compile(r"\bbudget")),
    ("top_jobs", re.compile(r"\btop\s*(?:\d+|ten|five|three)?\b|\b(?:biggest|largest|"
                            r"costliest|heaviest|hungriest|worst|priciest)\b|\bmost "
                            r"(?:expensive|energy|power|carbon|costly)\b.*\bjobs?\b|\bjobs?\b"
                            r".*\b(?:the most|most expensive|cost the most|used the most)\b")),
    ("suggestions", re.compile(r"smaller|distil|right[- ]?siz|could (?:\w+ )?(?:use|save|switch)|"
                               r"fewer gpus|"
                               r"suggest|swaps?\b|cheaper|alternative|what should .* change|"
                               r"oversized|wasteful|recommend")),
)
_METRICS = (
    ("co2e", re.compile(r"co2|carbon|emission|emitted|emit\b|footprint|ghg")),
    ("energy", re.compile(r"\bk?wh\b|\bmwh\b|kwh|energy|electricity|\bpower\b")),
    ("gpu_hours", re.compile(r"gpu[- ]?hours?|gpu time|\bhours\b")),
    ("cost", re.compile(r"\$|\bcost|\bspen[dt]|dollar|\busd\b|money|\bpa(?:y|id)\b|\bbill|"
                        r"expensive|price|\beur\b")),
)
_USAGE = re.compile(r"how much|how many|\btotal|\bused?\b|\bconsum|\bspen[dt]|\bcost")
_GPU = re.compile(r"\b(a100|h100|h200|h20|l40s|l40|l4|a10g|a10|a30|a40|t4|v100|p100|b200|"
                  r"gb200|mi250x?|mi300x?)s?\b")
_NUMBER_WORDS = {"three": 3, "five": 5, "ten": 10}
_KINDS = (
    ("model_swap", re.compile(r"smaller model|distil|model swap|swap|lighter model")),
    ("fewer_gpus", re.compile(r"fewer gpus|less gpus")),
    ("smaller_gpu", re.compile(r"smaller gpu|\bmig\b")),
    ("release", re.compile(r"\bidle|release")),
    ("precision", re.compile(r"precision|bf16|fp16|fp32")),
    ("batching", re.compile(r"batch")),
)
_STATES = ("approved", "applied", "dismissed")
_CHANGE = re.compile(r"^(?:please\s+)?(?:approve|dismiss|apply|reject|delete|remove|set|change|"
                     r"update|cancel|kill|stop)\b")


@dataclass(frozen=True, slots=True)
class Query:
    """What a question asks, read by the parser; names still unchecked."""

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


def _word(name: str, text: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(name.lower()) + r"(?![\w-])", text) is not None


def _named(pattern: str, text: str) -> str | None:
    for match in re.finditer(pattern, text):
        if match.group(1) not in _NOT_NAMES:
            return match.group(1)
    return None


def parse(question: str, *, known: KnownNames, today: date) -> Query | None:
    """The query a question asks, or None when it is not one of the common forms."""
    text = " ".join(question.lower().replace("’", "'").split())
    if _CHANGE.match(text):
        return None  # asking is read-only: approvals and budgets have their own commands
    intent = next((name for name, rx in _INTENTS if rx.search(text)), None)
    metric = next((name for name, rx in _METRICS if rx.search(text)), None)
    if intent is None and (metric is not None or _USAGE.search(text)):
        intent = "usage"
    if intent is None:
        return None
    named = [n for n in (_named(r"\bteam\s+(" + _W + ")", text),
                         _named(r"(" + _W + r")\s+team\b", text)) if n]
    team = next((n for n in named if n in {t.lower() for t in known.teams}), None)
    if team is None:
        team = next((t for t in sorted(known.teams, key=len, reverse=True) if _word(t, text)),
                    named[0] if named else None)
    user = _named(r"\buser\s+(" + _W + ")", text)
    if user is None:
        user = next((u for u in sorted(known.users, key=len, reverse=True)
                     if _word(u, text) and u.lower() != (team or "").lower()), None)
    model = _named(r"\bmodel\s+(" + _W + ")", text)
    if model is None:
        model = next((m for m in sorted(known.models, key=len, reverse=True)
                      if _word(m, text)), None)
    gpu = _GPU.search(text)
    limit = DEFAULT_TOP
    count = re.search(r"\btop\s*(\d+|ten|five|three)\b|\b(\d+)\s+(?:biggest|largest|most|"
                      r"costliest|heaviest|worst|priciest)", text)
    if count:
        word = count.group(1) or count.group(2)
        limit = _NUMBER_WORDS.get(word) or int(word)
    kinds = next(((k,) for k, rx in _KINDS if rx.search(text)), None)
    states = tuple(s for s in _STATES if s in text) or ("open",)
    if re.search(r"\b(?:all|any) (?:state|suggestions)", text):
        states = ("open", "approved", "applied", "dismissed")
    return Query(
        intent=intent, metric=metric or "cost", team=team, user=user, model=model,
        gpu_type=gpu.group(1).upper() if gpu else None,
        mine=re.search(r"\b(?:my|mine|i|me)\b", text) is not None,
        ours=re.search(r"\b(?:our|we|us|ours)\b", text) is not None,
        org=re.search(r"\b(?:organi[sz]ation|org|company|everyone|all teams|overall|"
                      r"whole cluster)\b", text) is not None,
        period=find_period(text, today=today), limit=limit, kinds=kinds, states=states,
    )


def answer(ctx: Context, query: Query) -> Answer:
    """Answer a parsed query from the store; AskError or AccessDenied say why not."""
    period = query.period or parse_period(None, today=ctx.today)
    detail = query.intent in DETAILED  # label: its why names jobs; budget: the team's own
    subject = resolve(ctx, team=query.team, user=query.user, model=query.model,
                      gpu_type=query.gpu_type, mine=query.mine and not query.team,
                      ours=query.ours and not query.team and not query.user,
                      org=query.org, detail=detail)
    if query.intent == "usage":
        return facts.usage(ctx, subject, period, query.metric)
    if query.intent == "top_jobs":
        limit = min(query.limit, facts.MAX_ROWS)
        found = facts.top_jobs(ctx, subject, period, by=query.metric, limit=max(1, limit))
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
