"""The states of the compiled machine, and which next states a leaf value leads to.

An ``Edges`` is the transitions on one dotted path out of one state. A state is
itself the Edges of its first test, with what it accepts and its other tests beside:
one object where a step reads one, not a state, a tuple and an Edges.

Exact values are found by hashing (or, when few, by scanning one flat tuple);
everything else (presence, absence, numbers, affixes, ranges, wildcards, CIDR,
anything-but) is in a ``Rest``, except where the Edges holds a single such condition
itself (kinds SOLO and EXTRA: the commonest cases past a rule's first field). A
state's edges only hold the conditions of the rules that reached it, so this work
does not grow with the number of rules.
``builder`` fills them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

from busway.patterns.flat import FEW_STRINGS, bare, bare_table, few_get, few_strings, joined
from busway.patterns.ipaddr import parse_ip
from busway.patterns.kinds import (
    ADDRESSES,
    ANY_TESTS,
    EXTRA,
    FOLDED,
    IN_EDGES,
    KIND_BITS,
    LEAF,
    LENGTH_SHIFT,
    MAX_KEY_LENGTH,
    MAX_LEAF_RULE,
    MORE,
    NUMBERS,
    PATH_BITS,
    PATH_SHIFT,
    PREFIXES,
    SOLO,
    STRING_TESTS,
    STRINGS,
    SUFFIXES,
)
from busway.patterns.numbers import to_double
from busway.patterns.operators import Operator
from busway.patterns.rest import Bounds, Rest

if TYPE_CHECKING:
    # A fixed-width int: mypyc keeps it unboxed and shifts and masks it with plain
    # machine instructions (no tagged-int checks). Annotations only, so mypy_extensions
    # (a build-time dependency) is not needed at run time.
    from mypy_extensions import i64

_NO_TESTS: Final[tuple[Edges, ...]] = ()

# ``Edges.accept`` when the state accepts no rule, or several (then in ``accepts``).
ACCEPTS_NONE: Final = -1
ACCEPTS_SEVERAL: Final = -2


class Edges:
    """Transitions on one dotted path out of one state, as the walk reads them; or a
    state: its first test's transitions (``path`` is -1 when it tests nothing), the
    rules it accepts and its other tests (``more``).

    Ten slots, so an Edges takes 128 bytes and starts a cache line: what a step
    reads (what the state accepts, the path, the kinds held, the one exact string
    and its length, and the table or ``Rest`` of anything else) sits in the first
    line; a state's other tests, its several rules and the operand of an EXTRA
    condition in the second.
    """

    __slots__ = (
        "accept",
        "accepts",
        "extra",
        "extra_found",
        "lookup",
        "meta",
        "more",
        "only_found",
        "only_key",
        "spare1",
    )

    def __init__(self) -> None:
        # Assigned in this order, so mypyc lays the first five slots out in the
        # object's first cache line.
        self.accept = ACCEPTS_NONE  # the lone rule a state accepts (or see above)
        # The kinds held (see kinds), the path id and the one exact string's length,
        # packed in one native int: kinds | path << PATH_SHIFT | length << LENGTH_SHIFT.
        self.meta: i64 = PATH_BITS << PATH_SHIFT
        # Most edges past the first field of a rule test one exact string: kept bare,
        # a comparison costs less than a hash lookup and touches less memory. Its
        # length (in meta) is compared first, so most mismatches do not touch the
        # key's own memory.
        self.only_key: str | None = None
        # The Rest when anything but exact strings is held (it then holds the
        # strings' table too), else two or more exact strings: a few in one flat
        # tuple (see flat.few_strings), many hashed in a dict; or, with SOLO, the
        # operand of the one condition held (a prefix, a suffix, a Bounds, a test).
        self.lookup: object = None
        # What the one exact string leads to; with SOLO, what the one condition does.
        self.only_found: object = None
        self.more = _NO_TESTS  # a state's other tests
        self.accepts: tuple[int, ...] = ()
        # With EXTRA, the operand of the one condition held beside exact strings, and
        # what it leads to (see ``fill``).
        self.extra: object = None
        self.extra_found: object = None
        # Unused: it keeps the object at 128 bytes, so every Edges starts a cache line.
        self.spare1: object = None

    @property
    def path(self) -> int:
        """The id of the path these edges test (-1: none, a state that tests nothing)."""
        path = self.meta >> PATH_SHIFT & PATH_BITS
        return -1 if path == PATH_BITS else path

    @property
    def kinds(self) -> int:
        return self.meta & KIND_BITS

    @property
    def rest(self) -> Rest[Edges] | None:
        meta = self.meta
        held = meta & ~IN_EDGES & KIND_BITS and not meta & (SOLO | EXTRA)
        return cast(Rest[Edges], self.lookup) if held else None

    def fill(
        self,
        path: int,
        kinds: int,
        strings: dict[str, tuple[Edges, ...]],
        rest: Rest[Edges] | None,
        shared: dict[Any, Any],
    ) -> None:
        """Hold these transitions (``strings`` maps each exact string to its targets).

        ``shared`` holds the machine's one copy of equal operands (see
        ``EdgesBuilder.share``).
        """
        if not 0 <= path < PATH_BITS:
            raise ValueError(f"too many paths for one machine ({path})")
        solo = None if rest is None else rest.solo()
        if solo is not None and not strings:
            # One condition and no exact strings: held here, in the cache line a
            # step reads anyway, and the Rest is dropped.
            self.lookup = _shared_operand(solo[0], shared)
            self.only_found = solo[1]
            self.meta = (self.meta & MORE) | kinds | SOLO | path << PATH_SHIFT
            return
        if solo is not None:
            # Exact strings and one other condition (a few exact detail-types and a
            # prefix, say): that condition is held here too, and the Rest is dropped.
            self.extra = _shared_operand(solo[0], shared)
            self.extra_found = solo[1]
            rest = None
            kinds |= EXTRA
        length = self.hold_strings(strings)
        if rest is not None:
            rest.table = self.lookup
            self.lookup = rest
        self.meta = (self.meta & MORE) | kinds | path << PATH_SHIFT | length << LENGTH_SHIFT

    def hold_strings(self, strings: dict[str, tuple[Edges, ...]]) -> i64:
        """Hold the exact strings: one bare (its length is returned, for ``meta``), a
        few in one flat tuple, many in a dict (see ``lookup``)."""
        if len(strings) == 1 and len(next(iter(strings))) <= MAX_KEY_LENGTH:
            ((only_key, only_targets),) = strings.items()
            self.only_key = only_key
            self.only_found = bare(only_targets)
            return len(only_key)
        if len(strings) <= FEW_STRINGS:
            self.lookup = few_strings(strings) if strings else None
        else:
            self.lookup = bare_table(strings)
        return 0

    def hold(self, accepts: tuple[int, ...], more: tuple[Edges, ...]) -> None:
        """Make these edges a state's: it accepts ``accepts`` and also tests ``more``."""
        if more:
            self.more = more
            self.meta |= MORE
        if len(accepts) == 1:
            self.accept = accepts[0]
        elif accepts:
            self.accept = ACCEPTS_SEVERAL
            self.accepts = accepts

    def fold_leaf(self) -> None:
        """Hold the rule the one condition's target accepts in ``meta`` (see kinds.LEAF),
        when that target only accepts one rule. Made once every state is sealed."""
        meta = self.meta
        target = self.only_found
        if meta & SOLO and type(target) is Edges and target.only_accepts():
            rule = target.accept
            if rule <= MAX_LEAF_RULE:
                self.meta = meta | LEAF | rule << LENGTH_SHIFT

    def only_accepts(self) -> bool:
        """Whether this is a state that accepts one rule and tests nothing."""
        return self.accept >= 0 and self.meta & KIND_BITS == 0

    def leaf_rule(self, value: Any) -> int:
        """With LEAF: the rule accepted when ``value`` meets the one condition, else -1."""
        meta = self.meta
        if _fits(self.lookup, value, meta & KIND_BITS):
            return meta >> LENGTH_SHIFT
        return -1

    def find(self, value: Any) -> object:
        """The next states ``value`` leads to, as a find (see ``flat``)."""
        meta = self.meta
        kinds = meta & KIND_BITS
        if kinds & SOLO:
            return self.solo_find(value, kinds)
        found: object = None
        if kinds & STRINGS and type(value) is str:
            if self.only_key is not None:
                if len(value) == meta >> LENGTH_SHIFT and value == self.only_key:
                    found = self.only_found
            elif not kinds & ~IN_EDGES or kinds & EXTRA:
                found = table_get(self.lookup, value)
        if kinds & EXTRA:
            if _fits(self.extra, value, kinds):
                return joined(found, self.extra_found)
            return found
        if kinds & ~IN_EDGES:
            rest = cast(Rest[Edges], self.lookup)
            if kinds & STRINGS and self.only_key is None and type(value) is str:
                found = table_get(rest.table, value)
            found = joined(found, rest.find(value, kinds))
        return found

    def solo_find(self, value: Any, kinds: int) -> object:
        """What the one condition held here (see ``fill``) leads to for ``value``."""
        return self.only_found if _fits(self.lookup, value, kinds) else None

    def fits_only_key(self, value: str) -> bool:
        """Whether ``value`` is the one exact key (its length is compared first, so
        most mismatches do not touch the key's own memory)."""
        return len(value) == self.meta >> LENGTH_SHIFT and value == self.only_key

    def absent(self) -> tuple[Edges, ...]:
        """The states a branch goes on to where the path is absent (see kinds.ABSENT)."""
        rest = self.rest
        return () if rest is None else rest.absent


