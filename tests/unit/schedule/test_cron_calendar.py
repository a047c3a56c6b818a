"""Which days a cron names: L, W, LW, #, leap years, and crons whose years run out (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from busway.schedule import next_occurrence, occurrences, parse_expression


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _days(text: str, *, after: datetime, count: int) -> list[tuple[int, int, int]]:
    found = occurrences(parse_expression(text), after=after, count=count)
    return [(moment.year, moment.month, moment.day) for moment in found]


def test_last_day_of_february_follows_leap_years() -> None:
    days = _days("cron(0 0 L 2 ? *)", after=_utc(2023, 1, 1), count=3)
    assert days == [(2023, 2, 28), (2024, 2, 29), (2025, 2, 28)]
    assert _days("cron(0 0 L 2 ? *)", after=_utc(2100, 1, 1), count=1) == [(2100, 2, 28)]


def test_last_day_minus_n() -> None:
    assert _days("cron(0 0 L-2 * ? *)", after=_utc(2024, 2, 1), count=2) == [
        (2024, 2, 27),
        (2024, 3, 29),
    ]


def test_february_29th_yearly_skips_common_years_and_2100() -> None:
    cron = "cron(0 12 29 2 ? *)"
    assert _days(cron, after=_utc(2024, 3, 1), count=1) == [(2028, 2, 29)]
    assert _days(cron, after=_utc(2096, 3, 1), count=1) == [(2104, 2, 29)]


def test_thirty_first_only_in_long_months() -> None:
    assert _days("cron(0 0 31 * ? *)", after=_utc(2024, 1, 31), count=3) == [
        (2024, 3, 31),
        (2024, 5, 31),
        (2024, 7, 31),
    ]


@pytest.mark.parametrize(
    ("dom", "month", "day"),
    [
        ("1W", "JUN", 3),  # Saturday 1 June 2024: Monday the 3rd, not Friday in May
        ("1W", "SEP", 2),  # Sunday 1 September 2024: Monday the 2nd
        ("15W", "JUN", 14),  # Saturday: the Friday before
        ("15W", "SEP", 16),  # Sunday: the Monday after
        ("30W", "JUN", 28),  # Sunday 30 June, the month's last day: Friday the 28th
        ("31W", "MAR", 29),  # Sunday 31 March: Friday the 29th
        ("31W", "AUG", 30),  # Saturday 31 August: Friday the 30th
        ("31W", "MAY", 31),  # a Friday stays put
        ("LW", "AUG", 30),
        ("LW", "MAR", 29),
        ("LW", "FEB", 29),
        ("L", "NOV", 30),
    ],
)
def test_weekday_forms_stay_in_their_month(dom: str, month: str, day: int) -> None:
    text = f"cron(0 9 {dom} {month} ? 2024)"
    assert _days(text, after=_utc(2024, 1, 1), count=1)[0][2] == day


def test_nearest_weekday_to_a_day_the_month_lacks_is_never() -> None:
    assert _days("cron(0 9 31W * ? *)", after=_utc(2024, 4, 1), count=2) == [
        (2024, 5, 31),
        (2024, 7, 31),
    ]
    assert next_occurrence(parse_expression("cron(0 9 30W 2 ? *)"), after=_utc(2024, 1, 1)) is None


def test_fifth_thursday_only_in_months_that_have_one() -> None:
    assert _days("cron(0 9 ? * 5#5 *)", after=_utc(2024, 1, 1), count=4) == [
        (2024, 2, 29),
        (2024, 5, 30),
        (2024, 8, 29),
        (2024, 10, 31),
    ]


def test_nth_weekday() -> None:
    assert _days("cron(0 2 ? * SAT#3 *)", after=_utc(2024, 1, 1), count=2) == [
        (2024, 1, 20),
        (2024, 2, 17),
    ]
    assert _days("cron(0 2 ? * 3#2 *)", after=_utc(2024, 1, 1), count=1) == [(2024, 1, 9)]


def test_last_friday_of_the_month() -> None:
    assert _days("cron(15 10 ? * 6L *)", after=_utc(2024, 1, 1), count=3) == [
        (2024, 1, 26),
        (2024, 2, 23),
        (2024, 3, 29),
    ]
    assert _days("cron(15 10 ? * friL *)", after=_utc(2024, 1, 1), count=1) == [(2024, 1, 26)]


def test_l_alone_in_day_of_week_is_saturday() -> None:
    assert _days("cron(0 0 ? * L *)", after=_utc(2024, 1, 1), count=2) == [
        (2024, 1, 6),
        (2024, 1, 13),
    ]


def test_weekday_ranges_and_lists() -> None:
    assert _days("cron(0 18 ? * MON-FRI *)", after=_utc(2024, 1, 5, 18), count=3) == [
        (2024, 1, 8),
        (2024, 1, 9),
        (2024, 1, 10),
    ]
    assert _days("cron(0 0 ? * FRI-MON *)", after=_utc(2024, 1, 1), count=4) == [
        (2024, 1, 5),
        (2024, 1, 6),
        (2024, 1, 7),
        (2024, 1, 8),
    ]


def test_a_cron_whose_years_are_over_has_no_next() -> None:
    cron = parse_expression("cron(15 10 ? * 6L 2002-2005)")
    assert next_occurrence(cron, after=_utc(2005, 12, 1)) == _utc(2005, 12, 30, 10, 15)
    assert next_occurrence(cron, after=_utc(2005, 12, 30, 10, 15)) is None
    assert next_occurrence(cron, after=_utc(2024, 1, 1)) is None
    assert occurrences(cron, after=_utc(2005, 11, 1), count=10) == [
        _utc(2005, 11, 25, 10, 15),
        _utc(2005, 12, 30, 10, 15),
    ]


def test_the_last_year_is_2199() -> None:
    cron = parse_expression("cron(0 0 1 1 ? *)")
    assert next_occurrence(cron, after=_utc(2198, 6, 1)) == _utc(2199, 1, 1)
    assert next_occurrence(cron, after=_utc(2199, 1, 1)) is None


def test_a_date_that_never_exists_never_fires() -> None:
    assert next_occurrence(parse_expression("cron(0 0 30 2 ? *)"), after=_utc(2024, 1, 1)) is None


def test_minutes_hours_and_day_roll_over_together() -> None:
    cron = parse_expression("cron(0/30 0-2 ? * MON-FRI *)")
    assert occurrences(cron, after=_utc(2024, 1, 5, 2, 30), count=2) == [
        _utc(2024, 1, 8, 0, 0),
        _utc(2024, 1, 8, 0, 30),
    ]


def test_every_minute_fires_each_minute_strictly_after() -> None:
    cron = parse_expression("cron(* * ? * SAT#3 *)")
    after = datetime(2024, 1, 20, 23, 58, 30, tzinfo=UTC)
    assert occurrences(cron, after=after, count=2) == [
        _utc(2024, 1, 20, 23, 59),
        _utc(2024, 2, 17, 0, 0),
    ]
    assert next_occurrence(cron, after=_utc(2024, 1, 20, 10, 0)) == _utc(2024, 1, 20, 10, 1)
