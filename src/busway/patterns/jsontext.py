"""Pattern JSON as AWS's streaming parser sees it.

EventBridge parses a pattern token by token, so it reports the first problem in
document order and sees every occurrence of a duplicated key. ``load_pattern_json``
keeps objects as ``Members`` (ordered ``(key, value)`` pairs, duplicates included)
and turns syntax errors into Jackson's wording.
"""

from __future__ import annotations

import json
import re
from typing import Any

from busway.errors import InvalidEventPatternError

# Jackson's default limit; a 4096-character pattern cannot come near it.
MAX_DEPTH = 1000

_TOKEN = re.compile(r'[^\s,:\[\]{}"]+')


class Members(list[tuple[str, Any]]):
    """A JSON object's members in document order, duplicate keys kept."""


def load_pattern_json(text: str) -> Any:
    """Parse ``text``; objects become ``Members``. Content after the first value is ignored."""
    stripped = text.lstrip()
    if not stripped:
        raise InvalidEventPatternError("Filter is not an object")
    _check_depth(stripped)
    decoder = json.JSONDecoder(object_pairs_hook=Members, parse_constant=_reject_constant)
    try:
        value, _ = decoder.raw_decode(stripped)
    except RecursionError:
        raise InvalidEventPatternError(_too_deep(MAX_DEPTH + 1)) from None
    except json.JSONDecodeError as error:
        raise InvalidEventPatternError(_jackson_message(error)) from None
    except _ConstantError as error:
        raise InvalidEventPatternError(_unrecognized(error.token)) from None
    return value


def _check_depth(text: str) -> None:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidEventPatternError(_too_deep(depth))
        elif char in "]}":
            depth -= 1


def _too_deep(depth: int) -> str:
    return (
        f"Document nesting depth ({depth}) exceeds the maximum allowed "
        f"({MAX_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)"
    )


class _ConstantError(Exception):
    def __init__(self, token: str) -> None:
        self.token = token


def _reject_constant(token: str) -> Any:
    raise _ConstantError(token)


def _jackson_message(error: json.JSONDecodeError) -> str:
    text, pos = error.doc, error.pos
    if pos >= len(text):
        return "Unexpected end-of-input: expected close marker for Object"
    char = text[pos]
    if error.msg == "Expecting value":
        token = _TOKEN.match(text, pos)
        if token:
            return _unrecognized(token.group())
        return f"Unexpected character ({_describe(char)}): expected a value"
    expectation = _EXPECTATIONS.get(error.msg, "was expecting a value")
    return f"Unexpected character ({_describe(char)}): {expectation}"


_EXPECTATIONS = {
    "Expecting property name enclosed in double quotes": (
        "was expecting double-quote to start field name"
    ),
    "Expecting ',' delimiter": "was expecting comma to separate entries",
    "Expecting ':' delimiter": "was expecting a colon to separate field name and value",
}


def _unrecognized(token: str) -> str:
    return (
        f"Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object "
        "or token 'null', 'true' or 'false')"
    )


def _describe(char: str) -> str:
    return f"'{char}' (code {ord(char)})"
