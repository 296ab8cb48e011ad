"""Periods in plain words (last week, 2026-W47, last 4 weeks, in November), bounded."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.weeks import iso_week, week_bounds

MAX_WEEKS = 26
MAX_DAYS = MAX_WEEKS * 7
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTH = (r"(january|february|march|april|may|june|july|august|september|october|november|"
          r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "twelve": 12}
_N = r"(\d{1,3}|" + "|".join(_NUMBERS) + ")"


class PeriodError(ValueError):
    """A period that cannot be read, or longer than the allowed span."""


@dataclass(frozen=True, slots=True)
class Period:
    """Days from `start` to `end`, inclusive, with the words that name them."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> list[str]:
        """ISO weeks that overlap the period, oldest first."""
        out, day = [], self.start - timedelta(days=self.start.weekday())
        while day <= self.end:
            out.append(iso_week(day))
            day += timedelta(days=7)
        return out

    @property
    def week(self) -> str | None:
        """The ISO week when the period is exactly one, else None."""
        weeks = self.weeks
        return weeks[0] if len(weeks) == 1 and self.days == 7 else None

    def describe(self) -> str:
        span = f"{self.start:%a %d %b %Y} to {self.end:%a %d %b %Y}"
        return f"{self.label} ({span})" if self.label else span


def week_period(week: str, label: str | None = None) -> Period:
    monday, sunday = week_bounds(week)
    return Period(monday, sunday, label or week)


def _count(text: str) -> int:
    return _NUMBERS[text] if text in _NUMBERS else int(text)


def _month(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, start=1) if m.startswith(name[:3]))


def _month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return Period(start, end, f"{MONTHS[month - 1].capitalize()} {year}")


def _bounded(period: Period) -> Period:
    if period.end < period.start:
        raise PeriodError(f"{period.label}: the end comes before the start")
    if period.days > MAX_DAYS:
        raise PeriodError(f"{period.label} spans {period.days} days; ask about "
                          f"{MAX_WEEKS} weeks at most")
    return period


Builder = Callable[[re.Match[str], date], Period]


