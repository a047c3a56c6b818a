"""The rarer conditions of one sealed ``Edges``: presence, absence, numbers, literals,
affixes, tests.

Each lookup returns a find (see ``flat``): targets are held bare or in tuples, so a
test reads few objects and allocates nothing unless several conditions hold at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

from busway.patterns import operators as op
from busway.patterns.flat import FEW_STRINGS, bare, bare_table, few_get, few_strings, joined
from busway.patterns.ipaddr import Address, parse_ip
from busway.patterns.kinds import (
    ADDRESSES,
    ANY_TESTS,
    FOLDED,
    LITERALS,
    NUMBERS,
    OTHER_STRINGS,
    PREFIXES,
    PRESENT,
    STRING_TESTS,
    SUFFIXES,
)
from busway.patterns.numbers import to_double

if TYPE_CHECKING:
    from busway.patterns.builder import AffixesBuilder, EdgesBuilder

S = TypeVar("S")
T = TypeVar("T")

# Final, so mypyc keeps these in C statics rather than looking them up in the module dict.
_MAX_EXACT_INT: Final = 2**53
_FEW_AFFIXES: Final = 8
# Shared, never written: what a Rest holds where it has nothing.
_EMPTY_NUMBERS: Final[dict[float, Any]] = {}
_EMPTY_STRINGS: Final[dict[str, Any]] = {}
_EMPTY_ADDRESSES: Final[dict[Address, Any]] = {}
_EMPTY_TABLES: Final[dict[int, Any]] = {}


# Every slot of a Rest that holds conditions (all but ``table``).
_CONDITIONS: Final = (
    "absent",
    "addresses",
    "any_tests",
    "bounds",
    "cidrs",
    "false",
    "folded",
    "folded_few",
    "folded_prefixes",
    "folded_suffixes",
    "null",
    "numbers",
    "prefix_pairs",
    "prefixes",
    "present",
    "ranges",
    "string_tests",
    "suffix_pairs",
    "suffixes",
    "true",
)


class Rest(Generic[S]):
    """Every condition of one sealed Edges but exact strings."""

    __slots__ = (*_CONDITIONS, "table")

    def __init__(self, built: EdgesBuilder[T], final: Callable[[T], S]) -> None:
        # Assigned in this order, so mypyc lays the commonest conditions (prefix,
        # anything-but, range, equals-ignore-case, wildcard) out in the first cache line.
        # A few prefixes (or suffixes) are one flat tuple here, affix then target, with
        # no Affixes object to follow; many are hashed in an Affixes.
        self.prefix_pairs, self.prefixes = _split(_sealed(built.prefixes, final))
        # Tests are the operators themselves, each followed by its target in one flat
        # tuple: no bound method or pair tuple to follow, and a native call.
        self.any_tests = _flat_tests(built.any_tests, final)
        ranges = tuple(Bounds(numeric, final(target)) for numeric, target in built.ranges)
        # A lone range (the commonest case) is held bare, with no tuple to follow.
        self.bounds: Bounds[S] | None = ranges[0] if len(ranges) == 1 else None
        self.ranges = () if len(ranges) == 1 else ranges
        folded = _tuples(built.folded, final)
        # A few folded strings are one flat tuple as Edges.few, many a dict.
        self.folded_few: tuple[object, ...] = ()
        self.folded: dict[str, object] = _EMPTY_STRINGS
        if len(folded) <= FEW_STRINGS:
            self.folded_few = few_strings(folded)
        else:
            self.folded = bare_table(folded)
        self.string_tests = _flat_tests(built.string_tests, final)
        self.suffix_pairs, self.suffixes = _split(_sealed(built.suffixes, final))
        self.numbers: dict[float, object] = bare_table(_tuples(built.numbers, final)) or (
            _EMPTY_NUMBERS
        )
        # CIDR blocks flat: bits, bottom, top and target for each, in one tuple.
        self.cidrs: tuple[object, ...] = tuple(
            item
            for (bits, bottom, top), target in built.cidrs
            for item in (bits, bottom, top, final(target))
        )
        self.addresses: dict[Address, object] = bare_table(_tuples(built.addresses, final)) or (
            _EMPTY_ADDRESSES
        )
        self.null = bare(tuple(final(target) for target in built.null))
        self.true = bare(tuple(final(target) for target in built.true))
        self.false = bare(tuple(final(target) for target in built.false))
        self.folded_prefixes = _sealed(built.folded_prefixes, final)
        self.folded_suffixes = _sealed(built.folded_suffixes, final)
        self.present = bare(tuple(map(final, built.present)))
        self.absent = tuple(map(final, built.absent))
        # Its Edges' exact strings, when two or more (see Edges.lookup).
        self.table: object = None

    def solo(self) -> tuple[object, object] | None:
        """(operand, targets) when this holds a single condition that ``Edges`` can hold
        itself (one prefix, suffix, range, string test, other test, presence,
        equals-ignore-case string or CIDR block), else None."""
        held = [
            (name, getattr(self, name))
            for name in _CONDITIONS
            if getattr(self, name) not in (None, (), {})
        ]
        if len(held) != 1:
            return None
        name, value = held[0]
        if name in ("prefix_pairs", "suffix_pairs", "any_tests", "string_tests"):
            pair = cast(tuple[object, ...], value)
            return (pair[0], pair[1]) if len(pair) == 2 else None
        if name == "bounds":
            bounds = cast(Bounds[S], value)
            return bounds, bounds.target
        if name == "present":
            return None, value
        if name == "folded_few":
            few = cast(tuple[object, ...], value)
            return (few[1], few[2]) if len(few) == 3 else None
        if name == "cidrs":
            cidr = cast(tuple[object, ...], value)
            return (cidr[:3], cidr[3]) if len(cidr) == 4 else None
        return None

    def find(self, value: Any, kinds: int) -> object:
        """The targets of every condition held here that ``value`` meets, as a find."""
        found: object = None
        kind = type(value)
        if kind is str:
            if kinds & OTHER_STRINGS:
                found = self.string_targets(value, kinds)
        elif kind is int or kind is float:
            if kinds & NUMBERS:
                found = self.number_targets(value)
        elif kinds & LITERALS:
            if value is None:
                found = self.null
            elif value is True:
                found = self.true
            elif value is False:
                found = self.false
        if kinds & ANY_TESTS:
            tests = self.any_tests
            for index in range(0, len(tests), 2):
                if cast(op.Operator, tests[index]).test(value):
                    found = joined(found, tests[index + 1])
        if kinds & PRESENT:
            found = joined(found, self.present)
        return found

    def number_targets(self, value: int | float) -> object:
        found: object = None
        numbers = self.numbers
        if numbers:
            found = numbers.get(_number_key(value))
        bounds = self.bounds
        if bounds is not None:
            if bounds.hold(to_double(value)):
                found = joined(found, bounds.target)
            return found
        ranges = self.ranges
        if ranges:
            number = to_double(value)
            for bounds in ranges:
                if bounds.hold(number):
                    found = joined(found, bounds.target)
        return found

    def string_targets(self, value: str, kinds: int) -> object:
        found: object = None
        if kinds & PREFIXES:
            if self.prefix_pairs:
                found = _affix_targets(self.prefix_pairs, value, False)
            elif self.prefixes is not None:
                found = self.prefixes.find(value)
        if kinds & SUFFIXES:
            if self.suffix_pairs:
                found = joined(found, _affix_targets(self.suffix_pairs, value, True))
            elif self.suffixes is not None:
                found = joined(found, self.suffixes.find(value))
        if kinds & FOLDED:
            found = joined(found, self._folded_targets(value.lower()))
        if kinds & STRING_TESTS:
            tests = self.string_tests
            for index in range(0, len(tests), 2):
                if cast(op.Wildcard, tests[index]).test(value):
                    found = joined(found, tests[index + 1])
        if kinds & ADDRESSES:
            found = joined(found, self._address_targets(value))
        return found

    def _folded_targets(self, lowered: str) -> object:
        few = self.folded_few
        found = few_get(few, lowered) if few else self.folded.get(lowered)
        if self.folded_prefixes is not None:
            found = joined(found, self.folded_prefixes.find(lowered))
        if self.folded_suffixes is not None:
            found = joined(found, self.folded_suffixes.find(lowered))
        return found

    def _address_targets(self, value: str) -> object:
        address = parse_ip(value)
        if address is None:
            return None
        found = self.addresses.get(address)
        cidrs = self.cidrs
        bits, number = address
        for index in range(0, len(cidrs), 4):
            if cast(int, cidrs[index]) == bits and cast(int, cidrs[index + 1]) <= number <= cast(
                int, cidrs[index + 2]
            ):
                found = joined(found, cidrs[index + 3])
        return found


class Bounds(Generic[S]):
    """One numeric range and its target, the bounds as native doubles (no objects to
    follow); an open side is an infinity, included."""

    __slots__ = ("high", "high_inclusive", "low", "low_inclusive", "target")

    def __init__(self, numeric: op.Numeric, target: S) -> None:
        self.low: float = -math.inf if numeric.low is None else float(numeric.low)
        self.low_inclusive = numeric.low is None or numeric.low_inclusive
        self.high: float = math.inf if numeric.high is None else float(numeric.high)
        self.high_inclusive = numeric.high is None or numeric.high_inclusive
        self.target = target

    def hold(self, number: float) -> bool:
        if not (number >= self.low if self.low_inclusive else number > self.low):
            return False
        return number <= self.high if self.high_inclusive else number < self.high


class Affixes(Generic[S]):
    """Prefixes (or suffixes) of one sealed edge: compared one by one when few, else hashed.

    Few are one flat tuple, affix then target, an affix once per target; with many,
    the value is sliced once per distinct affix length and looked up.
    """

    __slots__ = ("from_end", "pairs", "tables")

    def __init__(self, built: AffixesBuilder[T], final: Callable[[T], S]) -> None:
        self.from_end = built.from_end
        pairs: list[object] = []
        for table in built.tables.values():
            for text, targets in table.items():
                for target in targets:
                    pairs += (text, final(target))
        self.pairs: tuple[object, ...] = ()
        self.tables: dict[int, dict[str, object]] = _EMPTY_TABLES
        if len(pairs) <= 2 * _FEW_AFFIXES:
            self.pairs = tuple(pairs)
        else:
            self.tables = {
                length: bare_table(_tuples(table, final)) for length, table in built.tables.items()
            }

    def find(self, value: str) -> object:
        """The targets of every affix ``value`` has, as a find."""
        if self.pairs:
            return _affix_targets(self.pairs, value, self.from_end)
        found: object = None
        size = len(value)
        for length, table in self.tables.items():
            if length <= size:
                key = value[size - length :] if self.from_end else value[:length]
                found = joined(found, table.get(key))
        return found


def _affix_targets(pairs: tuple[object, ...], value: str, from_end: bool) -> object:
    """The target of each affix in ``pairs`` (affix, target, ...) ``value`` has."""
    found: object = None
    for index in range(0, len(pairs), 2):
        affix = cast(str, pairs[index])
        if value.endswith(affix) if from_end else value.startswith(affix):
            found = joined(found, pairs[index + 1])
    return found


def _split(affixes: Affixes[S] | None) -> tuple[tuple[object, ...], Affixes[S] | None]:
    """A few affixes as their flat pairs (no Affixes kept), or many as the Affixes."""
    if affixes is None or affixes.pairs:
        return (() if affixes is None else affixes.pairs), None
    return (), affixes


def _flat_tests(tests: list[tuple[Any, T]], final: Callable[[T], S]) -> tuple[object, ...]:
    """``(operator, target)`` pairs as one flat tuple, each target ``final(target)``."""
    flat: list[object] = []
    for operator, target in tests:
        flat += (operator, final(target))
    return tuple(flat)


def _tuples(table: dict[Any, list[T]], final: Callable[[T], S]) -> dict[Any, tuple[S, ...]]:
    return {key: tuple(final(target) for target in targets) for key, targets in table.items()}


def _sealed(built: AffixesBuilder[T] | None, final: Callable[[T], S]) -> Affixes[S] | None:
    return None if built is None else Affixes(built, final)


def _number_key(value: int | float) -> float:
    if type(value) is int and not -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    return value
