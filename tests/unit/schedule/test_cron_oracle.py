"""Property tests: our AWS cron against croniter where the two dialects agree (plain
values, ranges, steps, lists; AWS's 1 = Sunday is croniter's 0), and our L/W/# days against
their definitions checked day by day."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from busway.schedule import Cron, next_occurrence, occurrences, parse_expression
from busway.schedule.cron_calendar import aws_weekday, days_in_month

pytestmark = pytest.mark.slow

Pair = tuple[str, str]  # (AWS text, croniter text)


@st.composite
def _item(draw: st.DrawFn, low: int, high: int, *, steps: bool = True) -> tuple[str, list[int]]:
    """An AWS item and the values it names, computed here with ``range``: croniter reads
    some degenerate items (``0-0``, ``23-23/1``) as the whole field, so it gets plain lists."""
    kinds = ["value", "range", "start-step", "star-step", "range-step"]
    kind = draw(st.sampled_from(kinds if steps else kinds[:2]))
    a = draw(st.integers(low, high))
    b = draw(st.integers(a, high))
    step = draw(st.integers(1, high - low + 1))
    match kind:
        case "value":
            return str(a), [a]
        case "range":
            return f"{a}-{b}", list(range(a, b + 1))
        case "start-step":
            return f"{a}/{step}", list(range(a, high + 1, step))
        case "star-step":
            return f"*/{step}", list(range(low, high + 1, step))
    return f"{a}-{b}/{step}", list(range(a, b + 1, step))


@st.composite
def _field(draw: st.DrawFn, low: int, high: int, *, shift: int = 0, steps: bool = True) -> Pair:
    if draw(st.integers(0, 4)) == 0:
        return "*", "*"
    items = draw(st.lists(_item(low, high, steps=steps), min_size=1, max_size=3))
    values = sorted({value + shift for _, named in items for value in named})
    return ",".join(aws for aws, _ in items), ",".join(map(str, values))


@st.composite
def _cron(draw: st.DrawFn) -> tuple[str, str]:
    minute, hour, month = draw(_field(0, 59)), draw(_field(0, 23)), draw(_field(1, 12))
    if draw(st.booleans()):
        dom, dow = draw(_field(1, 31)), ("?", "*")
        longest = max(calendar.monthrange(2024, m)[1] for m in _values(month[1], 1, 12))
        assume(min(_values(dom[1], 1, 31)) <= longest)  # croniter raises on 30 February
    else:
        dom, dow = ("?", "*"), draw(_field(1, 7, shift=-1, steps=False))
    aws = f"cron({minute[0]} {hour[0]} {dom[0]} {month[0]} {dow[0]} *)"
    return aws, f"{minute[1]} {hour[1]} {dom[1]} {month[1]} {dow[1]}"


def _values(text: str, low: int, high: int) -> list[int]:
    return list(range(low, high + 1)) if text == "*" else [int(v) for v in text.split(",")]


_AFTER = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2150, 1, 1))


def _croniter_next(expression: str, after: datetime) -> datetime:
    found = croniter(expression, after).get_next(datetime)
    assert isinstance(found, datetime)
    return found


@settings(max_examples=400, deadline=None)
@given(_cron(), _AFTER)
def test_utc_agrees_with_croniter(pair: tuple[str, str], after: datetime) -> None:
    aws, oracle = pair
    expected = _croniter_next(oracle, after)
    found = next_occurrence(parse_expression(aws), after=after.replace(tzinfo=UTC))
    assert found == expected.replace(tzinfo=UTC)


@settings(max_examples=100, deadline=None)
@given(_cron(), _AFTER)
def test_successive_occurrences_agree_with_croniter(pair: tuple[str, str], after: datetime) -> None:
    aws, oracle = pair
    it = croniter(oracle, after)
    expected = [it.get_next(datetime).replace(tzinfo=UTC) for _ in range(5)]
    assert occurrences(parse_expression(aws), after=after.replace(tzinfo=UTC), count=5) == expected


@pytest.mark.parametrize(
    "zone", ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
)
@settings(max_examples=150, deadline=None)
@given(pair=_cron(), after=_AFTER)
def test_zones_agree_with_croniter_on_wall_clock_times(
    zone: str, pair: tuple[str, str], after: datetime
) -> None:
    """croniter, asked in naive wall time, names the same wall minute as long as that
    minute exists once and lies after ``after`` (daylight saving is tested on its own)."""
    tz = ZoneInfo(zone)
    aware_after = after.replace(tzinfo=UTC)
    wall = _croniter_next(pair[1], aware_after.astimezone(tz).replace(tzinfo=None))
    first, second = (wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    assume(first == second)  # neither skipped nor repeated
    assume(first.astimezone(tz).replace(tzinfo=None) == wall)
    found = next_occurrence(parse_expression(pair[0]), after=aware_after, timezone=zone)
    assert found == first


def _by_definition(day_field: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    weekday = aws_weekday(day)
    is_workday = weekday not in (1, 7)
    if day_field == "L":
        return day.day == last
    if day_field.startswith("L-"):
        return day.day == last - int(day_field[2:])
    if day_field == "LW":
        return is_workday and all(
            aws_weekday(day.replace(day=d)) in (1, 7) for d in range(day.day + 1, last + 1)
        )
    if day_field.endswith("W"):
        target = int(day_field[:-1])
        if target > last or not is_workday:
            return False
        candidates = [
            d for d in range(1, last + 1) if aws_weekday(day.replace(day=d)) not in (1, 7)
        ]
        return day.day == min(candidates, key=lambda d: (abs(d - target), d))
    if "#" in day_field:
        wanted, nth = (int(part) for part in day_field.split("#"))
        return weekday == wanted and (day.day - 1) // 7 + 1 == nth
    wanted = int(day_field[:-1])
    return weekday == wanted and day.day + 7 > last


_SPECIAL = st.one_of(
    st.just("L"),
    st.integers(0, 30).map(lambda n: f"L-{n}"),
    st.just("LW"),
    st.integers(1, 31).map(lambda n: f"{n}W"),
    st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda p: f"{p[0]}#{p[1]}"),
    st.integers(1, 7).map(lambda n: f"{n}L"),
)


@settings(max_examples=500, deadline=None)
@given(_SPECIAL, st.integers(1970, 2199), st.integers(1, 12))
def test_special_day_forms_match_their_definitions(day_field: str, year: int, month: int) -> None:
    in_dom = not ("#" in day_field or (day_field.endswith("L") and day_field != "L"))
    fields = f"0 0 {day_field} * ? *" if in_dom else f"0 0 ? * {day_field} *"
    cron = parse_expression(f"cron({fields})")
    assert isinstance(cron, Cron)
    last = calendar.monthrange(year, month)[1]
    expected = tuple(
        d for d in range(1, last + 1) if _by_definition(day_field, date(year, month, d))
    )
    assert days_in_month(cron, year, month) == expected


@settings(max_examples=200, deadline=None)
@given(_cron(), _AFTER, st.sampled_from(["UTC", "America/Sao_Paulo", "Europe/London"]))
def test_next_is_strictly_after_and_never_earlier_than_asked(
    pair: tuple[str, str], after: datetime, zone: str
) -> None:
    aware_after = after.replace(tzinfo=UTC)
    found = next_occurrence(parse_expression(pair[0]), after=aware_after, timezone=zone)
    assert found is not None
    assert aware_after < found <= aware_after + timedelta(days=366 * 8)
    assert found.second == 0
