"""Schedule expressions as EventBridge reads them: ``at``, ``rate`` and AWS's cron.

Pure: no I/O beyond reading the IANA zone data, no clock: time is always an argument.
``parse_expression`` (Scheduler) and ``parse_rule_expression`` (rules) turn text into an
``Expression`` or raise AWS's ``ValidationError``; ``next_occurrence`` and
``occurrences`` say when it fires, in a time zone, with AWS's daylight-saving rules
(see ``busway.schedule.occurrence``); ``flexible_offset`` spreads an invocation over its
FlexibleTimeWindow.
"""

from __future__ import annotations

from busway.schedule.expression import At, Cron, Expression, Rate
from busway.schedule.flexible import flexible_offset
from busway.schedule.occurrence import load_timezone, next_occurrence, occurrences
from busway.schedule.parsing import RULE_MESSAGE, parse_expression, parse_rule_expression

__all__ = [
    "RULE_MESSAGE",
    "At",
    "Cron",
    "Expression",
    "Rate",
    "flexible_offset",
    "load_timezone",
    "next_occurrence",
    "occurrences",
    "parse_expression",
    "parse_rule_expression",
]
