"""Which expression text AWS accepts, what it means, and the message for text it refuses
(eventbridge.md sections 4.3 and 8.3)."""

from __future__ import annotations

from datetime import datetime

import pytest

from busway.errors import ValidationError
from busway.schedule import At, Cron, Rate, parse_expression, parse_rule_expression
from busway.schedule.expression import (
    AnyDay,
    LastDayOfMonth,
    LastWeekdayInMonth,
    LastWeekdayOfMonth,
    MonthDays,
    NearestWeekday,
    NthWeekday,
    WeekDays,
)

RULE_VALID = [
    "cron(0 2 ? * SAT *)",
    "cron(5,35 14 * * ? *)",
    "cron(15 10 ? * 6L 2002-2005)",
    "cron(0 2 ? * SAT#3 *)",
    "cron(* * ? * SAT#3 *)",
    "cron(0/5 5 ? JAN 1-5 2022)",
    "cron(0/30 0-2 ? * MON-FRI *)",
    "rate(1 minute)",
    "rate(1 hour)",
    "rate(1 day)",
    "rate(10 minutes)",
    "rate(2 hours)",
    "rate(7 days)",
]
RULE_INVALID = [
    "rate(1 minutes)",
    "rate(1 hours)",
    "rate(1 days)",
    "rate(10 minute)",
    "rate(10 hour)",
    "rate(10 day)",
    "rate(0 minutes)",
    "rate(-10 minutes)",
    "rate(10 MINUTES)",
    "rate(10 seconds)",
    "rate(10 years)",
    "rate()",
    "rate(10)",
    "rate(foo minutes)",
    "rate( 10 minutes )",
    " rate(10 minutes)",
    "cron(0 1 * * * *)",
    "cron(7 20 * * NOT *)",
    "cron(INVALID)",
    "cron(0 dummy ? * MON-FRI *)",
    "cron(71 8 1 * ? *)",
    "cron()",
    "cron(0 2 ? * 3#1,6#3 *)",
    "at(2030-01-01T00:00:00)",
]
SCHEDULER_VALID = [
    "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)",
    "cron(30-30 13-13 ? * 2,4,6 *)",
    "cron(1-31/30 1-1 ? * 1,7 *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(*/15 * * * ? *)",
    "cron(0-59/10 0-23/2 ? * * *)",
    "at(2022-12-31T23:59:59)",
    "rate(5 minutes)",
]
SCHEDULER_INVALID = [
    "rate(10 seconds)",
    "rate(10 years)",
    "rate()",
    "rate(10)",
    "rate(10 minutess)",
    "rate(foo minutes)",
    "rate(-10 minutes)",
    "rate( 10 minutes )",
    " rate(10 minutes)",
    "rate(1 minutes)",
    "rate(10 minute)",
    "cron(0 1 * * * *)",
    "cron(7 20 * * NOT *)",
    "cron(INVALID)",
    "cron(0 dummy ? * MON-FRI *)",
    "cron(71 8 1 * ? *)",
    "cron()",
    "at(2021-12-31T23:59:59Z)",
    "at(2021-12-31)",
    "at(2021-12-31T23:59:59.5)",
    "at(2021-12-31T23:59:59+01:00)",
    "at(2023-02-29T10:00:00)",
    "at(2023-01-01T24:00:00)",
    "at( 2023-01-01T10:00:00)",
]


@pytest.mark.parametrize("text", RULE_VALID)
def test_rule_expressions_aws_accepts_parse(text: str) -> None:
    assert isinstance(parse_rule_expression(text), Rate | Cron)


@pytest.mark.parametrize("text", RULE_INVALID)
def test_rule_expressions_aws_refuses_give_putrules_message(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_rule_expression(text)
    assert raised.value.message == "Parameter ScheduleExpression is not valid."


@pytest.mark.parametrize("text", SCHEDULER_VALID + RULE_VALID)
def test_scheduler_expressions_aws_accepts_parse(text: str) -> None:
    assert isinstance(parse_expression(text), At | Rate | Cron)


@pytest.mark.parametrize("text", SCHEDULER_INVALID)
def test_scheduler_expressions_aws_refuses_echo_the_text(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_expression(text)
    assert raised.value.message == f"Invalid Schedule Expression {text}."


def test_scheduler_message_for_seconds_is_the_observed_one() -> None:
    with pytest.raises(
        ValidationError, match=r"^Invalid Schedule Expression rate\(10 seconds\)\.$"
    ):
        parse_expression("rate(10 seconds)")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(15 minutes)", 900),
        ("rate(1 hour)", 3600),
        ("rate(3 hours)", 10800),
        ("rate(1 day)", 86400),
        ("rate(2 days)", 172800),
    ],
)
def test_rate_period(text: str, seconds: int) -> None:
    rate = parse_expression(text)
    assert isinstance(rate, Rate)
    assert rate.seconds == seconds
    assert rate.text == text


def test_at_is_a_naive_wall_time() -> None:
    assert parse_expression("at(2024-02-29T13:05:09)") == At(datetime(2024, 2, 29, 13, 5, 9))
    assert parse_expression("at(2024-02-29T13:05:09)").text == "at(2024-02-29T13:05:09)"


def _cron(fields: str) -> Cron:
    parsed = parse_expression(f"cron({fields})")
    assert isinstance(parsed, Cron)
    return parsed


def test_cron_keeps_its_text() -> None:
    assert _cron("0 2 ? * SAT *").text == "cron(0 2 ? * SAT *)"


