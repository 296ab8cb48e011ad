"""`ask`'s periods in words: week numbers across a year boundary, days of a month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.ask.periods import parse_period
from tests.clock import SUITE_NOW


def _year_after_a_53_week_year() -> int:
    year = SUITE_NOW.year
    while date(year - 1, 12, 28).isocalendar()[1] != 53:
        year += 1
    return year


def test_week_53_early_in_a_year_without_one_is_last_years() -> None:
    year = _year_after_a_53_week_year()
    today = date.fromisocalendar(year, 2, 3)  # Wednesday of week 2: no week 53 this year
    period = parse_period("week 53", today=today)
    assert period.week == f"{year - 1}-W53"
    assert period.week is not None and period.start <= today
    assert parse_period("week 1", today=today).week == f"{year}-W01"


@pytest.mark.dated
def test_days_in_words_are_read_as_the_latest_that_has_begun() -> None:
    today = SUITE_NOW.date()
    prev = today.replace(day=1) - timedelta(days=1)  # a day of last month
    span = (prev.replace(day=3), prev.replace(day=10))
    for words in (f"from {prev:%b} 3 to {prev:%b} 10", f"3 to 10 {prev:%B}",
                  f"between {prev:%B} 3rd and 10th", f"{prev:%d %b}".replace(
                      f"{prev:%d}", "3") + f" to 10 {prev:%b}"):
        period = parse_period(words.lower(), today=today)
        assert (period.start, period.end) == span, words
    since = parse_period(f"since {prev:%b} 20", today=today)
    assert (since.start, since.end) == (prev.replace(day=20), today)
    one = parse_period(f"on {prev:%b} 3", today=today)
    assert (one.start, one.end) == (span[0], span[0])


@pytest.mark.dated
def test_months_and_quarters_are_whole_ones_before_today() -> None:
    today = SUITE_NOW.date()
    last = parse_period("the last 3 months", today=today)
    assert last.end == today.replace(day=1) - timedelta(days=1) and last.start.day == 1
    assert len({(d.year, d.month) for d in (last.start, last.end)}) == 2
    assert (last.end.year * 12 + last.end.month) - (last.start.year * 12 + last.start.month) == 2
    quarter = parse_period("last quarter", today=today)
    this = parse_period("this quarter", today=today)
    assert quarter.end == this.start - timedelta(days=1) and this.end == today
    assert quarter.start.day == 1 and (quarter.start.month - 1) % 3 == 0
