"""Crons and at() in time zones, with the daylight-saving rule of the Scheduler User Guide:
a wall time the zone skips does not fire; a repeated one fires once, at its first instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from busway.errors import ValidationError
from busway.schedule import next_occurrence, occurrences, parse_expression


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _fire(text: str, zone: str, *, after: datetime, count: int) -> list[datetime]:
    return occurrences(parse_expression(text), after=after, count=count, timezone=zone)


def test_aws_example_spring_forward_skips_the_day() -> None:
    """cron(30 2 * * ? *) in Los Angeles: 2:30 does not exist on 10 March 2024."""
    assert _fire("cron(30 2 * * ? *)", "America/Los_Angeles", after=_utc(2024, 3, 8), count=3) == [
        _utc(2024, 3, 8, 10, 30),
        _utc(2024, 3, 9, 10, 30),
        _utc(2024, 3, 11, 9, 30),
    ]


def test_aws_example_fall_back_fires_once_at_the_first_instant() -> None:
    """01:30 happens twice in Los Angeles on 3 November 2024 (PDT, then PST)."""
    cron = "cron(30 1 * * ? *)"
    assert _fire(cron, "America/Los_Angeles", after=_utc(2024, 11, 2, 12), count=3) == [
        _utc(2024, 11, 3, 8, 30),
        _utc(2024, 11, 4, 9, 30),
        _utc(2024, 11, 5, 9, 30),
    ]
    between = _utc(2024, 11, 3, 8, 45)
    assert next_occurrence(
        parse_expression(cron), after=between, timezone="America/Los_Angeles"
    ) == _utc(2024, 11, 4, 9, 30)


def test_new_york_quarter_hours_skip_the_repeated_hour() -> None:
    found = _fire(
        "cron(*/15 * * * ? *)", "America/New_York", after=_utc(2024, 11, 3, 4, 50), count=6
    )
    assert found == [
        _utc(2024, 11, 3, 5, 0),  # 01:00 EDT
        _utc(2024, 11, 3, 5, 15),
        _utc(2024, 11, 3, 5, 30),
        _utc(2024, 11, 3, 5, 45),  # 01:45 EDT; 01:00-01:45 EST do not repeat
        _utc(2024, 11, 3, 7, 0),  # 02:00 EST
        _utc(2024, 11, 3, 7, 15),
    ]


def test_new_york_half_hours_jump_the_missing_hour() -> None:
    found = _fire("cron(0/30 * * * ? *)", "America/New_York", after=_utc(2024, 3, 10, 6), count=3)
    assert found == [_utc(2024, 3, 10, 6, 30), _utc(2024, 3, 10, 7, 0), _utc(2024, 3, 10, 7, 30)]
    assert [moment.astimezone(ZoneInfo("America/New_York")).hour for moment in found] == [1, 3, 3]


def test_amsterdam_daily_at_half_past_two() -> None:
    cron = "cron(30 2 * * ? *)"
    spring = _fire(cron, "Europe/Amsterdam", after=_utc(2024, 3, 30), count=2)
    assert spring == [_utc(2024, 3, 30, 1, 30), _utc(2024, 4, 1, 0, 30)]
    autumn = _fire(cron, "Europe/Amsterdam", after=_utc(2024, 10, 26, 12), count=2)
    assert autumn == [_utc(2024, 10, 27, 0, 30), _utc(2024, 10, 28, 1, 30)]


def test_lord_howe_half_hour_shifts() -> None:
    """Lord Howe moves its clocks by 30 minutes: 02:00 -> 02:30 on 6 October 2024 and
    02:00 -> 01:30 on 7 April 2024."""
    zone = "Australia/Lord_Howe"
    skipped = _fire("cron(15 2 * * ? *)", zone, after=_utc(2024, 10, 4, 12), count=2)
    assert skipped == [_utc(2024, 10, 4, 15, 45), _utc(2024, 10, 6, 15, 15)]
    kept = _fire("cron(45 2 * * ? *)", zone, after=_utc(2024, 10, 5, 12), count=1)
    assert kept == [_utc(2024, 10, 5, 15, 45)]
    repeated = _fire("cron(45 1 * * ? *)", zone, after=_utc(2024, 4, 6, 12), count=2)
    assert repeated == [_utc(2024, 4, 6, 14, 45), _utc(2024, 4, 7, 15, 15)]


def test_sao_paulo_midnight_that_did_not_exist() -> None:
    """Brazil's clocks went from 00:00 to 01:00 on 4 November 2018 and repeated 23:00-24:00
    on 16 February 2019."""
    zone = "America/Sao_Paulo"
    midnight = _fire("cron(0 0 * * ? *)", zone, after=_utc(2018, 11, 2, 12), count=2)
    assert midnight == [_utc(2018, 11, 3, 3, 0), _utc(2018, 11, 5, 2, 0)]
    late = _fire("cron(30 23 * * ? *)", zone, after=_utc(2019, 2, 16, 12), count=2)
    assert late == [_utc(2019, 2, 17, 1, 30), _utc(2019, 2, 18, 2, 30)]


def test_a_zone_without_daylight_saving() -> None:
    assert _fire("cron(0 9 * * ? *)", "Asia/Kolkata", after=_utc(2024, 3, 1), count=1) == [
        _utc(2024, 3, 1, 3, 30)
    ]


def test_cron_in_utc_by_default() -> None:
    cron = parse_expression("cron(0 9 * * ? *)")
    assert next_occurrence(cron, after=_utc(2024, 7, 1)) == _utc(2024, 7, 1, 9, 0)
    assert next_occurrence(cron, after=_utc(2024, 7, 1), timezone="Europe/Amsterdam") == _utc(
        2024, 7, 1, 7, 0
    )


def test_at_is_read_in_the_zone() -> None:
    at = parse_expression("at(2024-07-01T09:00:00)")
    assert next_occurrence(at, after=_utc(2024, 1, 1), timezone="Europe/Amsterdam") == _utc(
        2024, 7, 1, 7, 0
    )
    assert next_occurrence(at, after=_utc(2024, 1, 1)) == _utc(2024, 7, 1, 9, 0)
    assert next_occurrence(at, after=_utc(2024, 7, 1, 9, 0)) is None


def test_at_in_a_gap_or_a_repeat() -> None:
    gap = parse_expression("at(2024-03-10T02:30:00)")
    assert next_occurrence(gap, after=_utc(2024, 1, 1), timezone="America/New_York") == _utc(
        2024, 3, 10, 7, 30
    )
    repeat = parse_expression("at(2024-11-03T01:30:00)")
    assert next_occurrence(repeat, after=_utc(2024, 1, 1), timezone="America/New_York") == _utc(
        2024, 11, 3, 5, 30
    )


def test_at_ignores_start_and_end() -> None:
    at = parse_expression("at(2024-07-01T09:00:00)")
    found = next_occurrence(
        at, after=_utc(2024, 1, 1), start=_utc(2025, 1, 1), end=_utc(2024, 2, 1)
    )
    assert found == _utc(2024, 7, 1, 9, 0)


def test_rate_days_are_24_hours_across_daylight_saving() -> None:
    rate = parse_expression("rate(1 day)")
    anchor = _utc(2024, 3, 9, 12)
    found = occurrences(rate, after=anchor, count=3, timezone="America/New_York", anchor=anchor)
    assert found == [anchor + timedelta(days=k) for k in (1, 2, 3)]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", "utc "])
def test_unknown_zone_is_a_validation_error(zone: str) -> None:
    with pytest.raises(ValidationError):
        next_occurrence(parse_expression("rate(5 minutes)"), after=_utc(2024, 1, 1), timezone=zone)
