"""The deterministic parser on a table of phrasings, and the periods it reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.ask.parser import parse
from bot.ask.periods import PeriodError, find_period, parse_period
from storage.ask_queries import KnownNames

TODAY = date(2026, 11, 25)  # Wednesday of 2026-W48
KNOWN = KnownNames(
    teams=frozenset({"nlp", "vision", "speech", "research"}),
    users=frozenset({"alice", "bob", "dave", "erin"}),
    models=frozenset({"meta-llama/Llama-3.1-70B-Instruct", "bert-base-uncased"}),
    gpu_types=frozenset({"NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"}),
)
W47 = (date(2026, 11, 16), date(2026, 11, 22))

# question -> the fields the query must have ("start"/"end": the period's days).
TABLE: list[tuple[str, dict[str, Any]]] = [
    ("how much did team vision spend on A100s last week?",
     {"intent": "usage", "metric": "cost", "team": "vision", "gpu_type": "A100",
      "period": W47}),
    ("How much energy did the nlp team use in 2026-W47?",
     {"intent": "usage", "metric": "energy", "team": "nlp", "period": W47}),
    ("kWh of team speech last week", {"intent": "usage", "metric": "energy", "team": "speech"}),
    ("What was our CO2 footprint this week?",
     {"intent": "usage", "metric": "co2e", "ours": True,
      "period": (date(2026, 11, 23), TODAY)}),
    ("carbon emissions of research in November",
     {"intent": "usage", "metric": "co2e", "team": "research",
      "period": (date(2026, 11, 1), TODAY)}),
    ("how much did I spend last month?",
     {"intent": "usage", "metric": "cost", "mine": True,
      "period": (date(2026, 10, 1), date(2026, 10, 31))}),
    ("what did my jobs cost in the last 4 weeks",
     {"intent": "usage", "mine": True, "period": (date(2026, 10, 26), date(2026, 11, 22))}),
    ("cost of user erin yesterday",
     {"intent": "usage", "user": "erin", "period": (date(2026, 11, 24), date(2026, 11, 24))}),
    ("how much did dave spend in week 46?",
     {"intent": "usage", "user": "dave", "period": (date(2026, 11, 9), date(2026, 11, 15))}),
    ("energy used by model llama-3.1-70b last week",
     {"intent": "usage", "metric": "energy", "model": "llama-3.1-70b"}),
    ("how much does bert-base-uncased cost us?",
     {"intent": "usage", "model": "bert-base-uncased", "ours": True, "period": None}),
    ("How many GPU hours did vision use on H100s in October?",
     {"intent": "usage", "metric": "gpu_hours", "team": "vision", "gpu_type": "H100",
      "period": (date(2026, 10, 1), date(2026, 10, 31))}),
    ("total spend of the organisation in the past 2 weeks",
     {"intent": "usage", "org": True, "period": (date(2026, 11, 9), date(2026, 11, 22))}),
    ("electricity of all teams 2026-11", {"intent": "usage", "metric": "energy", "org": True}),
    ("$ spent by team nlp on L4 GPUs today",
     {"intent": "usage", "metric": "cost", "team": "nlp", "gpu_type": "L4",
      "period": (TODAY, TODAY)}),
    ("how much did we spend from 2026-11-02 to 2026-11-08",
     {"intent": "usage", "ours": True, "period": (date(2026, 11, 2), date(2026, 11, 8))}),
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
    ("energy rating of research in 2026-W46", {"intent": "label", "team": "research"}),
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
        find_period("2026-W52", today=TODAY)
    assert find_period("may I ask something", today=TODAY) is None  # "may" is a word too
    assert find_period("in may", today=TODAY).start == date(2026, 5, 1)  # type: ignore[union-attr]
    assert parse_period(None, today=TODAY).week == "2026-W47"
    with pytest.raises(PeriodError, match="not a period"):
        parse_period("whenever", today=TODAY)
