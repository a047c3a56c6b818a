"""The EventBridge event pattern language: parse, validate, match, explain.

Pure: no I/O. ``parse_pattern`` validates with AWS's messages; ``Matcher`` holds all
rules of a bus compiled into one structure; ``matches`` is the plain reference
evaluator the Matcher is tested against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from busway.errors import InvalidEventError, InvalidEventPatternError
from busway.patterns.explain import BranchExplanation, Explanation, FieldExplanation, explain
from busway.patterns.machine import Matcher
from busway.patterns.reference import matches
from busway.patterns.syntax import Pattern, parse_pattern

REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def parse_event(text: str) -> dict[str, Any]:
    """``text`` as an event object; raises ``InvalidEventError`` if it is not a JSON object."""
    try:
        event = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidEventError() from None
    if not isinstance(event, dict):
        raise InvalidEventError()
    return event


def test_event_pattern(pattern_text: str, event_text: str) -> bool:
    """EventBridge's ``TestEventPattern``: validate both, then match.

    The event must be a JSON object carrying AWS's required envelope fields.
    """
    pattern = parse_pattern(pattern_text)
    event = parse_event(event_text)
    if any(name not in event for name in REQUIRED_EVENT_FIELDS):
        raise InvalidEventError()
    return matches_event(pattern, event)


def matches_event(pattern: Pattern, event: Mapping[str, Any]) -> bool:
    """Whether ``pattern`` matches ``event``, with the compiled engine."""
    return bool(Matcher({0: pattern}).match(event))


__all__ = [
    "REQUIRED_EVENT_FIELDS",
    "BranchExplanation",
    "Explanation",
    "FieldExplanation",
    "InvalidEventError",
    "InvalidEventPatternError",
    "Matcher",
    "Pattern",
    "explain",
    "matches",
    "matches_event",
    "parse_event",
    "parse_pattern",
    "test_event_pattern",
]
