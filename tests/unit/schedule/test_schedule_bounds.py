"""StartDate, EndDate, rate anchors, occurrence lists and flexible windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from busway.schedule import flexible_offset, next_occurrence, occurrences, parse_expression


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


DAILY = parse_expression("cron(0 9 * * ? *)")
FIVE_MINUTES = parse_expression("rate(5 minutes)")


def test_start_is_inclusive() -> None:
    found = next_occurrence(DAILY, after=_utc(2024, 1, 1), start=_utc(2024, 1, 5, 9))
    assert found == _utc(2024, 1, 5, 9)


def test_an_occurrence_before_start_is_skipped() -> None:
    found = next_occurrence(
        DAILY, after=_utc(2024, 1, 1), start=datetime(2024, 1, 5, 9, 0, 30, tzinfo=UTC)
    )
    assert found == _utc(2024, 1, 6, 9)


def test_end_is_inclusive_and_then_there_is_none() -> None:
    end = _utc(2024, 1, 7, 9)
    found = occurrences(DAILY, after=_utc(2024, 1, 4, 12), count=10, end=end)
    assert found == [_utc(2024, 1, 5, 9), _utc(2024, 1, 6, 9), end]
    assert next_occurrence(DAILY, after=end, end=end) is None


def test_rate_counts_from_its_anchor_not_the_clock() -> None:
    created = datetime(2024, 1, 1, 10, 7, 13, tzinfo=UTC)
    found = occurrences(FIVE_MINUTES, after=_utc(2024, 1, 1, 10, 20), count=2, anchor=created)
    assert found == [
        datetime(2024, 1, 1, 10, 22, 13, tzinfo=UTC),
        datetime(2024, 1, 1, 10, 27, 13, tzinfo=UTC),
    ]


def test_rate_fires_at_its_anchor_when_asked_from_before_it() -> None:
    created = datetime(2024, 1, 1, 10, 7, 13, tzinfo=UTC)
    assert next_occurrence(FIVE_MINUTES, after=_utc(2024, 1, 1), anchor=created) == created
    assert next_occurrence(FIVE_MINUTES, after=created, anchor=created) == datetime(
        2024, 1, 1, 10, 12, 13, tzinfo=UTC
    )


def test_rate_anchor_defaults_to_start_then_to_after() -> None:
    start = _utc(2024, 2, 1, 8)
    assert next_occurrence(FIVE_MINUTES, after=_utc(2024, 1, 1), start=start) == start
    after = datetime(2024, 1, 1, 0, 0, 42, tzinfo=UTC)
    assert next_occurrence(FIVE_MINUTES, after=after) == after + timedelta(minutes=5)


def test_rate_keeps_its_anchor_phase_after_a_later_start() -> None:
    found = next_occurrence(
        FIVE_MINUTES,
        after=_utc(2024, 1, 1),
        anchor=_utc(2024, 1, 1, 10),
        start=_utc(2024, 1, 1, 10, 12),
    )
    assert found == _utc(2024, 1, 1, 10, 15)


def test_rate_stops_at_end() -> None:
    anchor = _utc(2024, 1, 1)
    found = occurrences(
        parse_expression("rate(1 hour)"),
        after=anchor,
        count=5,
        anchor=anchor,
        end=_utc(2024, 1, 1, 2, 30),
    )
    assert found == [_utc(2024, 1, 1, 1), _utc(2024, 1, 1, 2)]


def test_occurrences_returns_count_in_order() -> None:
    found = occurrences(parse_expression("cron(*/15 * * * ? *)"), after=_utc(2024, 1, 1), count=10)
    assert found == [_utc(2024, 1, 1) + timedelta(minutes=15 * k) for k in range(1, 11)]


def test_results_are_aware_utc() -> None:
    found = next_occurrence(DAILY, after=_utc(2024, 1, 1), timezone="Asia/Tokyo")
    assert found is not None
    assert found.tzinfo is UTC
    assert found.utcoffset() == timedelta(0)


def test_flexible_window_off_is_no_delay() -> None:
    assert flexible_offset(mode="OFF", maximum_window_minutes=None, rand=0.9) == timedelta(0)


@pytest.mark.parametrize(
    ("rand", "offset"),
    [
        (0.0, timedelta(0)),
        (0.5, timedelta(minutes=7, seconds=30)),
        (0.999999, timedelta(minutes=15)),
    ],
)
def test_flexible_window_spreads_over_the_window(rand: float, offset: timedelta) -> None:
    found = flexible_offset(mode="FLEXIBLE", maximum_window_minutes=15, rand=rand)
    assert abs(found - offset) < timedelta(milliseconds=1)
    assert timedelta(0) <= found < timedelta(minutes=15)


@pytest.mark.parametrize(
    ("mode", "window", "rand"),
    [("FLEXIBLE", None, 0.5), ("FLEXIBLE", 0, 0.5), ("FLEXIBLE", 10, 1.0), ("LOOSE", 10, 0.5)],
)
def test_flexible_window_misuse(mode: str, window: int | None, rand: float) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        flexible_offset(mode=mode, maximum_window_minutes=window, rand=rand)
