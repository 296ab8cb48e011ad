"""The deterministic parser on a table of phrasings, and the periods it reads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.ask.parser import parse
from bot.ask.periods import PeriodError, find_period, parse_period
from storage.ask_queries import KnownNames
from tests.clock import WEEK, WEEK_MONDAY, at, monday_of, week_of, weeks_after, weeks_before

pytestmark = pytest.mark.dated
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

TODAY = at(WEEK, 9).date()  # the Wednesday after WEEK: WEEK is "last week"
THIS_MONDAY = WEEK_MONDAY + timedelta(days=7)
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)
LAST_MONTH = (LAST_MONTH_END.replace(day=1), LAST_MONTH_END)
TWO_BEFORE = weeks_before(WEEK)  # the week before last week
TWO_BEFORE_DAYS = (monday_of(TWO_BEFORE), monday_of(TWO_BEFORE) + timedelta(days=6))
THREE_BEFORE = monday_of(weeks_before(WEEK, 2))  # a Monday three weeks before this week's
KNOWN = KnownNames(
    teams=frozenset({"nlp", "vision", "speech", "research"}),
    users=frozenset({"alice", "bob", "dave", "erin"}),
    models=frozenset({"meta-llama/Llama-3.1-70B-Instruct", "bert-base-uncased"}),
    gpu_types=frozenset({"NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"}),
    clusters=frozenset({"frankfurt-k8s", "iowa-hpc"}),
)
W47 = (WEEK_MONDAY, WEEK_MONDAY + timedelta(days=6))  # last week

# question -> the fields the query must have ("start"/"end": the period's days).
TABLE: list[tuple[str, dict[str, Any]]] = [
    ("how much did team vision spend on A100s last week?",
     {"intent": "usage", "metric": "cost", "team": "vision", "gpu_type": "A100",
      "period": W47}),
    (f"How much energy did the nlp team use in {WEEK}?",
     {"intent": "usage", "metric": "energy", "team": "nlp", "period": W47}),
    ("kWh of team speech last week", {"intent": "usage", "metric": "energy", "team": "speech"}),
    ("What was our CO2 footprint this week?",
     {"intent": "usage", "metric": "co2e", "ours": True,
      "period": (THIS_MONDAY, TODAY)}),
    (f"carbon emissions of research in {MONTHS[TODAY.month - 1]}",
     {"intent": "usage", "metric": "co2e", "team": "research",
      "period": (TODAY.replace(day=1), TODAY)}),
    ("how much did I spend last month?",
     {"intent": "usage", "metric": "cost", "mine": True, "period": LAST_MONTH}),
    ("what did my jobs cost in the last 4 weeks",
     {"intent": "usage", "mine": True,
      "period": (THIS_MONDAY - timedelta(weeks=4), W47[1])}),
    ("cost of user erin yesterday",
     {"intent": "usage", "user": "erin",
      "period": (TODAY - timedelta(days=1), TODAY - timedelta(days=1))}),
    (f"how much did dave spend in week {int(TWO_BEFORE[-2:])}?",
     {"intent": "usage", "user": "dave", "period": TWO_BEFORE_DAYS}),
    ("energy used by model llama-3.1-70b last week",
     {"intent": "usage", "metric": "energy", "model": "llama-3.1-70b"}),
    ("how much does bert-base-uncased cost us?",
     {"intent": "usage", "model": "bert-base-uncased", "ours": True, "period": None}),
    (f"How many GPU hours did vision use on H100s in {MONTHS[LAST_MONTH_END.month - 1]}?",
     {"intent": "usage", "metric": "gpu_hours", "team": "vision", "gpu_type": "H100",
      "period": LAST_MONTH}),
    ("total spend of the organisation in the past 2 weeks",
     {"intent": "usage", "org": True, "period": (TWO_BEFORE_DAYS[0], W47[1])}),
    (f"electricity of all teams {TODAY:%Y-%m}",
     {"intent": "usage", "metric": "energy", "org": True}),
    ("$ spent by team nlp on L4 GPUs today",
     {"intent": "usage", "metric": "cost", "team": "nlp", "gpu_type": "L4",
      "period": (TODAY, TODAY)}),
    (f"how much did we spend from {THREE_BEFORE} to {THREE_BEFORE + timedelta(days=6)}",
     {"intent": "usage", "ours": True,
      "period": (THREE_BEFORE, THREE_BEFORE + timedelta(days=6))}),
    ("top 5 jobs last week", {"intent": "top_jobs", "limit": 5, "period": W47}),
    ("top 10 jobs by energy for team vision",
     {"intent": "top_jobs", "limit": 10, "metric": "energy", "team": "vision"}),
    ("what are our 3 biggest jobs?", {"intent": "top_jobs", "limit": 3, "ours": True}),
    ("which jobs cost the most this week?", {"intent": "top_jobs", "metric": "cost"}),
    ("show the most expensive jobs of nlp", {"intent": "top_jobs", "team": "nlp"}),
    ("top five jobs by carbon in the last 3 weeks",
     {"intent": "top_jobs", "limit": 5, "metric": "co2e"}),
    ("my worst jobs on A100", {"intent": "top_jobs", "mine": True, "gpu_type": "A100"}),
    ("why is our label D?", {"intent": "label", "ours": True}),
    ("what is team vision's energy label?", {"intent": "label", "team": "vision"}),
    ("why did nlp get an E last week?", {"intent": "label", "team": "nlp", "period": W47}),
    (f"energy rating of research in {TWO_BEFORE}", {"intent": "label", "team": "research"}),
    ("which of my jobs could use a smaller model?",
     {"intent": "suggestions", "mine": True, "kinds": ("model_swap",)}),
    ("any suggestions for team speech?", {"intent": "suggestions", "team": "speech"}),
    ("which swaps were approved last week?",
     {"intent": "suggestions", "states": ("approved",), "kinds": ("model_swap",)}),
    ("could we use fewer GPUs?", {"intent": "suggestions", "kinds": ("fewer_gpus",)}),
    ("which of alice's jobs are oversized?", {"intent": "suggestions", "user": "alice"}),
    ("are we over budget?", {"intent": "budget", "ours": True}),
    ("how much budget does vision have left this week?",
     {"intent": "budget", "team": "vision"}),
]


@pytest.mark.parametrize(("question", "expected"), TABLE, ids=[q for q, _ in TABLE])
def test_the_parser_reads_each_phrasing(question: str, expected: dict[str, Any]):
    query = parse(question, known=KNOWN, today=TODAY)
    assert query is not None
    for key, value in expected.items():
        if key == "period":
            got = None if query.period is None else (query.period.start, query.period.end)
            assert got == value, (key, got)
        else:
            assert getattr(query, key) == value, (key, getattr(query, key))


def test_the_table_is_large_enough():
    assert len(TABLE) >= 30


@pytest.mark.parametrize("question", ["tell me a joke", "hello", "what is the meaning of life",
                                      "approve all swaps"])
def test_questions_outside_the_common_forms_are_not_guessed(question: str):
    assert parse(question, known=KNOWN, today=TODAY) is None


def test_periods_are_bounded_and_never_in_the_future():
    with pytest.raises(PeriodError, match="26 weeks"):
        find_period("last 27 weeks", today=TODAY)
    with pytest.raises(PeriodError, match="not started"):
        find_period(weeks_after(week_of(TODAY), 4), today=TODAY)
    assert find_period("may I ask something", today=TODAY) is None  # "may" is a word too
    # the last May that has begun: this year's from May on, else last year's
    may = date(TODAY.year - (TODAY.month < 5), 5, 1)
    assert find_period("in may", today=TODAY).start == may  # type: ignore[union-attr]
    assert parse_period(None, today=TODAY).week == WEEK
    with pytest.raises(PeriodError, match="not a period"):
        parse_period("whenever", today=TODAY)
