"""The value side of one machine state: which next states a leaf value leads to.

Exact values are found by hashing; prefixes and suffixes by one hash per distinct
length; everything else (ranges, wildcards, CIDR, anything-but) by testing the few
operators this state holds. A state's edges only hold the conditions of the rules
that reached it, so this work does not grow with the number of rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar, cast

from busway.patterns import operators as op
from busway.patterns.ipaddr import Address, Range, parse_ip
from busway.patterns.numbers import to_double

S = TypeVar("S")
T = TypeVar("T")

# Final, so mypyc keeps these in C statics rather than looking them up in the module dict.
_MAX_EXACT_INT: Final = 2**53
# At most this many exact strings in one Edges are scanned rather than hashed.
_FEW_STRINGS: Final = 6
# Shared, never written: what a sealed Edges holds where it has nothing.
_EMPTY_NUMBERS: Final[dict[float, Any]] = {}
_EMPTY_STRINGS: Final[dict[str, Any]] = {}
_EMPTY_ADDRESSES: Final[dict[Address, Any]] = {}
_EMPTY_TABLES: Final[dict[int, Any]] = {}


# Which kinds of condition a sealed Edges holds, as bits of ``Edges.kinds``: the walk
# reads only the slots these name, so a state touches one or two cache lines of its
# edges rather than all of them.
_STRINGS: Final = 1
_PREFIXES: Final = 2
_SUFFIXES: Final = 4
_FOLDED: Final = 8
_STRING_TESTS: Final = 16
_ADDRESSES: Final = 32
_NUMBERS: Final = 64
_LITERALS: Final = 128
_PRESENT: Final = 256
_ANY_TESTS: Final = 512
_OTHER_STRINGS: Final = _PREFIXES | _SUFFIXES | _FOLDED | _STRING_TESTS | _ADDRESSES


class Edges(Generic[S]):
    """Transitions on one dotted path out of one state, as the walk reads them.

    Small, so a state's edges take few cache lines: what most steps need (exact
    strings, presence, absence) is here, anything else in ``rest``.
    """

    __slots__ = (
        "absent",
        "few",
        "kinds",
        "only_key",
        "only_length",
        "only_target",
        "only_targets",
        "path",
        "present",
        "rest",
        "strings",
    )

    def __init__(
        self,
        path: int,
        kinds: int,
        only_key: str | None,
        only_targets: tuple[S, ...],
        strings: dict[str, tuple[S, ...]],
    ) -> None:
        # ``strings`` holds two or more keys (a lone one is ``only_key``).
        # Assigned in this order, so mypyc lays the slots a plain one-string step reads
        # (path, only_target, only_length, only_key, absent) out in the object's first
        # cache line.
        self.path = path  # the id of the path these edges test
        # The one target, when these edges test one exact string and nothing else.
        self.only_target: S | None = None
        if kinds == _STRINGS and len(only_targets) == 1:
            self.only_target = only_targets[0]
        # Most edges past the first field of a rule test one exact string: kept bare,
        # a comparison costs less than a hash lookup and touches less memory. Its
        # length (a native int in the object) is compared first, so most mismatches
        # do not touch the key's own memory.
        self.only_length = -1 if only_key is None else len(only_key)
        self.only_key = only_key
        self.absent: tuple[S, ...] = ()
        self.kinds = kinds  # which conditions are held (the bits above)
        self.only_targets = only_targets
        # A few keys: one flat tuple, their lengths, then the keys, then what each
        # leads to (a lone target bare, else a tuple), scanned in order: one or two
        # cache lines, where a dict is the dict, its key table and a tuple per key.
        # Lengths are small ints (shared objects), so a key's own memory is only read
        # when the lengths agree.
        self.few: tuple[object, ...] = ()
        # Many keys: hashed, a lone target held bare (no tuple to follow).
        self.strings: dict[str, object] = _EMPTY_STRINGS
        if len(strings) <= _FEW_STRINGS:
            self.few = _few_strings(strings)
        else:
            self.strings = {key: _bare(targets) for key, targets in strings.items()}
        self.present: tuple[S, ...] = ()
        self.rest: Rest[S] | None = None

    def collect(self, value: Any, out: list[S]) -> None:
        """Append the next states ``value`` leads to to ``out`` (may repeat a state)."""
        kinds = self.kinds
        if kinds & _STRINGS and type(value) is str:
            if self.only_key is not None:
                if self.fits_only_key(value):
                    out.extend(self.only_targets)
            else:
                few = self.few
                found = _few_get(few, value) if few else self.strings.get(value)
                if found is not None:
                    _add_found(found, out)
        if kinds & _PRESENT:
            out.extend(self.present)
        rest = self.rest
        if rest is not None:
            rest.collect(value, out, kinds)

    def fits_only_key(self, value: str) -> bool:
        """Whether ``value`` is the one exact key (its length is compared first, so
        most mismatches do not touch the key's own memory)."""
        return len(value) == self.only_length and value == self.only_key


class EdgesBuilder(Generic[S]):
    """Transitions on one dotted path out of one state, while the machine is built.

    ``seal`` makes the compact Edges the walk reads, with anything but exact strings
    and presence in a fresh ``Rest``; the builder is dropped after.
    """

    __slots__ = (
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
        "strings",
        "suffixes",
        "true",
    )

    def __init__(self) -> None:
        self.absent: list[S] = []
        self.strings: dict[str, list[S]] = {}
        self.present: list[S] = []
        self.any_tests: list[tuple[op.Operator, S]] = []
        self.numbers: dict[float, list[S]] = {}
        self.true: list[S] = []
        self.false: list[S] = []
        self.null: list[S] = []
        self.prefixes: AffixesBuilder[S] | None = None
        self.suffixes: AffixesBuilder[S] | None = None
        self.folded: dict[str, list[S]] = {}
        self.folded_prefixes: AffixesBuilder[S] | None = None
        self.folded_suffixes: AffixesBuilder[S] | None = None
        self.ranges: list[tuple[op.Numeric, S]] = []
        self.string_tests: list[tuple[op.Wildcard, S]] = []
        self.addresses: dict[Address, list[S]] = {}
        self.cidrs: list[tuple[Range, S]] = []

    def seal(self, path: int, final: Callable[[S], T]) -> Edges[T]:
        """The compact Edges for the walk, with each target ``t`` as ``final(t)``.

        Every object the walk reads is made here, one after another, so the edges of
        one part of the machine sit together in memory when it is sealed in order.
        """
        kinds = self._kinds()
        strings = _tuples(self.strings, final)
        only_key: str | None = None
        only_targets: tuple[T, ...] = ()
        if len(strings) == 1:
            ((only_key, only_targets),) = strings.items()
            strings = {}
        sealed = Edges(path, kinds, only_key, only_targets, strings or _EMPTY_STRINGS)
        sealed.absent = tuple(final(target) for target in self.absent)
        sealed.present = tuple(final(target) for target in self.present)
        if kinds & ~(_STRINGS | _PRESENT):
            sealed.rest = Rest(self, final)
        return sealed

    def _kinds(self) -> int:
        folded = (
            bool(self.folded)
            or self.folded_prefixes is not None
            or self.folded_suffixes is not None
        )
        held = (
            (_STRINGS, bool(self.strings)),
            (_PREFIXES, self.prefixes is not None),
            (_SUFFIXES, self.suffixes is not None),
            (_FOLDED, folded),
            (_STRING_TESTS, bool(self.string_tests)),
            (_ADDRESSES, bool(self.addresses or self.cidrs)),
            (_NUMBERS, bool(self.numbers or self.ranges)),
            (_LITERALS, bool(self.true or self.false or self.null)),
            (_PRESENT, bool(self.present)),
            (_ANY_TESTS, bool(self.any_tests)),
        )
        return sum(bit for bit, present in held if present)

    def add(self, operator: op.Operator, target: S) -> None:
        if isinstance(operator, op.Exact):
            self.strings.setdefault(operator.value, []).append(target)
            return
        adder = _ADDERS.get(type(operator))
        if adder is None:
            self.any_tests.append((operator, target))
        else:
            adder(self, operator, target)


class Rest(Generic[S]):
    """The rarer conditions of one sealed Edges: numbers, literals, affixes, tests.

    Targets sit in tuples (one object, where a list is two) and ranges hold their
    bounds as native doubles, so a test reads few objects.
    """

    __slots__ = (
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
        "ranges",
        "string_tests",
        "suffix_pairs",
        "suffixes",
        "true",
    )

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
        if len(folded) <= _FEW_STRINGS:
            self.folded_few = _few_strings(folded)
        else:
            self.folded = {key: _bare(targets) for key, targets in folded.items()}
        self.string_tests = _flat_tests(built.string_tests, final)
        self.suffix_pairs, self.suffixes = _split(_sealed(built.suffixes, final))
        self.numbers: dict[float, tuple[S, ...]] = _tuples(built.numbers, final) or _EMPTY_NUMBERS
        # CIDR blocks flat: bits, bottom, top and target for each, in one tuple.
        self.cidrs: tuple[object, ...] = tuple(
            item
            for (bits, bottom, top), target in built.cidrs
            for item in (bits, bottom, top, final(target))
        )
        self.addresses: dict[Address, tuple[S, ...]] = (
            _tuples(built.addresses, final) or _EMPTY_ADDRESSES
        )
        self.null = tuple(final(target) for target in built.null)
        self.true = tuple(final(target) for target in built.true)
        self.false = tuple(final(target) for target in built.false)
        self.folded_prefixes = _sealed(built.folded_prefixes, final)
        self.folded_suffixes = _sealed(built.folded_suffixes, final)

    def collect(self, value: Any, out: list[S], kinds: int) -> None:
        """Append the targets of every condition but exact strings and presence."""
        kind = type(value)
        if kind is str:
            if kinds & _OTHER_STRINGS:
                self.string_targets(value, out, kinds)
        elif kind is int or kind is float:
            if kinds & _NUMBERS:
                self.number_targets(value, out)
        elif kinds & _LITERALS:
            if value is None:
                out.extend(self.null)
            elif value is True:
                out.extend(self.true)
            elif value is False:
                out.extend(self.false)
        if kinds & _ANY_TESTS:
            tests = self.any_tests
            for index in range(0, len(tests), 2):
                if cast(op.Operator, tests[index]).test(value):
                    out.append(cast(S, tests[index + 1]))

    def number_targets(self, value: int | float, out: list[S]) -> None:
        numbers = self.numbers
        if numbers:
            found = numbers.get(_number_key(value))
            if found is not None:
                out.extend(found)
        bounds = self.bounds
        if bounds is not None:
            if bounds.hold(to_double(value)):
                out.append(bounds.target)
            return
        ranges = self.ranges
        if ranges:
            number = to_double(value)
            for bounds in ranges:
                if bounds.hold(number):
                    out.append(bounds.target)

    def string_targets(self, value: str, out: list[S], kinds: int) -> None:
        if kinds & _PREFIXES:
            if self.prefix_pairs:
                _affix_targets(self.prefix_pairs, value, out, False)
            elif self.prefixes is not None:
                self.prefixes.collect(value, out)
        if kinds & _SUFFIXES:
            if self.suffix_pairs:
                _affix_targets(self.suffix_pairs, value, out, True)
            elif self.suffixes is not None:
                self.suffixes.collect(value, out)
        if kinds & _FOLDED:
            self._folded_targets(value.lower(), out)
        if kinds & _STRING_TESTS:
            tests = self.string_tests
            for index in range(0, len(tests), 2):
                if cast(op.Wildcard, tests[index]).test(value):
                    out.append(cast(S, tests[index + 1]))
        if kinds & _ADDRESSES:
            self._address_targets(value, out)

    def _folded_targets(self, lowered: str, out: list[S]) -> None:
        few = self.folded_few
        found = _few_get(few, lowered) if few else self.folded.get(lowered)
        if found is not None:
            _add_found(found, out)
        if self.folded_prefixes is not None:
            self.folded_prefixes.collect(lowered, out)
        if self.folded_suffixes is not None:
            self.folded_suffixes.collect(lowered, out)

    def _address_targets(self, value: str, out: list[S]) -> None:
        address = parse_ip(value)
        if address is None:
            return
        found = self.addresses.get(address)
        if found is not None:
            out.extend(found)
        cidrs = self.cidrs
        if not cidrs:
            return
        bits, number = address
        for index in range(0, len(cidrs), 4):
            if cast(int, cidrs[index]) == bits and cast(int, cidrs[index + 1]) <= number <= cast(
                int, cidrs[index + 2]
            ):
                out.append(cast(S, cidrs[index + 3]))


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


class AffixesBuilder(Generic[S]):
    """Prefixes (or suffixes) of one edge while the machine is built, by length."""

    __slots__ = ("from_end", "tables")

    def __init__(self, *, from_end: bool) -> None:
        self.from_end = from_end
        self.tables: dict[int, dict[str, list[S]]] = {}

    def add(self, text: str, target: S) -> None:
        self.tables.setdefault(len(text), {}).setdefault(text, []).append(target)


class Affixes(Generic[S]):
    """Prefixes (or suffixes) of one sealed edge: compared one by one when few, else hashed.

    Few are one flat tuple, affix then target, an affix once per target (three slots
    and one tuple: two cache lines to test them); with many, the value is sliced
    once per distinct affix length and looked up.
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
        self.tables: dict[int, dict[str, tuple[S, ...]]] = _EMPTY_TABLES
        if len(pairs) <= 2 * _FEW_AFFIXES:
            self.pairs = tuple(pairs)
        else:
            self.tables = {length: _tuples(table, final) for length, table in built.tables.items()}

    def collect(self, value: str, result: list[S]) -> None:
        """Add the targets of every affix ``value`` has to ``result``."""
        if self.pairs:
            _affix_targets(self.pairs, value, result, self.from_end)
        tables = self.tables
        if not tables:
            return
        size = len(value)
        for length, table in tables.items():
            if length <= size:
                found = table.get(value[size - length :] if self.from_end else value[:length])
                if found is not None:
                    result.extend(found)


_FEW_AFFIXES: Final = 8


def _affix_targets(pairs: tuple[object, ...], value: str, out: list[S], from_end: bool) -> None:
    """Add the target of each affix in ``pairs`` (affix, target, ...) ``value`` has."""
    for index in range(0, len(pairs), 2):
        affix = cast(str, pairs[index])
        if value.endswith(affix) if from_end else value.startswith(affix):
            out.append(cast(S, pairs[index + 1]))


def _split(affixes: Affixes[S] | None) -> tuple[tuple[object, ...], Affixes[S] | None]:
    """A few affixes as their flat pairs (no Affixes kept), or many as the Affixes."""
    if affixes is None or affixes.pairs:
        return (() if affixes is None else affixes.pairs), None
    return (), affixes


def _few_strings(table: dict[str, tuple[T, ...]]) -> tuple[object, ...]:
    """A few keys as one flat tuple: their lengths, then the keys, then what each leads
    to (see ``_bare``)."""
    return (
        *(len(key) for key in table),
        *table,
        *(_bare(targets) for targets in table.values()),
    )


def _few_get(few: tuple[object, ...], value: str) -> object:
    """What ``value`` leads to in a ``_few_strings`` tuple, or None."""
    size = len(value)
    count = len(few) // 3
    for index in range(count):
        if cast(int, few[index]) == size and cast(str, few[count + index]) == value:
            return few[2 * count + index]
    return None


def _add_found(found: object, out: list[S]) -> None:
    """Add a lone target or a tuple of them (see ``_bare``) to ``out``."""
    if type(found) is tuple:
        out.extend(cast(tuple[S, ...], found))
    else:
        out.append(cast(S, found))


def _flat_tests(tests: list[tuple[Any, T]], final: Callable[[T], S]) -> tuple[object, ...]:
    """``(operator, target)`` pairs as one flat tuple, each target ``final(target)``."""
    flat: list[object] = []
    for operator, target in tests:
        flat += (operator, final(target))
    return tuple(flat)


def _bare(targets: tuple[T, ...]) -> object:
    """A lone target itself, else the tuple (targets are never tuples themselves)."""
    return targets[0] if len(targets) == 1 else targets


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


def _add_number(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.numbers.setdefault(operator.value, []).append(target)


def _add_literal(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    slot = edges.null if operator.value is None else edges.true if operator.value else edges.false
    slot.append(target)


def _add_prefix(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    if operator.ignore_case:
        edges.folded_prefixes = _grown(edges.folded_prefixes, operator.value.lower(), target)
    else:
        edges.prefixes = _grown(edges.prefixes, operator.value, target)


def _add_suffix(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    if operator.ignore_case:
        edges.folded_suffixes = _grown(edges.folded_suffixes, operator.value.lower(), target, True)
    else:
        edges.suffixes = _grown(edges.suffixes, operator.value, target, True)


def _grown(
    affixes: AffixesBuilder[Any] | None, text: str, target: Any, from_end: bool = False
) -> AffixesBuilder[Any]:
    """``affixes`` (made if there are none yet) with ``text`` leading to ``target``."""
    if affixes is None:
        affixes = AffixesBuilder(from_end=from_end)
    affixes.add(text, target)
    return affixes


def _add_folded(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.folded.setdefault(operator.value.lower(), []).append(target)


def _add_range(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.ranges.append((operator, target))


def _add_string_test(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.string_tests.append((operator, target))


def _add_address(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.addresses.setdefault(operator.address, []).append(target)


def _add_cidr(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.cidrs.append((operator.range, target))


def _add_exists(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    (edges.present if operator.present else edges.absent).append(target)


_ADDERS: Final[dict[type, Callable[[EdgesBuilder[Any], Any, Any], None]]] = {
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