@pytest.mark.parametrize(
    ("field", "minutes"),
    [
        ("0/15", (0, 15, 30, 45)),
        ("*/20", (0, 20, 40)),
        ("1/10", (1, 11, 21, 31, 41, 51)),
        ("0-15/5", (0, 5, 10, 15)),
        ("5,35", (5, 35)),
        ("1-31/30", (1, 31)),
        ("58-2", (0, 1, 2, 58, 59)),
        ("50-10/10", (0, 10, 50)),
        ("07", (7,)),
        ("*", tuple(range(60))),
    ],
)
def test_minute_items(field: str, minutes: tuple[int, ...]) -> None:
    assert _cron(f"{field} 0 * * ? *").minutes == minutes


def test_hour_ranges_wrap_past_midnight() -> None:
    assert _cron("0 20-2 * * ? *").hours == (0, 1, 2, 20, 21, 22, 23)
    assert _cron("0 22-2/2 * * ? *").hours == (0, 2, 22)


def test_months_by_name_number_and_wrapping_range() -> None:
    assert _cron("0 0 1 JAN,jul,Dec ? *").months == (1, 7, 12)
    assert _cron("0 0 1 NOV-FEB ? *").months == (1, 2, 11, 12)
    assert _cron("0 0 1 1-12/3 ? *").months == (1, 4, 7, 10)


def test_day_of_week_names_are_case_insensitive_and_one_is_sunday() -> None:
    assert _cron("0 0 ? * Mon-Fri *").day_of_week == WeekDays((2, 3, 4, 5, 6))
    assert _cron("0 0 ? * SUN,sat *").day_of_week == WeekDays((1, 7))
    assert _cron("0 0 ? * FRI-MON *").day_of_week == WeekDays((1, 2, 6, 7))
    assert _cron("0 0 ? * * *").day_of_week == WeekDays((1, 2, 3, 4, 5, 6, 7))


@pytest.mark.parametrize(
    ("dom", "dow", "day_of_month", "day_of_week"),
    [
        ("L", "?", LastDayOfMonth(0), AnyDay()),
        ("L-3", "?", LastDayOfMonth(3), AnyDay()),
        ("LW", "?", LastWeekdayOfMonth(), AnyDay()),
        ("lw", "?", LastWeekdayOfMonth(), AnyDay()),
        ("3W", "?", NearestWeekday(3), AnyDay()),
        ("1-15", "?", MonthDays(tuple(range(1, 16))), AnyDay()),
        ("?", "6L", AnyDay(), LastWeekdayInMonth(6)),
        ("?", "FRIL", AnyDay(), LastWeekdayInMonth(6)),
        ("?", "L", AnyDay(), WeekDays((7,))),
        ("?", "SAT#3", AnyDay(), NthWeekday(7, 3)),
        ("?", "3#2", AnyDay(), NthWeekday(3, 2)),
    ],
)
def test_day_fields(dom: str, dow: str, day_of_month: object, day_of_week: object) -> None:
    cron = _cron(f"0 0 {dom} * {dow} *")
    assert (cron.day_of_month, cron.day_of_week) == (day_of_month, day_of_week)


def test_years() -> None:
    assert _cron("0 0 1 * ? 2002-2005").years == (2002, 2003, 2004, 2005)
    assert _cron("0 0 1 * ? 2020/10").years[:3] == (2020, 2030, 2040)
    assert _cron("0 0 1 * ? *").years == tuple(range(1970, 2200))


@pytest.mark.parametrize(
    "fields",
    [
        "0 9 ? * ? *",  # both day fields open
        "0 9 1 * MON *",  # both day fields set
        "0 18 ? * MON-FRI",  # five fields
        "0 18 ? * MON-FRI * *",  # seven fields
        "60 0 * * ? *",
        "0 24 * * ? *",
        "0 0 0 * ? *",
        "0 0 32 * ? *",
        "0 0 1 0 ? *",
        "0 0 1 13 ? *",
        "0 0 ? * 0 *",
        "0 0 ? * 8 *",
        "0 0 1 * ? 1969",
        "0 0 1 * ? 2200",
        "0 0 1 * ? 2005-2002",  # years do not wrap
        "0/0 0 * * ? *",
        "0/61 0 * * ? *",
        "0 0 ? * 1/2 *",  # no increments in day-of-week
        "0 0 ? * 2#6 *",
        "0 0 ? * 2#0 *",
        "0 0 ? * 3#2-4#2 *",
        "0 0 ? * 3#1,6#3 *",
        "0 0 ? * 6L,2 *",
        "0 0 L,15 * ? *",
        "0 0 1W,15 * ? *",
        "0 0 32W * ? *",
        "0 0 W * ? *",
        "0 0 L-31 * ? *",
        "0 0 3L * ? *",
        "0 0 ? * MONDAY *",
        "0 0 1 JANUARY ? *",
        "? 0 1 * ? *",
        "L 0 1 * ? *",
        "0 0 1 * ? ?",
        "001 0 1 * ? *",
        "0,,5 0 1 * ? *",
        "0, 0 1 * ? *",
        "*/5/5 0 1 * ? *",
        "*-5 0 1 * ? *",
        "٣ 0 1 * ? *",
    ],
)
def test_cron_fields_aws_would_refuse(fields: str) -> None:
    text = f"cron({fields})"
    with pytest.raises(ValidationError, match=r"^Invalid Schedule Expression "):
        parse_expression(text)
    with pytest.raises(ValidationError, match=r"^Parameter ScheduleExpression is not valid\.$"):
        parse_rule_expression(text)


@pytest.mark.parametrize(
    "text", ["CRON(0 0 * * ? *)", "Rate(5 minutes)", "AT(2030-01-01T00:00:00)"]
)
def test_the_keyword_is_lower_case(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_expression(text)


def test_rate_value_beyond_a_java_int_is_refused() -> None:
    assert parse_expression("rate(2147483647 minutes)") == Rate(2147483647, "minutes")
    with pytest.raises(ValidationError):
        parse_expression("rate(2147483648 minutes)")
