"""When a schedule fires next: ``at``, ``rate`` and ``cron`` in a time zone.

Daylight saving, as the EventBridge Scheduler User Guide ("Schedule types on EventBridge
Scheduler", section "Daylight savings time on EventBridge Scheduler") states it:

* spring forward: "if a cron expression falls on a non-existent date and time, your
  schedule invocation is skipped" (``cron(30 2 * * ? *)`` in America/Los_Angeles does not
  fire on that day and resumes the next day);
* fall back: "your schedule runs only once and does not repeat its invocation", at the
  first of the two instants ("runs the schedule only once at 2:30 a.m. before the shift
  occurs").

So a cron names wall-clock minutes; each one that exists fires at its first instant and
never at its repeat, and one the zone skips does not fire. Every repeated wall minute is
treated alike, so ``cron(*/15 * * * ? *)`` in New York fires 01:00-01:45 EDT and next at
02:00 EST on the fall-back night.

``rate`` ignores wall clocks: "days represents a 24-hour duration", so occurrences are
``anchor + k * period`` in absolute time. ``at`` names a wall time in the zone: a wall
time the zone skips is read with the offset before the gap (02:30 becomes 03:30 after a
one-hour spring forward), a repeated one at its first instant; AWS documents neither.
``at`` ignores StartDate and EndDate ("EventBridge Scheduler ignores the StartDate and
EndDate you specify for the schedule").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from busway.errors import ValidationError
from busway.schedule.cron_calendar import next_wall_time
from busway.schedule.expression import At, Cron, Expression, Rate

_TINY = timedelta(microseconds=1)


def load_timezone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``ValidationError`` when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Invalid ScheduleExpressionTimezone {name}.") from exc


def next_occurrence(
    expr: Expression,
    *,
    after: datetime,
    timezone: str = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
    anchor: datetime | None = None,
) -> datetime | None:
    """The first occurrence strictly after ``after``, as an aware UTC datetime.

    Recurring expressions only fire within ``[start, end]`` (both inclusive, either
    open); ``None`` means the schedule has no further occurrence. A ``rate`` fires at
    ``anchor + k * period`` for k >= 0; ``anchor`` defaults to ``start``, then to
    ``after`` (a rate that starts counting now). All datetimes passed in must be aware.
    """
    zone = load_timezone(timezone)
    if isinstance(expr, At):
        moment = wall_to_utc(expr.moment, zone, strict=False)
        return moment if moment is not None and moment > after else None
    floor = after if start is None else max(after, start - _TINY)
    if isinstance(expr, Rate):
        found: datetime | None = _next_rate(expr, anchor or start or after, floor)
    else:
        found = _next_cron(expr, zone, floor)
    if found is None or (end is not None and found > end):
        return None
    return found


def occurrences(
    expr: Expression,
    *,
    after: datetime,
    count: int,
    timezone: str = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
    anchor: datetime | None = None,
) -> list[datetime]:
    """Up to ``count`` successive occurrences after ``after`` (fewer when the schedule
    ends), each as ``next_occurrence`` computes it."""
    found: list[datetime] = []
    cursor = after
    while len(found) < count:
        following = next_occurrence(
            expr, after=cursor, timezone=timezone, start=start, end=end, anchor=anchor
        )
        if following is None:
            break
        found.append(following)
        cursor = following
    return found


def wall_to_utc(wall: datetime, zone: ZoneInfo, *, strict: bool = True) -> datetime | None:
    """The first instant at which clocks in ``zone`` show ``wall``. A wall time the zone
    skips gives ``None`` when ``strict``, else the instant read with the offset in force
    before the gap."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if strict and instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _next_rate(rate: Rate, anchor: datetime, after: datetime) -> datetime:
    period = timedelta(seconds=rate.seconds)
    if after < anchor:
        return anchor.astimezone(UTC)
    return (anchor + ((after - anchor) // period + 1) * period).astimezone(UTC)


def _next_cron(cron: Cron, zone: ZoneInfo, after: datetime) -> datetime | None:
    cursor = after.astimezone(zone).replace(tzinfo=None)
    while (wall := next_wall_time(cron, cursor)) is not None:
        instant = wall_to_utc(wall, zone)
        if instant is not None and instant > after:
            return instant
        cursor = wall
    return None
