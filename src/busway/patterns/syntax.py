"""Pattern text to ``Pattern``: validation with AWS's messages and ``$or`` expansion.

A pattern becomes a tuple of branches (one per combination of ``$or`` choices); a
branch is a tuple of ``Field``s, each a dotted path and the operators any one of
which must accept a value at that path. A later duplicate of a path replaces the
earlier one, as EventBridge does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from busway.errors import InvalidEventPatternError
from busway.patterns import operators as op
from busway.patterns.expressions import parse_expression
from busway.patterns.ipaddr import looks_like_ip, parse_ip
from busway.patterns.jsontext import Members, load_pattern_json
from busway.patterns.numbers import is_number, to_double
from busway.patterns.wildcard import check_complexity, wildcard_complexity

MAX_BRANCHES = 1000

_RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists",
        "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Field:
    path: str
    operators: tuple[op.Operator, ...]
    source: str = field(compare=False)

    @property
    def allows_absence(self) -> bool:
        return op.ABSENT in self.operators

    @property
    def positive(self) -> tuple[op.Operator, ...]:
        """The operators that test a present value (all but ``exists: false``)."""
        return tuple(operator for operator in self.operators if operator != op.ABSENT)


Branch = tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Pattern:
    """A validated event pattern. ``text`` is kept exactly as given."""

    text: str
    branches: tuple[Branch, ...] = field(compare=False, repr=False)


def parse_pattern(text: str) -> Pattern:
    """Parse and validate ``text`` exactly as EventBridge does."""
    root = load_pattern_json(text)
    if not isinstance(root, Members):
        raise InvalidEventPatternError("Filter is not an object")
    rules: list[dict[str, Field]] = []
    _parse_object(root, [], rules, in_or=False)
    branches = tuple(tuple(rule.values()) for rule in rules)
    _check_wildcard_complexity(branches)
    return Pattern(text, branches)


def _parse_object(
    members: Members, stack: list[str], rules: list[dict[str, Field]], *, in_or: bool
) -> None:
    if not members:
        raise InvalidEventPatternError("Empty objects are not allowed")
    for key, value in members:
        if key == "$or":
            _parse_or(value, stack, rules)
            continue
        if in_or and key in _RESERVED_IN_OR:
            raise InvalidEventPatternError(
                f"{key} is Ruler reserved fieldName which cannot be used inside $or."
            )
        if isinstance(value, Members):
            _parse_object(value, [*stack, key], rules, in_or=in_or)
        elif type(value) is list:
            _add_field(rules, ".".join([*stack, key]), value)
        else:
            raise InvalidEventPatternError(f'"{key}" must be an object or an array')


def _parse_or(value: Any, stack: list[str], rules: list[dict[str, Field]]) -> None:
    before = [dict(rule) for rule in rules]
    rules.clear()
    if type(value) is not list:
        raise InvalidEventPatternError("It must be an Array followed with $or.")
    for element in value:
        if not isinstance(element, Members):
            raise InvalidEventPatternError(
                "Only JSON object is allowed in array of $or relationship."
            )
        forked = [dict(rule) for rule in before] or [{}]
        _parse_object(element, stack, forked, in_or=True)
        rules.extend(forked)
        if len(rules) > MAX_BRANCHES:
            raise InvalidEventPatternError(
                f"Rule is too complex - the $or expansion exceeds {MAX_BRANCHES} combinations"
            )
    if len(value) < 2:
        raise InvalidEventPatternError("There must have at least 2 Objects in $or relationship.")


def _add_field(rules: list[dict[str, Field]], path: str, values: list[Any]) -> None:
    operators = tuple(_parse_match_value(value) for value in values)
    if not operators:
        raise InvalidEventPatternError("Empty arrays are not allowed")
    if not rules:
        rules.append({})
    new_field = Field(path, operators, source=to_json(values))
    for rule in rules:
        rule.pop(path, None)
        rule[path] = new_field


def _parse_match_value(value: Any) -> op.Operator:
    if isinstance(value, Members):
        return parse_expression(value)
    if type(value) is str:
        address = parse_ip(value) if looks_like_ip(value) else None
        return op.Exact(value) if address is None else op.ExactIp(address)
    if type(value) is bool or value is None:
        return op.ExactLiteral(value)
    if is_number(value):
        return op.ExactNumber(to_double(value))
    raise InvalidEventPatternError("Match value must be String, number, true, false, or null")


def _check_wildcard_complexity(branches: tuple[Branch, ...]) -> None:
    # The wildcards of one field share one automaton, so their live prefixes add up.
    for branch in branches:
        for path_field in branch:
            check_complexity(
                sum(
                    wildcard_complexity(operator.segments)
                    for operator in path_field.operators
                    if isinstance(operator, op.Wildcard)
                )
            )


def to_json(value: Any) -> str:
    """Compact JSON for a parsed pattern value (``Members`` back to an object)."""
    if isinstance(value, Members):
        inner = ",".join(f"{json.dumps(key, ensure_ascii=False)}:{to_json(v)}" for key, v in value)
        return "{" + inner + "}"
    if type(value) is list:
        return "[" + ",".join(to_json(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)
