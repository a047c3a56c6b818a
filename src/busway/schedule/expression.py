"""The three kinds of schedule expression, as parsed values.

``At`` and ``Rate`` render back to the text they came from; ``Cron`` keeps its text.
Day rules (``DayRule``) say which days of one month a cron's day field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True, slots=True)
class At:
    """``at(yyyy-mm-ddThh:mm:ss)``: one moment, a naive wall time in the schedule's zone."""

    moment: datetime

    @property
    def text(self) -> str:
        return f"at({self.moment.strftime('%Y-%m-%dT%H:%M:%S')})"


@dataclass(frozen=True, slots=True)
class Rate:
    """``rate(value unit)``: every ``value`` units, ``unit`` as written (``minute``,
    ``hours``, ...). A day is 24 hours whatever daylight saving does to the clock."""

    value: int
    unit: str

    @property
    def seconds(self) -> int:
        return self.value * _UNIT_SECONDS[self.unit.removesuffix("s")]

    @property
    def text(self) -> str:
        return f"rate({self.value} {self.unit})"


@dataclass(frozen=True, slots=True)
class AnyDay:
    """``?``: the field that leaves the choice of day to the other one."""


@dataclass(frozen=True, slots=True)
class MonthDays:
    """Plain days of the month (``*``, lists, ranges, steps); days past the month's end
    never match."""

    days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LastDayOfMonth:
    """``L`` (offset 0) or ``L-n``: the last day of the month, or n days before it."""

    offset: int = 0


@dataclass(frozen=True, slots=True)
class LastWeekdayOfMonth:
    """``LW``: the last Monday-to-Friday day of the month."""


@dataclass(frozen=True, slots=True)
class NearestWeekday:
    """``nW``: the Monday-to-Friday day nearest day ``n``, never leaving the month
    (``1W`` on a Saturday is Monday the 3rd). Months shorter than ``n`` days have none."""

    day: int


@dataclass(frozen=True, slots=True)
class WeekDays:
    """Plain days of the week, AWS numbering: 1 = Sunday ... 7 = Saturday (``L`` alone
    is 7)."""

    days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LastWeekdayInMonth:
    """``nL`` (``6L``, ``FRIL``): the last such day of the week in the month."""

    weekday: int


@dataclass(frozen=True, slots=True)
class NthWeekday:
    """``d#n`` (``SAT#3``, ``3#2``): the n-th such day of the week; months without an
    n-th one have none."""

    weekday: int
    nth: int


DayRule = (
    AnyDay
    | MonthDays
    | LastDayOfMonth
    | LastWeekdayOfMonth
    | NearestWeekday
    | WeekDays
    | LastWeekdayInMonth
    | NthWeekday
)


@dataclass(frozen=True, slots=True)
class Cron:
    """``cron(minutes hours day-of-month month day-of-week year)``.

    Numeric fields hold the values they name, sorted ascending; exactly one of the two
    day rules is ``AnyDay``. ``text`` is the expression as written.
    """

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: DayRule
    months: tuple[int, ...]
    day_of_week: DayRule
    years: tuple[int, ...]
    text: str


Expression = At | Rate | Cron
