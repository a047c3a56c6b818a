"""Schedule expression text to ``Expression``, with AWS's messages for bad text.

Scheduler (``CreateSchedule``) answers ``Invalid Schedule Expression <text>.`` with the
text echoed verbatim; classic rules (``PutRule``) answer ``Parameter ScheduleExpression is
not valid.`` and take no ``at``. Nothing around the expression is trimmed: a stray space
makes it invalid, as AWS observed.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from busway.errors import ValidationError
from busway.schedule.cron_syntax import parse_cron_fields
from busway.schedule.expression import At, Expression, Rate

RULE_MESSAGE = "Parameter ScheduleExpression is not valid."

_AT = re.compile(r"at\((?P<moment>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)")
_RATE = re.compile(r"rate\((?P<value>[0-9]+) (?P<unit>minutes?|hours?|days?)\)")
_CRON = re.compile(r"cron\((?P<body>[^()]*)\)")
_LARGEST_RATE = 2**31 - 1


def parse_expression(text: str) -> Expression:
    """A Scheduler ``ScheduleExpression``: ``at(...)``, ``rate(...)`` or ``cron(...)``.

    Raises ``ValidationError`` with Scheduler's message when ``text`` is not one.
    """
    try:
        return _parse(text, allow_at=True)
    except ValueError as exc:
        raise ValidationError(f"Invalid Schedule Expression {text}.") from exc


def parse_rule_expression(text: str) -> Expression:
    """A rule's ``ScheduleExpression``: ``rate(...)`` or ``cron(...)``, evaluated in UTC.

    Raises ``ValidationError`` with PutRule's message when ``text`` is not one.
    """
    try:
        return _parse(text, allow_at=False)
    except ValueError as exc:
        raise ValidationError(RULE_MESSAGE) from exc


@lru_cache(maxsize=16384)
def _parse(text: str, *, allow_at: bool) -> Expression:
    if rate := _RATE.fullmatch(text):
        return _parse_rate(int(rate["value"]), rate["unit"])
    if cron := _CRON.fullmatch(text):
        return parse_cron_fields(cron["body"])
    if allow_at and (at := _AT.fullmatch(text)):
        return At(datetime.strptime(at["moment"], "%Y-%m-%dT%H:%M:%S"))
    raise ValueError(f"{text!r} is not an at, rate or cron expression")


def _parse_rate(value: int, unit: str) -> Rate:
    """AWS's rule: value 1 takes the singular unit, larger values the plural."""
    if not 1 <= value <= _LARGEST_RATE:
        raise ValueError(f"rate value {value} is out of range")
    if (value == 1) == unit.endswith("s"):
        raise ValueError(f"rate({value} {unit}) mixes singular and plural")
    return Rate(value, unit)
