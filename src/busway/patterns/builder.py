"""Edges while the machine is built, and sealing them into what the walk reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

from busway.patterns import operators as op
from busway.patterns.edges import Edges
from busway.patterns.ipaddr import Address, Range
from busway.patterns.kinds import (
    ABSENT,
    ADDRESSES,
    ANY_TESTS,
    FOLDED,
    IN_EDGES,
    LITERALS,
    NUMBERS,
    PREFIXES,
    PRESENT,
    STRING_TESTS,
    STRINGS,
    SUFFIXES,
)
from busway.patterns.rest import Rest

S = TypeVar("S")


class EdgesBuilder(Generic[S]):
    """Transitions on one dotted path out of one state, while the machine is built.

    ``seal`` makes the compact Edges the walk reads, with anything but exact strings
    in a fresh ``Rest``; the builder is dropped after.
    """

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
        "prefixes",
        "present",
        "ranges",
        "shared",
        "string_tests",
        "strings",
        "suffixes",
        "true",
    )

    def __init__(self, shared: dict[Any, Any]) -> None:
        # One machine's equal operators and strings, each held once (see ``share``).
        self.shared = shared
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

    def seal(self, path: int, final: Callable[[S], Edges], into: Edges | None = None) -> Edges:
        """These transitions as the walk reads them, in ``into`` (a state) or a new
        Edges, with each target ``t`` as ``final(t)``.

        Every object the walk reads is made here, one after another, so the edges of
        one part of the machine sit together in memory when it is sealed in order.
        """
        sealed = Edges() if into is None else into
        kinds = self._kinds()
        strings = {key: tuple(map(final, targets)) for key, targets in self.strings.items()}
        rest = Rest(self, final) if kinds & ~IN_EDGES else None
        sealed.fill(path, kinds, strings, rest, self.shared)
        return sealed

    def _kinds(self) -> int:
        folded = (
            bool(self.folded)
            or self.folded_prefixes is not None
            or self.folded_suffixes is not None
        )
        held = (
            (STRINGS, bool(self.strings)),
            (PREFIXES, self.prefixes is not None),
            (SUFFIXES, self.suffixes is not None),
            (FOLDED, folded),
            (STRING_TESTS, bool(self.string_tests)),
            (ADDRESSES, bool(self.addresses or self.cidrs)),
            (NUMBERS, bool(self.numbers or self.ranges)),
            (LITERALS, bool(self.true or self.false or self.null)),
            (PRESENT, bool(self.present)),
            (ANY_TESTS, bool(self.any_tests)),
            (ABSENT, bool(self.absent)),
        )
        return sum(bit for bit, present in held if present)

    def share(self, item: Any) -> Any:
        """The machine's one copy of ``item``: an operand many rules share (a status, a
        wildcard) is then one object that stays in cache, not one cold copy per rule."""
        return self.shared.setdefault(item, item)

    def add(self, operator: op.Operator, target: S) -> None:
        operator = self.share(operator)
        if isinstance(operator, op.Exact):
            self.strings.setdefault(self.share(operator.value), []).append(target)
            return
        adder = _ADDERS.get(type(operator))
        if adder is None:
            self.any_tests.append((operator, target))
        else:
            adder(self, operator, target)


class AffixesBuilder(Generic[S]):
    """Prefixes (or suffixes) of one edge while the machine is built, by length."""

    __slots__ = ("from_end", "tables")

    def __init__(self, *, from_end: bool) -> None:
        self.from_end = from_end
        self.tables: dict[int, dict[str, list[S]]] = {}

    def add(self, text: str, target: S) -> None:
        self.tables.setdefault(len(text), {}).setdefault(text, []).append(target)


def _add_number(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.numbers.setdefault(operator.value, []).append(target)


def _add_literal(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    slot = edges.null if operator.value is None else edges.true if operator.value else edges.false
    slot.append(target)


def _add_prefix(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    if operator.ignore_case:
        lowered = edges.share(operator.value.lower())
        edges.folded_prefixes = _grown(edges.folded_prefixes, lowered, target)
    else:
        edges.prefixes = _grown(edges.prefixes, edges.share(operator.value), target)


def _add_suffix(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    if operator.ignore_case:
        lowered = edges.share(operator.value.lower())
        edges.folded_suffixes = _grown(edges.folded_suffixes, lowered, target, True)
    else:
        edges.suffixes = _grown(edges.suffixes, edges.share(operator.value), target, True)


def _grown(
    affixes: AffixesBuilder[Any] | None, text: str, target: Any, from_end: bool = False
) -> AffixesBuilder[Any]:
    """``affixes`` (made if there are none yet) with ``text`` leading to ``target``."""
    if affixes is None:
        affixes = AffixesBuilder(from_end=from_end)
    affixes.add(text, target)
    return affixes


def _add_folded(edges: EdgesBuilder[Any], operator: Any, target: Any) -> None:
    edges.folded.setdefault(edges.share(operator.value.lower()), []).append(target)


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
