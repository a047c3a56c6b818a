"""Match expressions: the ``{"operator": value}`` objects inside a pattern array.

Each check runs in the order EventBridge's streaming parser meets the tokens, so the
first problem in the text is the one reported, with AWS's exact wording.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from busway.errors import InvalidEventPatternError
from busway.patterns import operators as op
from busway.patterns.ipaddr import parse_cidr
from busway.patterns.jsontext import Members
from busway.patterns.numbers import is_number, to_double
from busway.patterns.wildcard import parse_wildcard

_ONE_KEY = "Only one key allowed in match expression"
_TOO_MANY = "Too many elements in numeric expression"


def parse_expression(members: Members) -> op.Operator:
    if not members:
        raise InvalidEventPatternError("Match expression name not found")
    name, value = members[0]
    parser = _PARSERS.get(name)
    if parser is None:
        raise InvalidEventPatternError(f"Unrecognized match type {name}")
    operator = parser(value)
    if len(members) > 1:
        raise InvalidEventPatternError(_TOO_MANY if name in _NUMERIC_STYLE else _ONE_KEY)
    return operator


def _require_string(value: Any, message: str) -> str:
    if type(value) is not str:
        raise InvalidEventPatternError(message)
    return value


def _exactly(value: Any) -> op.Operator:
    return op.Exact(_require_string(value, "exact match pattern must be a string"))


def _prefix(value: Any) -> op.Operator:
    if isinstance(value, Members):
        return op.Prefix(_ignore_case_operand(value, "Prefix"), ignore_case=True)
    return op.Prefix(_require_string(value, "prefix match pattern must be a string"))


def _suffix(value: Any) -> op.Operator:
    if isinstance(value, Members):
        return op.Suffix(_ignore_case_operand(value, "Suffix"), ignore_case=True)
    return op.Suffix(_require_string(value, "suffix match pattern must be a string"))


def _ignore_case_operand(members: Members, kind: str) -> str:
    if not members:
        raise InvalidEventPatternError(f"{kind} expression name not found")
    name, value = members[0]
    if name != "equals-ignore-case":
        raise InvalidEventPatternError(f"Unsupported {kind.lower()} pattern: {name}")
    text = _require_string(value, "equals-ignore-case match pattern must be a string")
    if len(members) > 1:
        raise InvalidEventPatternError(_ONE_KEY)
    return text


def _equals_ignore_case(value: Any) -> op.Operator:
    text = _require_string(value, "equals-ignore-case match pattern must be a string")
    return op.EqualsIgnoreCase(text)


def _wildcard(value: Any) -> op.Operator:
    text = _require_string(value, "wildcard match pattern must be a string")
    return op.Wildcard(parse_wildcard(text))


def _cidr(value: Any) -> op.Operator:
    # AWS reuses the prefix message here.
    text = _require_string(value, "prefix match pattern must be a string")
    return op.Cidr(parse_cidr(text))


def _exists(value: Any) -> op.Operator:
    if type(value) is not bool:
        raise InvalidEventPatternError("exists match pattern must be either true or false.")
    return op.Exists(value)


def _numeric(value: Any) -> op.Operator:
    if type(value) is not list:
        raise InvalidEventPatternError("Value of numeric must be an array.")
    first = value[0] if value else None
    if type(first) is not str:
        raise InvalidEventPatternError(f"Invalid member in numeric match: {token_text(first)}")
    if first == "=":
        number = _operand(value, 1, "equals")
        _no_more(value, 2, _TOO_MANY)
        return op.Numeric(number, True, number, True)
    if first in ("<", "<="):
        number = _operand(value, 1, first)
        _no_more(value, 2, _TOO_MANY)
        return op.Numeric(None, False, number, first == "<=")
    if first in (">", ">="):
        number = _operand(value, 1, first)
        if len(value) == 2:
            return op.Numeric(number, first == ">=", None, False)
        return _numeric_range(value, number, first == ">=")
    raise InvalidEventPatternError(f"Unrecognized numeric range operator: {first}")


def _numeric_range(value: list[Any], low: float, low_inclusive: bool) -> op.Operator:
    second = value[2]
    if type(second) is not str:
        raise InvalidEventPatternError(f"Bad value in numeric range: {token_text(second)}")
    if second not in ("<", "<="):
        raise InvalidEventPatternError(f"Bad numeric range operator: {second}")
    high = _operand(value, 3, second)
    _no_more(value, 4, "Too many terms in numeric range expression")
    if not low < high:
        raise InvalidEventPatternError("Bottom must be less than top")
    return op.Numeric(low, low_inclusive, high, second == "<=")


def _operand(value: list[Any], index: int, name: str) -> float:
    if index >= len(value) or not is_number(value[index]):
        raise InvalidEventPatternError(f"Value of {name} must be numeric")
    return to_double(value[index])


def _no_more(value: list[Any], size: int, message: str) -> None:
    if len(value) > size:
        raise InvalidEventPatternError(message)


def token_text(value: Any) -> str:
    """How Jackson prints the token that starts ``value``."""
    if value is None:
        return "]"
    if isinstance(value, Members):
        return "{"
    if type(value) is list:
        return "["
    if type(value) is bool:
        return "true" if value else "false"
    return str(value)


def _anything_but(value: Any) -> op.Operator:
    if not isinstance(value, Members):
        _require_anything_but_value(value)
        return _plain_anything_but(value)
    if not value:
        raise InvalidEventPatternError("Anything-But expression name not found")
    name, operand = value[0]
    build = _ANYTHING_BUT_SETS.get(name)
    if build is None:
        raise InvalidEventPatternError(f"Unsupported anything-but pattern: {name}")
    _require_anything_but_value(operand)
    operator = build(operand if type(operand) is list else [operand])
    if len(value) > 1:
        raise InvalidEventPatternError(_TOO_MANY)
    return operator


def _require_anything_but_value(value: Any) -> None:
    if not (type(value) in (list, str) or is_number(value)):
        raise InvalidEventPatternError(
            "Value of anything-but must be an array or single string/number value."
        )


def _plain_anything_but(value: Any) -> op.Operator:
    items = value if type(value) is list else [value]
    for item in items:
        if not (type(item) is str or is_number(item)):
            raise InvalidEventPatternError(
                "Inside anything but list, start|null|boolean is not supported."
            )
    strings = frozenset(item for item in items if type(item) is str)
    numbers = frozenset(to_double(item) for item in items if is_number(item))
    if bool(strings) == bool(numbers):
        raise InvalidEventPatternError(
            "Inside anything but list, either all values are number or string, "
            "mixed type is not supported"
        )
    return op.AnythingBut(strings, numbers)


def _strings_for(items: list[Any], message: str, *, non_empty: bool = False) -> list[str]:
    for item in items:
        if type(item) is not str:
            raise InvalidEventPatternError(message)
        if non_empty and not item:
            raise InvalidEventPatternError("Null prefix/suffix not allowed")
    return list(items)


def _anything_but_prefix(items: list[Any]) -> op.Operator:
    values = _strings_for(items, "prefix/suffix match pattern must be a string", non_empty=True)
    return op.AnythingButPrefix(tuple(values))


def _anything_but_suffix(items: list[Any]) -> op.Operator:
    values = _strings_for(items, "prefix/suffix match pattern must be a string", non_empty=True)
    return op.AnythingButSuffix(tuple(values))


def _anything_but_ignore_case(items: list[Any]) -> op.Operator:
    values = _strings_for(
        items,
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    )
    return op.AnythingButIgnoreCase(frozenset(value.lower() for value in values))


def _anything_but_wildcard(items: list[Any]) -> op.Operator:
    values = _strings_for(items, "wildcard match pattern must be a string")
    return op.AnythingButWildcard(tuple(parse_wildcard(value) for value in values))


_ANYTHING_BUT_SETS: dict[str, Callable[[list[Any]], op.Operator]] = {
    "prefix": _anything_but_prefix,
    "suffix": _anything_but_suffix,
    "equals-ignore-case": _anything_but_ignore_case,
    "wildcard": _anything_but_wildcard,
}

_PARSERS: dict[str, Callable[[Any], op.Operator]] = {
    "exactly": _exactly,
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": _exists,
    "cidr": _cidr,
}

# These two report extra keys with the numeric wording, as AWS does.
_NUMERIC_STYLE = frozenset({"numeric", "anything-but"})
