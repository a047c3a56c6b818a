"""The value side of one machine state: which next states a leaf value leads to.

Exact values are found by hashing; prefixes and suffixes by one hash per distinct
length; everything else (ranges, wildcards, CIDR, anything-but) by testing the few
operators this state holds. A state's edges only hold the conditions of the rules
that reached it, so this work does not grow with the number of rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

from busway.patterns import operators as op
from busway.patterns.ipaddr import Address, Range, in_range, parse_ip

S = TypeVar("S")

# Final, so mypyc keeps these in C statics rather than looking them up in the module dict.
_MAX_EXACT_INT: Final = 2**53
# Shared, never written: what a sealed Edges holds where it has nothing.
_NONE: Final[list[Any]] = []
_EMPTY_NUMBERS: Final[dict[float, Any]] = {}
_EMPTY_STRINGS: Final[dict[str, Any]] = {}
_EMPTY_PAIRS: Final[list[Any]] = []
_EMPTY_ADDRESSES: Final[dict[Address, Any]] = {}


class Edges(Generic[S]):
    """Transitions on one dotted path out of one state."""

    __slots__ = (
        "absent",
        "addresses",
        "any_tests",
        "cidrs",
        "false",
        "folded",
        "folded_prefixes",
        "folded_suffixes",
        "null",
        "numbers",
        "only_hash",
        "only_key",
        "only_target",
        "only_targets",
        "path",
        "prefixes",
        "present",
        "ranges",
        "string_tests",
        "strings",
        "suffixes",
        "true",
        "uses_strings_only",
    )

    def __init__(self) -> None:
        # The fields every walk reads come first, so they share a cache line.
        self.path = -1  # the id of the path these edges test, set when sealed
        self.uses_strings_only = True
        # Most edges past the first field of a rule test one exact string: kept bare,
        # a comparison costs less than a hash lookup and touches less memory.
        self.only_key: str | None = None
        self.only_hash = 0
        self.only_targets: list[S] = _NONE
        self.only_target: S | None = None  # the one target, when only one
        self.strings: dict[str, list[S]] = {}
        self.absent: list[S] = []
        self.present: list[S] = []
        self.any_tests: list[tuple[Callable[[Any], bool], S]] = []
        self.numbers: dict[float, list[S]] = {}
        self.true: list[S] = []
        self.false: list[S] = []
        self.null: list[S] = []
        self.prefixes: Affixes[S] | None = None
        self.suffixes: Affixes[S] | None = None
        self.folded: dict[str, list[S]] = {}
        self.folded_prefixes: Affixes[S] | None = None
        self.folded_suffixes: Affixes[S] | None = None
        self.ranges: list[tuple[op.Numeric, S]] = []
        self.string_tests: list[tuple[Callable[[Any], bool], S]] = []
        self.addresses: dict[Address, list[S]] = {}
        self.cidrs: list[tuple[Range, S]] = []

    def seal(self, path: int) -> None:
        """Share one empty container for every unused slot: most states use one or two."""
        self.path = path
        if self.uses_strings_only and len(self.strings) == 1:
            ((self.only_key, self.only_targets),) = self.strings.items()
            self.only_hash = hash(self.only_key)
            if len(self.only_targets) == 1:
                self.only_target = self.only_targets[0]
            self.strings = _EMPTY_STRINGS
        self.strings = self.strings or _EMPTY_STRINGS
        self.numbers = self.numbers or _EMPTY_NUMBERS
        self.true = self.true or _NONE
        self.false = self.false or _NONE
        self.null = self.null or _NONE
        for affixes in (self.prefixes, self.suffixes, self.folded_prefixes, self.folded_suffixes):
            if affixes is not None:
                affixes.seal()
        self.folded = self.folded or _EMPTY_STRINGS
        self.ranges = self.ranges or _EMPTY_PAIRS
        self.string_tests = self.string_tests or _EMPTY_PAIRS
        self.addresses = self.addresses or _EMPTY_ADDRESSES
        self.cidrs = self.cidrs or _EMPTY_PAIRS
        self.any_tests = self.any_tests or _EMPTY_PAIRS
        self.present = self.present or _NONE
        self.absent = self.absent or _NONE

    def add(self, operator: op.Operator, target: S) -> None:
        if isinstance(operator, op.Exact):
            self.strings.setdefault(operator.value, []).append(target)
            return
        self.uses_strings_only = False
        adder = _ADDERS.get(type(operator))
        if adder is None:
            self.any_tests.append((operator.test, target))
        else:
            adder(self, operator, target)

    def targets(self, value: Any) -> list[S]:
        """The next states ``value`` leads to (may repeat a state; do not mutate)."""
        kind = type(value)
        if kind is str:
            if self.only_key is not None:
                return self.only_targets if self.fits_only_key(value) else _NONE
            found = self.strings.get(value)
            if self.uses_strings_only:
                return found if found is not None else _NONE
            result = list(found) if found is not None else []
            self._string_targets(value, result)
        elif kind is int or kind is float:
            found = self.numbers.get(_number_key(value))
            result = list(found) if found is not None else []
            for numeric, target in self.ranges:
                if numeric.test(value):
                    result.append(target)
        elif value is None:
            result = list(self.null)
        elif value is True:
            result = list(self.true)
        elif value is False:
            result = list(self.false)
        else:
            result = []
        if self.present:
            result.extend(self.present)
        for test, target in self.any_tests:
            if test(value):
                result.append(target)
        return result

    def fits_only_key(self, value: str) -> bool:
        """Whether ``value`` is the one exact key (its cached hash is compared first, so
        a mismatch does not touch the key's own memory)."""
        return hash(value) == self.only_hash and value == self.only_key

    def _string_targets(self, value: str, result: list[S]) -> None:
        if self.prefixes is not None:
            self.prefixes.collect(value, result)
        if self.suffixes is not None:
            self.suffixes.collect(value, result)
        if self.folded or self.folded_prefixes is not None or self.folded_suffixes is not None:
            lowered = value.lower()
            found = self.folded.get(lowered)
            if found is not None:
                result.extend(found)
            if self.folded_prefixes is not None:
                self.folded_prefixes.collect(lowered, result)
            if self.folded_suffixes is not None:
                self.folded_suffixes.collect(lowered, result)
        for test, target in self.string_tests:
            if test(value):
                result.append(target)
        if self.addresses or self.cidrs:
            self._address_targets(value, result)

    def _address_targets(self, value: str, result: list[S]) -> None:
        address = parse_ip(value)
        if address is None:
            return
        found = self.addresses.get(address)
        if found is not None:
            result.extend(found)
        for ip_range, target in self.cidrs:
            if in_range(address, ip_range):
                result.append(target)


class Affixes(Generic[S]):
    """Prefixes (or suffixes) of one edge: compared one by one when few, else hashed.

    With many, the value is sliced once per distinct affix length and looked up.
    """

    __slots__ = ("from_end", "pairs", "tables")

    def __init__(self, *, from_end: bool) -> None:
        self.from_end = from_end
        self.tables: dict[int, dict[str, list[S]]] = {}
        self.pairs: list[tuple[str, list[S]]] = []

    def add(self, text: str, target: S) -> None:
        self.tables.setdefault(len(text), {}).setdefault(text, []).append(target)

    def seal(self) -> None:
        if sum(len(table) for table in self.tables.values()) <= _FEW_AFFIXES:
            self.pairs = [pair for table in self.tables.values() for pair in table.items()]
            self.tables = {}

    def collect(self, value: str, result: list[S]) -> None:
        """Add the targets of every affix ``value`` has to ``result``."""
        for affix, targets in self.pairs:
            if value.endswith(affix) if self.from_end else value.startswith(affix):
                result.extend(targets)
        size = len(value)
        for length, table in self.tables.items():
            if length <= size:
                found = table.get(value[size - length :] if self.from_end else value[:length])
                if found is not None:
                    result.extend(found)


_FEW_AFFIXES: Final = 8


def _number_key(value: int | float) -> float:
    if type(value) is int and not -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    return value


def _add_number(edges: Edges[Any], operator: Any, target: Any) -> None:
    edges.numbers.setdefault(operator.value, []).append(target)


def _add_literal(edges: Edges[Any], operator: Any, target: Any) -> None:
    slot = edges.null if operator.value is None else edges.true if operator.value else edges.false
    slot.append(target)


def _add_prefix(edges: Edges[Any], operator: Any, target: Any) -> None:
    if operator.ignore_case:
        edges.folded_prefixes = _grown(edges.folded_prefixes, operator.value.lower(), target)
    else:
        edges.prefixes = _grown(edges.prefixes, operator.value, target)


def _add_suffix(edges: Edges[Any], operator: Any, target: Any) -> None:
    if operator.ignore_case:
        edges.folded_suffixes = _grown(edges.folded_suffixes, operator.value.lower(), target, True)
    else:
        edges.suffixes = _grown(edges.suffixes, operator.value, target, True)


def _grown(
    affixes: Affixes[Any] | None, text: str, target: Any, from_end: bool = False
) -> Affixes[Any]:
    """``affixes`` (made if there are none yet) with ``text`` leading to ``target``."""
    if affixes is None:
        affixes = Affixes(from_end=from_end)
    affixes.add(text, target)
    return affixes


def _add_folded(edges: Edges[Any], operator: Any, target: Any) -> None:
    edges.folded.setdefault(operator.value.lower(), []).append(target)


def _add_range(edges: Edges[Any], operator: Any, target: Any) -> None:
    edges.ranges.append((operator, target))


def _add_string_test(edges: Edges[Any], operator: Any, target: Any) -> None:
    edges.string_tests.append((operator.test, target))


def _add_address(edges: Edges[Any], operator: Any, target: Any) -> None:
    edges.addresses.setdefault(operator.address, []).append(target)


def _add_cidr(edges: Edges[Any], operator: Any, target: Any) -> None:
    edges.cidrs.append((operator.range, target))


def _add_exists(edges: Edges[Any], operator: Any, target: Any) -> None:
    (edges.present if operator.present else edges.absent).append(target)


_ADDERS: Final[dict[type, Callable[[Edges[Any], Any, Any], None]]] = {
    op.ExactNumber: _add_number,
    op.ExactLiteral: _add_literal,
    op.Prefix: _add_prefix,
    op.Suffix: _add_suffix,
    op.EqualsIgnoreCase: _add_folded,
    op.Numeric: _add_range,
    op.Wildcard: _add_string_test,
    op.Cidr: _add_cidr,
    op.ExactIp: _add_address,
    op.Exists: _add_exists,
}
