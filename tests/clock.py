"""The suite's clock: the one "now" every test takes its weeks and dates from.

No test may depend on the day it runs on, so no test names a literal week or date: each one
derives what it needs from `SUITE_NOW`.

`AI_COST_TEST_NOW` sets it: an ISO 8601 time (`YYYY-MM-DDTHH:MM:SSZ`; without a zone: UTC) or
an offset from the real now (`+60d`, `-2w`, `+36h`). Unset, it is the real now. Either way it is
truncated to the hour, so every test of a run sees the same clock. `make test` runs the tests
marked `dated` a second time 60 days ahead (`AI_COST_TEST_NOW=+60d pytest -m dated`), so a test
that only passes on the day it is written fails the day it is written.

From `SUITE_NOW`:
- `WEEK`: the last complete ISO week before it (the week before the one it is in), as
  YYYY-Www; `WEEK_MONDAY` (a date) and `WEEK_START` (its Monday 00:00 UTC).
- `at(WEEK, 9, 12)`: 9 days after WEEK's Monday at 12:00 UTC, i.e. the Wednesday after at noon.
- `week_of(day)`, `monday_of(week)`, `weeks_before(week, n)`, `weeks_after(week, n)`.
- `iso(moment)` for `AI_COST_NOW` and `--once-at`; `cli_env()` for subprocesses of the CLI.

Commands run through the CLI take their "now" from `AI_COST_NOW` (Settings.now): tests set it
to `SUITE_NOW_ISO` (the `cli_clock` fixture in tests/conftest.py, or `cli_env()`).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta

ENV = "AI_COST_TEST_NOW"
_OFFSET = re.compile(r"([+-])\s*(\d+)\s*([dwh])")
_UNITS = {"d": timedelta(days=1), "w": timedelta(weeks=1), "h": timedelta(hours=1)}
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def parse_now(text: str | None, *, real: datetime | None = None) -> datetime:
    """The suite's now from the value of AI_COST_TEST_NOW (None or empty: the real now)."""
    real = (real or datetime.now(UTC)).astimezone(UTC)
    text = (text or "").strip()
    if not text:
        return _hour(real)
    offset = _OFFSET.fullmatch(text)
    if offset:
        sign, count, unit = offset.groups()
        step = _UNITS[unit] * int(count)
        return _hour(real + step if sign == "+" else real - step)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{ENV}={text!r}: neither an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ) "
                         f"nor an offset from now (+60d, -2w, +36h)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _hour(moment.astimezone(UTC))


def week_of(day: date | datetime) -> str:
    """The ISO week of a day (of a moment, in UTC), as YYYY-Www."""
    if isinstance(day, datetime):
        day = day.astimezone(UTC).date()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(week: str) -> date:
    """The Monday of an ISO week (YYYY-Www)."""
    match = _WEEK.fullmatch(week)
    if match is None:
        raise ValueError(f"{week!r} is not an ISO week (YYYY-Www)")
    return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)


def weeks_before(week: str, n: int = 1) -> str:
    """The ISO week `n` weeks before `week`."""
    return week_of(monday_of(week) - timedelta(weeks=n))


def weeks_after(week: str, n: int = 1) -> str:
    """The ISO week `n` weeks after `week`."""
    return week_of(monday_of(week) + timedelta(weeks=n))


def at(week: str, day: int = 0, hour: int = 0, minute: int = 0) -> datetime:
    """`day` days after the Monday of `week` at hour:minute UTC, an aware datetime.

    day 0 is the Monday, 6 its Sunday, 7 the Monday after, 9 the Wednesday after.
    """
    monday = monday_of(week)
    return datetime(monday.year, monday.month, monday.day, hour, minute, tzinfo=UTC) + \
        timedelta(days=day)


def iso(moment: datetime) -> str:
    """A moment as the ISO 8601 text AI_COST_NOW and --once-at take (UTC, with its offset)."""
    return moment.astimezone(UTC).isoformat()


SUITE_NOW: datetime = parse_now(os.environ.get(ENV))
SUITE_NOW_ISO: str = iso(SUITE_NOW)
WEEK: str = week_of(SUITE_NOW.date() - timedelta(days=7))
WEEK_MONDAY: date = monday_of(WEEK)
WEEK_START: datetime = at(WEEK)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess of the CLI: this one's, on the suite's clock."""
    return {**os.environ, "AI_COST_NOW": SUITE_NOW_ISO, **extra}


def describe() -> str:
    """One line for the test report's header."""
    source = os.environ.get(ENV) or "unset: the real now"
    return f"suite clock: {SUITE_NOW_ISO} ({ENV} {source}); WEEK {WEEK}"
