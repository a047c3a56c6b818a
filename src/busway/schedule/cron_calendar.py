"""Which days of a month a cron names, and its next wall-clock minute.

The search jumps field by field (year, month, day, hour, minute) with bisection over
the sorted values, so it never walks minute by minute; a cron that can never fire again
costs at most one pass over its remaining months.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from datetime import date, datetime, timedelta
from functools import lru_cache

from busway.schedule.expression import (
    AnyDay,
    Cron,
    DayRule,
    LastDayOfMonth,
    LastWeekdayInMonth,
    LastWeekdayOfMonth,
    MonthDays,
    NearestWeekday,
    NthWeekday,
    WeekDays,
)

_SATURDAY, _SUNDAY = 7, 1
_MINUTE = timedelta(minutes=1)


def aws_weekday(day: date) -> int:
    """AWS's day-of-week number: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def next_wall_time(cron: Cron, after: datetime) -> datetime | None:
    """The first naive wall-clock minute strictly after ``after`` that ``cron`` names,
    ignoring time zones; ``None`` once its years are over."""
    floor = after.replace(second=0, microsecond=0) + _MINUTE
    rest = (floor.month, floor.day, floor.hour, floor.minute)
    for year in _from(cron.years, floor.year):
        found = _in_year(cron, year, rest if year == floor.year else None)
        if found is not None:
            return found
    return None


def days_in_month(cron: Cron, year: int, month: int) -> tuple[int, ...]:
    """The sorted days of ``month`` that the cron's day fields name."""
    rule = cron.day_of_week if isinstance(cron.day_of_month, AnyDay) else cron.day_of_month
    return _days(rule, year, month)


def _from(values: tuple[int, ...], least: int) -> tuple[int, ...]:
    return values[bisect_left(values, least) :]


# Each level gets the rest of the floor (month, day, hour, minute) while the levels above
# sit exactly on it, and None once they have moved past it (start from the beginning).
def _in_year(cron: Cron, year: int, floor: tuple[int, ...] | None) -> datetime | None:
    for month in _from(cron.months, floor[0] if floor else 1):
        rest = floor[1:] if floor and month == floor[0] else None
        found = _in_month(cron, year, month, rest)
        if found is not None:
            return found
    return None


def _in_month(cron: Cron, year: int, month: int, floor: tuple[int, ...] | None) -> datetime | None:
    for day in _from(days_in_month(cron, year, month), floor[0] if floor else 1):
        time = _in_day(cron, floor[1:] if floor and day == floor[0] else None)
        if time is not None:
            return datetime(year, month, day, *time)
    return None


def _in_day(cron: Cron, floor: tuple[int, ...] | None) -> tuple[int, int] | None:
    for hour in _from(cron.hours, floor[0] if floor else 0):
        minutes = _from(cron.minutes, floor[1] if floor and hour == floor[0] else 0)
        if minutes:
            return hour, minutes[0]
    return None


@lru_cache(maxsize=65536)
def _days(rule: DayRule, year: int, month: int) -> tuple[int, ...]:
    first_weekday, last = calendar.monthrange(year, month)
    first = (first_weekday + 1) % 7 + 1
    match rule:
        case MonthDays(days):
            return tuple(day for day in days if day <= last)
        case WeekDays(weekdays):
            return tuple(d for d in range(1, last + 1) if (first + d - 2) % 7 + 1 in weekdays)
        case LastDayOfMonth(offset):
            return (last - offset,) if offset < last else ()
        case LastWeekdayOfMonth():
            return (_weekday_near(year, month, last),)
        case NearestWeekday(day):
            return (_weekday_near(year, month, day),) if day <= last else ()
        case LastWeekdayInMonth(weekday):
            return (last - (_weekday_of(first, last) - weekday) % 7,)
        case NthWeekday(weekday, nth):
            day = 1 + (weekday - first) % 7 + 7 * (nth - 1)
            return (day,) if day <= last else ()
    return ()


def _weekday_of(first: int, day: int) -> int:
    return (first + day - 2) % 7 + 1


def _weekday_near(year: int, month: int, day: int) -> int:
    """The Monday-to-Friday day nearest ``day`` without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    weekday = aws_weekday(date(year, month, day))
    if weekday == _SATURDAY:
        return day + 2 if day == 1 else day - 1
    if weekday == _SUNDAY:
        return day - 2 if day == last else day + 1
    return day