def _fits(operand: object, value: Any, kinds: int) -> bool:
    """Whether ``value`` meets the one condition of kind ``kinds`` on ``operand`` (see
    ``Edges.fill``: SOLO and EXTRA)."""
    kind = type(value)
    if kinds & PREFIXES:
        return kind is str and cast(str, value).startswith(cast(str, operand))
    if kinds & SUFFIXES:
        return kind is str and cast(str, value).endswith(cast(str, operand))
    if kinds & NUMBERS:
        return (kind is int or kind is float) and cast(Bounds[Edges], operand).hold(
            to_double(value)
        )
    if kinds & STRING_TESTS:
        return kind is str and cast(Operator, operand).test(value)
    if kinds & FOLDED:
        return kind is str and cast(str, value).lower() == operand
    if kinds & ADDRESSES:
        return kind is str and _in_block(cast(str, value), cast(tuple[int, int, int], operand))
    if kinds & ANY_TESTS:
        return cast(Operator, operand).test(value)
    return True  # PRESENT


def _shared_operand(operand: object, shared: dict[Any, Any]) -> object:
    """The machine's one copy of a SOLO operand equal to ``operand``.

    A numeric range's Bounds and a CIDR block are made per edge; held once, the one
    copy stays in cache however many rules test the same range or block. (A shared
    Bounds' own target is another edge's: SOLO reads only its bounds.)
    """
    if type(operand) is Bounds:
        bounds = cast(Bounds[Edges], operand)
        key = ("bounds", bounds.low, bounds.low_inclusive, bounds.high, bounds.high_inclusive)
        return shared.setdefault(key, bounds)
    if type(operand) is tuple:
        return shared.setdefault(("cidr", operand), operand)
    return operand


def _in_block(value: str, block: tuple[int, int, int]) -> bool:
    """Whether ``value`` is an IP address in the CIDR ``block`` (bits, bottom, top)."""
    address = parse_ip(value)
    if address is None:
        return False
    bits, number = address
    return bits == block[0] and block[1] <= number <= block[2]


def table_get(table: object, value: str) -> object:
    """What ``value`` leads to in a few-strings tuple or a dict of many."""
    if type(table) is tuple:
        return few_get(table, value)
    return cast(dict[str, object], table).get(value)
