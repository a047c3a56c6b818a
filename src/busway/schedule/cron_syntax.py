"""The AWS cron dialect: six fields read into a ``Cron``.

The dialect follows the EventBridge and Scheduler user guides' table (which wildcard is
allowed in which field) and, where they are silent, Quartz, which AWS's dialect derives
from: names and letters are case-insensitive, ``L``/``LW``/``L-n``/``nW`` in
day-of-month and ``nL``/``d#n`` in day-of-week stand alone in their field, ``L`` alone
in day-of-week is Saturday, and ranges wrap (``20-2`` in hours, ``FRI-MON``) everywhere
but in years. Every problem raises ``ValueError``; the caller turns it into AWS's message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    digits: int = 2
    names: tuple[str, ...] = ()
    wraps: bool = True
    steps: bool = True

    @property
    def span(self) -> int:
        return self.high - self.low + 1


MINUTES = _Field("minutes", 0, 59)
HOURS = _Field("hours", 0, 23)
DAY_OF_MONTH = _Field("day-of-month", 1, 31)
MONTHS = _Field("month", 1, 12, names=_MONTHS)
DAY_OF_WEEK = _Field("day-of-week", 1, 7, names=_WEEKDAYS, steps=False)
YEARS = _Field("year", 1970, 2199, digits=4, wraps=False)

_ITEM = re.compile(r"(?P<range>\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:/(?P<step>[0-9]+))?")
_SEPARATOR = re.compile(r" +")


def parse_cron_fields(body: str) -> Cron:
    """Read ``body`` (the text between ``cron(`` and ``)``) into a ``Cron``."""
    fields = _SEPARATOR.split(body)
    if len(fields) != 6 or not all(fields):
        raise ValueError(f"a cron expression has six fields, not {len(fields)}")
    minute, hour, dom, month, dow, year = (field.upper() for field in fields)
    day_of_month, day_of_week = parse_day_of_month(dom), parse_day_of_week(dow)
    if isinstance(day_of_month, AnyDay) == isinstance(day_of_week, AnyDay):
        raise ValueError("exactly one of day-of-month and day-of-week must be ?")
    return Cron(
        minutes=parse_values(minute, MINUTES),
        hours=parse_values(hour, HOURS),
        day_of_month=day_of_month,
        months=parse_values(month, MONTHS),
        day_of_week=day_of_week,
        years=parse_values(year, YEARS),
        text=f"cron({body})",
    )


def parse_values(text: str, field: _Field) -> tuple[int, ...]:
    """The sorted values a comma-separated list of items names in ``field``."""
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(item, field))
    return tuple(sorted(values))


def _parse_item(item: str, field: _Field) -> list[int]:
    match = _ITEM.fullmatch(item)
    if match is None:
        raise ValueError(f"{item!r} is not a {field.name} item")
    step = _parse_step(match["step"], field)
    if match["range"] == "*":
        return list(range(field.low, field.high + 1, step))
    first, _, last = match["range"].partition("-")
    start = _parse_value(first, field)
    if last:
        return _walk(start, _parse_value(last, field), step, field)
    return _walk(start, field.high, step, field) if match["step"] else [start]


def _parse_step(text: str | None, field: _Field) -> int:
    if text is None:
        return 1
    if not field.steps:
        raise ValueError(f"{field.name} takes no increments")
    step = int(text)
    if not 1 <= step <= field.span:
        raise ValueError(f"increment {step} is out of range for {field.name}")
    return step


def _walk(start: int, end: int, step: int, field: _Field) -> list[int]:
    """``start-end/step``; a range whose end is below its start wraps past the top."""
    if end < start and not field.wraps:
        raise ValueError(f"{field.name} range {start}-{end} runs backwards")
    length = (end - start) % field.span + 1
    return [field.low + (start - field.low + k) % field.span for k in range(0, length, step)]


def _parse_value(text: str, field: _Field) -> int:
    if text in field.names:
        return field.low + field.names.index(text)
    if not (text.isascii() and text.isdigit()) or len(text) > field.digits:
        raise ValueError(f"{text!r} is not a {field.name} value")
    value = int(text)
    if not field.low <= value <= field.high:
        raise ValueError(f"{value} is out of range for {field.name}")
    return value


_LAST_DAY = re.compile(r"L(?:-(?P<offset>[0-9]{1,2}))?")
_NEAREST = re.compile(r"(?P<day>[0-9]{1,2})W")


def parse_day_of_month(text: str) -> DayRule:
    """``?``, ``L``, ``L-n``, ``LW``, ``nW``, or plain values."""
    if text == "?":
        return AnyDay()
    if text == "LW":
        return LastWeekdayOfMonth()
    if last := _LAST_DAY.fullmatch(text):
        offset = int(last["offset"] or 0)
        if offset > 30:
            raise ValueError(f"L-{offset} is out of range")
        return LastDayOfMonth(offset)
    if nearest := _NEAREST.fullmatch(text):
        return NearestWeekday(_parse_value(nearest["day"], DAY_OF_MONTH))
    return MonthDays(parse_values(text, DAY_OF_MONTH))


def parse_day_of_week(text: str) -> DayRule:
    """``?``, ``L`` (Saturday), ``dL``, ``d#n``, or plain values."""
    if text == "?":
        return AnyDay()
    if text == "L":
        return WeekDays((7,))
    if "#" in text:
        day, _, nth = text.partition("#")
        if nth not in ("1", "2", "3", "4", "5"):
            raise ValueError(f"{text!r}: # takes 1 to 5")
        return NthWeekday(_parse_value(day, DAY_OF_WEEK), int(nth))
    if text.endswith("L"):
        return LastWeekdayInMonth(_parse_value(text[:-1], DAY_OF_WEEK))
    return WeekDays(parse_values(text, DAY_OF_WEEK))