# Each pattern: (regex, builder); searched in this order, the first that matches counts.
def _patterns() -> list[tuple[re.Pattern[str], Builder]]:
    def last_n_weeks(m: re.Match[str], today: date) -> Period:
        n = _count(m.group(1))
        monday = today - timedelta(days=today.weekday())
        return Period(monday - timedelta(days=7 * n), monday - timedelta(days=1),
                      f"the last {n} weeks")

    def last_n_days(m: re.Match[str], today: date) -> Period:
        n = _count(m.group(1))
        return Period(today - timedelta(days=n - 1), today, f"the last {n} days")

    def iso(m: re.Match[str], today: date) -> Period:
        return week_period(f"{m.group(1)}-W{int(m.group(2)):02d}")

    def week_number(m: re.Match[str], today: date) -> Period:
        """The latest week of that number that has begun (not every year has a week 53)."""
        number, year = int(m.group(1)), today.isocalendar()[0]
        for candidate in range(year, year - 7, -1):
            week = f"{candidate}-W{number:02d}"
            try:
                if week_bounds(week)[0] <= today:
                    return week_period(week)
            except ValueError:
                continue
        raise PeriodError(f"there is no ISO week {number}")

    def month_name(m: re.Match[str], today: date) -> Period:
        month = _month(m.group(1))
        year = int(m.group(2)) if m.group(2) else today.year - (month > today.month)
        return _month_period(year, month)

    def month_iso(m: re.Match[str], today: date) -> Period:
        return _month_period(int(m.group(1)), int(m.group(2)))

    def this_month(m: re.Match[str], today: date) -> Period:
        p = _month_period(today.year, today.month)
        return Period(p.start, today, "this month")

    def last_month(m: re.Match[str], today: date) -> Period:
        first = today.replace(day=1) - timedelta(days=1)
        p = _month_period(first.year, first.month)
        return Period(p.start, p.end, f"last month, {p.label}")

    def this_week(m: re.Match[str], today: date) -> Period:
        monday = today - timedelta(days=today.weekday())
        return Period(monday, today, f"this week, {iso_week(today)}")

    def last_week(m: re.Match[str], today: date) -> Period:
        week = iso_week(today - timedelta(days=7))
        return week_period(week, f"last week, {week}")

    def today_(m: re.Match[str], today: date) -> Period:
        return Period(today, today, "today")

    def yesterday(m: re.Match[str], today: date) -> Period:
        return Period(today - timedelta(days=1), today - timedelta(days=1), "yesterday")

    def since(m: re.Match[str], today: date) -> Period:
        start = date.fromisoformat(m.group(1))
        end = date.fromisoformat(m.group(2)) if m.group(2) else today
        return Period(start, end, f"{start} to {end}")

    def day_of(month: str, day: str, year: str | None, today: date) -> date:
        number = _month(month)
        if year:
            return date(int(year), number, int(day))
        found = date(today.year, number, int(day))
        return found if found <= today else date(today.year - 1, number, int(day))

    def month_days(m: re.Match[str], today: date) -> Period:
        """Nov 3, Nov 3 to 10, Nov 3 to Dec 2, since Nov 3: the latest that has begun."""
        start = day_of(m.group(2), m.group(3), m.group(4), today)
        if m.group(6):
            end = day_of(m.group(5) or m.group(2), m.group(6), m.group(4), today)
            if end < start:
                end = date(end.year + 1, end.month, end.day)
        else:
            end = today if m.group(1) == "since" else start
        return Period(start, end, f"{start} to {end}" if end != start else f"{start}")

    def days_month(m: re.Match[str], today: date) -> Period:
        """3 Nov, 3 to 10 Nov, 3 Nov to 2 Dec, since 3 Nov."""
        month = m.group(3) or m.group(5)
        start = day_of(month, m.group(2), None, today)
        if m.group(4):
            end = day_of(m.group(5) or month, m.group(4), None, today)
            if end < start:
                end = date(end.year + 1, end.month, end.day)
        else:
            end = today if m.group(1) == "since" else start
        return Period(start, end, f"{start} to {end}" if end != start else f"{start}")

    def last_n_months(m: re.Match[str], today: date) -> Period:
        """The last N whole months: 'last 3 months' in December is September to November."""
        n = _count(m.group(1))
        end = today.replace(day=1) - timedelta(days=1)
        first = end.replace(day=1)
        for _ in range(n - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        return Period(first, end, f"the last {n} months")

    def quarter(m: re.Match[str], today: date) -> Period:
        start_month = 3 * ((today.month - 1) // 3) + 1
        start = date(today.year, start_month, 1)
        if m.group(1) == "this" or m.group(1) == "current":
            return Period(start, today, f"this quarter, Q{(start_month - 1) // 3 + 1}")
        end = start - timedelta(days=1)
        first = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
        return Period(first, end, f"last quarter, Q{(first.month - 1) // 3 + 1} {first.year}")

    def this_year(m: re.Match[str], today: date) -> Period:
        return Period(date(today.year, 1, 1), today, f"{today.year} so far")

    th = r"(?:st|nd|rd|th)?(?!\d)"
    to = r"\s*(?:to|until|till|through|thru|and|-|–)\s*"
    return [
        (re.compile(r"\b(?:last|past|previous)\s+" + _N + r"\s+weeks?\b"), last_n_weeks),
        (re.compile(r"\b(?:last|past|previous)\s+" + _N + r"\s+days?\b"), last_n_days),
        (re.compile(r"\b(?:last|past|previous)\s+" + _N + r"\s+months?\b"), last_n_months),
        (re.compile(r"\b(this|current|last|previous|past)\s+quarter\b"), quarter),
        (re.compile(r"\b(?:this\s+year|year\s+to\s+date|ytd)\b"), this_year),
        (re.compile(r"\b(\d{4})-?w(\d{1,2})\b"), iso),
        (re.compile(r"\bweek\s+(\d{1,2})\b"), week_number),
        (re.compile(r"\bw(\d{1,2})\b"), week_number),
        (re.compile(r"\b(?:from|since|between)?\s*(\d{4}-\d{2}-\d{2})"
                    r"(?:\s*(?:to|until|and|-|–)\s*(\d{4}-\d{2}-\d{2}))?"), since),
        (re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])\b"), month_iso),
        (re.compile(r"\bthis\s+month\b"), this_month),
        (re.compile(r"\b(?:last|previous|past)\s+month\b"), last_month),
        (re.compile(r"\b(?:this|current)\s+week\b|\bso far\b"), this_week),
        (re.compile(r"\b(?:last|previous|past)\s+week\b"), last_week),
        (re.compile(r"\btoday\b"), today_),
        (re.compile(r"\byesterday\b"), yesterday),
        (re.compile(r"\b(?:(from|since|between)\s+)?" + _MONTH + r"\.?\s+(\d{1,2})" + th +
                    r"(?:,?\s+(\d{4}))?(?:" + to + r"(?:" + _MONTH + r"\.?\s+)?(\d{1,2})" + th +
                    r")?"), month_days),
        (re.compile(r"\b(?:(from|since|between)\s+)?(\d{1,2})" + th + r"(?:\s+(?:of\s+)?" +
                    _MONTH + r")?(?:" + to + r"(\d{1,2})" + th + r")?\s+(?:of\s+)?" + _MONTH +
                    r"\b"), days_month),
        # "May" is a word too: a month needs a preposition before it or a year after it.
        (re.compile(r"\b(?:in|during|for|of|over|since)\s+" + _MONTH + r"\b(?:\s+(\d{4}))?"),
         month_name),
        (re.compile(r"\b" + _MONTH + r"\s+(\d{4})\b"), month_name),
    ]


def find_period(text: str, *, today: date) -> Period | None:
    """The first period named in `text`, bounded to 26 weeks and to `today`; None if none."""
    lowered = text.lower()
    for pattern, build in _patterns():
        match = pattern.search(lowered)
        if match is None:
            continue
        try:
            period = build(match, today)
        except ValueError as exc:
            raise PeriodError(f"{match.group(0)!r} is not a period I can read: {exc}") from exc
        if period.start > today:
            raise PeriodError(f"{period.label} has not started yet")
        if period.end > today:
            period = Period(period.start, today, period.label)
        return _bounded(period)
    return None


def parse_period(text: str | None, *, today: date) -> Period:
    """A period from its words; empty means last week. PeriodError when unreadable or too long."""
    if not text or not text.strip():
        week = iso_week(today - timedelta(days=7))
        return week_period(week, f"last week, {week}")
    found = find_period(text, today=today)
    if found is None:
        raise PeriodError(f"{text!r} is not a period I can read; say last week, this week, "
                          f"2026-W47, last 4 weeks, or a month like November")
    return found


def find_periods(text: str, *, today: date) -> list[Period]:
    """Every period named in `text`, in the order written ("this week vs last week")."""
    lowered = text.lower()
    found: list[tuple[int, Period]] = []
    taken: list[tuple[int, int]] = []
    for pattern, _build in _patterns():
        for match in pattern.finditer(lowered):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            period = find_period(match.group(0), today=today)
            if period is not None:
                taken.append(span)
                found.append((span[0], period))
    return [p for _, p in sorted(found, key=lambda f: f[0])]


def previous(period: Period) -> Period:
    """The period just before: the week before a week, the month before a month, else as long."""
    if period.week is not None:
        monday = period.start - timedelta(days=7)
        return week_period(iso_week(monday))
    if period.start.day == 1 and period.label and "month" in period.label or (
            period.start.day == 1 and any(m.capitalize() in period.label for m in MONTHS)):
        last = period.start - timedelta(days=1)
        return _month_period(last.year, last.month)
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1),
                  "")
