"""ISO weeks, always in UTC: the one place that says where a week starts and ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

HOURS_PER_WEEK = 168
WEEK_S = HOURS_PER_WEEK * 3600


def iso_week(day: date) -> str:
    """The ISO week of a day, written 2026-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written 2026-W47; ValueError if it is not one."""
    try:
        year_text, week_text = week.upper().split("-W")
        monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError as exc:
        raise ValueError(f"{week!r} is not an ISO week like 2026-W47") from exc
    return monday, monday + timedelta(days=6)


def previous_week(week: str) -> str:
    """The ISO week before `week`."""
    return iso_week(week_bounds(week)[0] - timedelta(days=7))


def week_start(week: str) -> datetime:
    """Monday 00:00 UTC of `week`."""
    monday, _ = week_bounds(week)
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def week_end(week: str) -> datetime:
    """The next Monday 00:00 UTC: the instant `week` is over."""
    return week_start(week) + timedelta(days=7)


def week_of(moment: datetime) -> str:
    """The ISO week (UTC) that `moment` falls in."""
    return iso_week(moment.astimezone(UTC).date())


def last_complete_week(now: datetime) -> str:
    """The latest ISO week that has ended in UTC at `now`: the default week everywhere."""
    return iso_week(now.astimezone(UTC).date() - timedelta(days=7))


def hours_elapsed(week: str, now: datetime) -> float:
    """Hours of `week` that have passed at `now` (0 to 168)."""
    seconds = (now - week_start(week)).total_seconds()
    return max(0.0, min(float(HOURS_PER_WEEK), seconds / 3600.0))


def is_over(week: str, now: datetime) -> bool:
    """Whether `week` has ended in UTC at `now`."""
    return now >= week_end(week)
