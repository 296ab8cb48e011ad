"""`ask`'s week numbers across a year boundary, on any date."""

from __future__ import annotations

from datetime import date

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
