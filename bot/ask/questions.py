"""`ask`: a question in plain words to a short answer from the data (docs/ask.md)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from langchain_core.language_models import BaseChatModel
from sqlmodel import Session

from bot.ask import agent, parser
from bot.ask.access import AccessDenied, Viewer
from bot.ask.answer import Answer, AnswerCache, normalize
from bot.ask.periods import PeriodError
from bot.ask.subjects import AskError, Context, unknown_viewer
from bot.ask.tools import Toolbox, read_only
from config.organisation import Organisation
from config.settings import Settings
from storage.ask_queries import data_version

MAX_QUESTION_CHARS = 500
log = logging.getLogger(__name__)
# One per process, shared by the Slack app and the CLI; keyed by database, question, viewer
# and data version, so a new roll-up or a changed suggestion is never answered from it.
DEFAULT_CACHE = AnswerCache()


def answer_question(question: str, viewer: Viewer, *, session: Session,
                    organisation: Organisation, settings: Settings, now: datetime,
                    model: BaseChatModel | None = None,
                    cache: AnswerCache | None = None) -> Answer:
    """Answer `question` for `viewer` from the store; never writes, never raises on a provider.

    With a chat model (`model`, or settings.ask_model) it picks read-only tools; without one
    the deterministic parser answers the common forms and explains how to enable the rest.
    """
    question = " ".join(question.split())[:MAX_QUESTION_CHARS]
    if not question or normalize(question) in ("help", ""):
        return Answer(text=parser.HELP, how="help")
    cache = DEFAULT_CACHE if cache is None else cache
    use_model = model is not None or bool(settings.ask_model)
    key = (_database(session), normalize(question), viewer.key,
           data_version(session=session), settings.ask_model or "" if use_model else "parser",
           now.date().isoformat())
    hit = cache.get(key, settings.ask_cache_ttl_s)
    if hit is not None:
        return hit
    ctx = Context(session=session, organisation=organisation, viewer=viewer, today=now.date())
    with read_only(session):
        stranger = unknown_viewer(ctx)
        if stranger is not None:
            return Answer(text=stranger, how="refused")
        found = _with_model(question, ctx, settings, model) if use_model else _parsed(
            question, ctx)
    if found.how != "error":
        cache.put(key, found)
    return found


def _parsed(question: str, ctx: Context) -> Answer:
    try:
        query = parser.parse(question, known=ctx.known, today=ctx.today)
        if query is None:
            return Answer(text="I did not understand that question. " + parser.HELP, how="help")
        return parser.answer(ctx, query)
    except (AskError, AccessDenied, PeriodError) as exc:
        return Answer(text=_sentence(str(exc)), how="refused")


def _with_model(question: str, ctx: Context, settings: Settings,
                model: BaseChatModel | None) -> Answer:
    try:
        chat = model if model is not None else agent.chat_model(settings)
    except (ImportError, ValueError) as exc:
        log.warning("ask: cannot load chat model %r: %s", settings.ask_model, exc)
        return _fallback(question, ctx, f"the chat model {settings.ask_model!r} could not be "
                         f"loaded ({exc})")
    toolbox = Toolbox(ctx)
    try:
        found = agent.run(question, model=chat, toolbox=toolbox,
                          timeout_s=settings.ask_timeout_s)
    except agent.ProviderFailure as exc:
        log.warning("ask: %s", exc)
        return _fallback(question, ctx, str(exc))
    if not toolbox.calls:  # the model tried no tool: the parser's answer, when it has one
        parsed = _parsed(question, ctx)
        if parsed.how == "parser":
            return replace(parsed, text=f"_The chat model read no figures; the built-in "
                           f"parser answered._\n{parsed.text}")
    return found


def _fallback(question: str, ctx: Context, problem: str) -> Answer:
    """The parser's answer when it has one, said to be one; else a clear error reply."""
    parsed = _parsed(question, ctx)
    if parsed.how in ("parser", "refused"):
        return replace(parsed, text=f"_{_sentence(problem)} The built-in parser answered "
                       f"instead._\n{parsed.text}", how="error")
    return Answer(text=f"{_sentence(problem)} Please try again in a minute, or ask one of the "
                  f"common forms the built-in parser answers: {', '.join(parser.EXAMPLES[:3])}",
                  how="error")


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _database(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url)
