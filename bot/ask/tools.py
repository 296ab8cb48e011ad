"""The read-only tools a chat model may call: each checks its arguments, then reads the store.

A tool never runs SQL the model wrote: its arguments are names and words, checked against the
data (known teams, users, models, GPU types), the viewer's rights, a period of at most 26 weeks
and at most 20 rows; the queries bind them as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from bot.ask import facts, insights
from bot.ask.access import AccessDenied
from bot.ask.answer import Answer
from bot.ask.periods import PeriodError, parse_period, previous
from bot.ask.subjects import MAX_NAME_CHARS, AskError, Context, resolve

Metric = Literal["cost", "energy", "co2e", "gpu_hours"]
PERIOD_HELP = ("Period in words: 'last week' (default), 'this week', '2026-W47', 'last 4 weeks', "
               "'November', '2026-11', '2026-11-01 to 2026-11-15'. At most 26 weeks.")


class ReadOnlyViolation(RuntimeError):
    """Something tried to write while a question was being answered."""


@contextmanager
def read_only(session: Session) -> Iterator[None]:
    """Refuse any INSERT, UPDATE or DELETE and any flush on `session` inside the block."""
    def no_writes(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            raise ReadOnlyViolation("answering a question never writes to the store")

    def no_flush(*_: Any) -> None:
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyViolation("answering a question never writes to the store")

    event.listen(session, "do_orm_execute", no_writes)
    event.listen(session, "before_flush", no_flush)
    try:
        yield
    finally:
        event.remove(session, "do_orm_execute", no_writes)
        event.remove(session, "before_flush", no_flush)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field("last week", max_length=MAX_NAME_CHARS, description=PERIOD_HELP)


class SubjectArgs(_Args):
    team: str | None = Field(None, max_length=MAX_NAME_CHARS,
                             description="Team name. Omit for the asker's own team.")
    user: str | None = Field(None, max_length=MAX_NAME_CHARS, description="Cluster user name.")
    model: str | None = Field(None, max_length=MAX_NAME_CHARS,
                              description="Model name, or a part of it (llama-3-70b).")
    gpu_type: str | None = Field(None, max_length=MAX_NAME_CHARS,
                                 description="GPU type or a part of it: A100, H100, L4.")
    cluster: str | None = Field(None, max_length=MAX_NAME_CHARS,
                                description="Cluster name or a part of it.")
    job: str | None = Field(None, max_length=MAX_NAME_CHARS,
                            description="One job: its id or a part of its name.")
    mine: bool = Field(False, description="Only the asker's own jobs.")
    whole_organisation: bool = Field(False, description="Every team (approvers and FinOps).")


class UsageArgs(SubjectArgs):
    metric: Metric = Field("cost", description="What the question is about first.")


class TopJobsArgs(SubjectArgs):
    by: Literal["cost", "energy", "co2e", "gpu_hours", "waste", "waste_energy"] = Field(
        "cost", description="Rank jobs by this; waste: what the best suggestion saves in $ "
        "(the digest's worst, 'most wasteful'); waste_energy: in kWh.")
    limit: int = Field(5, ge=1, le=facts.MAX_ROWS, description="How many jobs, 1 to 20.")


class SuggestionArgs(SubjectArgs):
    state: Literal["open", "approved", "applied", "dismissed", "any"] = "open"
    kind: Literal["model_swap", "fewer_gpus", "smaller_gpu", "release", "precision",
                  "batching"] | None = Field(None, description="Only this kind of change.")
    limit: int = Field(5, ge=1, le=facts.MAX_ROWS, description="How many, 1 to 20.")


class BreakdownArgs(SubjectArgs):
    by: Literal["team", "cluster", "gpu_type", "user", "model"] = Field(
        "team", description="Group the totals by this.")
    metric: Metric = Field("cost", description="Sort the groups by this.")
    lowest_first: bool = Field(False, description="Cheapest or smallest first.")


class CompareArgs(_Args):
    teams: list[str] = Field(default_factory=list, max_length=6,
                             description="Two or more teams to compare over one period.")
    users: list[str] = Field(default_factory=list, max_length=6,
                             description="Two or more cluster users to compare.")
    other_period: str | None = Field(None, max_length=MAX_NAME_CHARS, description="Compare "
                                     "`period` with this one (one team, user or the whole "
                                     "organisation); 'previous' for the period just before.")
    team: str | None = Field(None, max_length=MAX_NAME_CHARS,
                             description="The team whose periods are compared.")
    whole_organisation: bool = Field(False, description="Compare the organisation's periods.")
    metric: Metric = Field("cost", description="What to compare.")


class IdleArgs(_Args):
    cluster: str | None = Field(None, max_length=MAX_NAME_CHARS, description="One cluster.")


class TeamArgs(_Args):
    team: str | None = Field(None, max_length=MAX_NAME_CHARS,
                             description="Team name. Omit for the asker's own team.")


class Toolbox:
    """The tools bound to one question: its context, and the answers the tools gave."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.answers: list[Answer] = []
        self.calls = 0  # tool calls the model made, refused ones too
        self.tools: dict[str, BaseTool] = {t.name: t for t in self._build()}

    def _subject(self, args: SubjectArgs, *, detail: bool) -> facts.Subject:
        return resolve(self.ctx, team=args.team, user=args.user, model=args.model,
                       gpu_type=args.gpu_type, mine=args.mine, org=args.whole_organisation,
                       detail=detail or args.job is not None, cluster=args.cluster,
                       job=args.job)

    def _team(self, team: str | None) -> str:
        subject = resolve(self.ctx, team=team, ours=team is None, detail=True)
        if subject.team is None:
            raise AskError("name one team")
        return subject.team

    def _build(self) -> list[BaseTool]:
        today = self.ctx.today

        def usage(**kw: Any) -> str:
            args = UsageArgs(**kw)
            return self._keep(facts.usage(self.ctx, self._subject(args, detail=False),
                                          parse_period(args.period, today=today), args.metric))

        def top_jobs(**kw: Any) -> str:
            args = TopJobsArgs(**kw)
            return self._keep(facts.top_jobs(self.ctx, self._subject(args, detail=True),
                                             parse_period(args.period, today=today),
                                             by=args.by, limit=args.limit))

        def team_label(**kw: Any) -> str:
            args = TeamArgs(**kw)
            return self._keep(facts.label(self.ctx, self._team(args.team),
                                          parse_period(args.period, today=today)))

        def suggestions(**kw: Any) -> str:
            args = SuggestionArgs(**kw)
            states = None if args.state == "any" else (args.state,)
            return self._keep(facts.suggestions(
                self.ctx, self._subject(args, detail=True),
                parse_period(args.period, today=today), states=states,
                kinds=(args.kind,) if args.kind else None, limit=args.limit))

        def budget(**kw: Any) -> str:
            args = TeamArgs(**kw)
            return self._keep(facts.budget(self.ctx, self._team(args.team),
                                           parse_period(args.period, today=today)))

        def breakdown(**kw: Any) -> str:
            args = BreakdownArgs(**kw)
            plain = args.by in ("team", "cluster", "gpu_type")
            whole = plain and not (args.team or args.user or args.mine or args.model)
            subject = resolve(self.ctx, team=args.team, user=args.user, model=args.model,
                              gpu_type=args.gpu_type, mine=args.mine, cluster=args.cluster,
                              org=args.whole_organisation or whole, detail=not plain)
            return self._keep(insights.breakdown(
                self.ctx, subject, parse_period(args.period, today=today), by=args.by,
                metric=args.metric, ascending=args.lowest_first))

        def compare(**kw: Any) -> str:
            args = CompareArgs(**kw)
            period = parse_period(args.period, today=today)
            if len(args.teams) >= 2:
                sides = [(resolve(self.ctx, team=t), period) for t in args.teams]
            elif len(args.users) >= 2:
                sides = [(resolve(self.ctx, user=u), period) for u in args.users]
            else:
                team = args.team or (args.teams[0] if args.teams else None)
                subject = resolve(self.ctx, team=team, ours=team is None and not
                                  args.whole_organisation, org=args.whole_organisation)
                other = (previous(period) if args.other_period in (None, "previous")
                         else parse_period(args.other_period, today=today))
                sides = [(subject, period), (subject, other)]
            return self._keep(insights.compare(self.ctx, sides, metric=args.metric))

        def savings(**kw: Any) -> str:
            args = SubjectArgs(**kw)
            return self._keep(insights.savings(self.ctx, self._subject(args, detail=True),
                                               parse_period(args.period, today=today)))

        def realized_savings(**kw: Any) -> str:
            args = SubjectArgs(**kw)
            return self._keep(insights.realized(self.ctx, self._subject(args, detail=False),
                                                parse_period(args.period, today=today)))

        def idle_capacity(**kw: Any) -> str:
            args = IdleArgs(**kw)
            return self._keep(insights.idle(self.ctx, parse_period(args.period, today=today),
                                            cluster=args.cluster))

        def why_flagged(**kw: Any) -> str:
            args = SubjectArgs(**kw)
            return self._keep(insights.flagged(self.ctx, self._subject(args, detail=True),
                                               parse_period(args.period, today=today),
                                               job=args.job))

        specs: list[tuple[Callable[..., str], type[BaseModel], str]] = [
            (usage, UsageArgs, "Energy (kWh), cost ($), CO2e (kg) and GPU-hours of a team, "
             "user, model or GPU type over a period."),
            (top_jobs, TopJobsArgs, "Jobs ranked: most wasteful (by=waste, the digest's "
             "worst), most expensive (cost), or by energy, CO2e or GPU-hours."),
            (breakdown, BreakdownArgs, "Totals per team, cluster, GPU type, user or model, "
             "largest first: 'which team spent most', 'cost by GPU type'."),
            (compare, CompareArgs, "Two or more teams side by side over a period, or one "
             "subject over two periods ('change since last week', 'this month vs last')."),
            (savings, SubjectArgs, "What could be saved: each run's best suggestion, summed."),
            (realized_savings, SubjectArgs, "What applied (approved) swaps measurably saved."),
            (idle_capacity, IdleArgs, "Idle capacity per cluster: GPU-hours no job held and "
             "their cost."),
            (why_flagged, SubjectArgs, "Why a job (or a subject's jobs) is flagged: the "
             "judge's reasons and the best fix."),
            (team_label, TeamArgs, "A team's weekly energy label (A best to G) and which jobs "
             "weigh on it."),
            (suggestions, SuggestionArgs, "Suggested right-sized or distilled alternatives for "
             "jobs, with their state and savings per week."),
            (budget, TeamArgs, "A team's weekly budget (kWh or $) against its usage."),
        ]
        return [StructuredTool.from_function(func=f, name=f.__name__, description=d,
                                             args_schema=schema)
                for f, schema, d in specs]

    def _keep(self, answer: Answer) -> str:
        self.answers.append(answer)
        return json.dumps({"text": answer.text, "numbers": answer.numbers,
                           "rows": list(answer.rows),
                           "source": [s.describe() for s in answer.sources]}, default=str)

    def run(self, name: str, args: Any) -> tuple[str, bool]:
        """Run tool `name` on `args`: (result, True), or (why it was refused, False)."""
        self.calls += 1
        tool = self.tools.get(name)
        if tool is None:
            return (f"refused: there is no tool {name!r}. The only tools are read-only: "
                    f"{', '.join(self.tools)}. Nothing can be approved or changed here."), False
        if not isinstance(args, dict):
            return "refused: tool arguments must be an object", False
        try:
            return str(tool.invoke(args)), True
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                 for e in exc.errors())
            return f"refused: invalid arguments for {name}: {problems}", False
        except (AskError, AccessDenied, PeriodError) as exc:
            return f"refused: {exc}", False
        except SQLAlchemyError as exc:
            return f"error: {name} could not read the store ({type(exc).__name__})", False
