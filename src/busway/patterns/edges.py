"""The states of the compiled machine, and which next states a leaf value leads to.

An ``Edges`` is the transitions on one dotted path out of one state. A state is
itself the Edges of its first test, with what it accepts and its other tests beside:
one object where a step reads one, not a state, a tuple and an Edges.

Exact values are found by hashing (or, when few, by scanning one flat tuple);
everything else (presence, absence, numbers, affixes, ranges, wildcards, CIDR,
anything-but) is in a ``Rest``. A state's edges only hold the conditions of the
rules that reached it, so this work does not grow with the number of rules.
``builder`` fills them.
"""

from __future__ import annotations

from typing import Any, Final, cast

from busway.patterns.flat import FEW_STRINGS, bare, bare_table, few_get, few_strings, joined
from busway.patterns.kinds import STRINGS
from busway.patterns.rest import Rest

_NO_TESTS: Final[tuple[Edges, ...]] = ()

# ``Edges.accept`` when the state accepts no rule, or several (then in ``accepts``).
ACCEPTS_NONE: Final = -1
ACCEPTS_SEVERAL: Final = -2


class Edges:
    """Transitions on one dotted path out of one state, as the walk reads them; or a
    state: its first test's transitions (``path`` is -1 when it tests nothing), the
    rules it accepts and its other tests (``more``).

    Ten slots, so an Edges is two cache lines: a step that compares one exact string
    and misses reads only the first; what most steps need (exact strings) is here,
    anything else (presence, absence, ...) in ``rest``.
    """

    __slots__ = (
        "accept",
        "accepts",
        "kinds",
        "more",
        "only_found",
        "only_key",
        "only_length",
        "path",
        "rest",
        "table",
    )

    def __init__(self) -> None:
        # Assigned in this order, so mypyc lays the slots a step reads to compare one
        # exact string (accept, path, kinds, only_length, only_key) out in the
        # object's first cache line.
        self.accept = ACCEPTS_NONE  # the lone rule a state accepts (or see above)
        self.path = -1  # the id of the path these edges test
        self.kinds = 0  # which conditions are held (see kinds)
        # Most edges past the first field of a rule test one exact string: kept bare,
        # a comparison costs less than a hash lookup and touches less memory. Its
        # length (a native int in the object) is compared first, so most mismatches
        # do not touch the key's own memory.
        self.only_length = -1
        self.only_key: str | None = None
        self.only_found: object = None  # what the one exact string leads to
        self.more = _NO_TESTS  # a state's other tests
        # Two or more exact strings: a few in one flat tuple (see flat.few_strings),
        # many hashed in a dict.
        self.table: object = None
        self.rest: Rest[Edges] | None = None
        self.accepts: tuple[int, ...] = ()

    def fill(self, path: int, kinds: int, strings: dict[str, tuple[Edges, ...]]) -> None:
        """Hold these transitions (``strings`` maps each exact string to its targets)."""
        self.path = path
        self.kinds = kinds
        if len(strings) == 1:
            ((only_key, only_targets),) = strings.items()
            self.only_key = only_key
            self.only_length = len(only_key)
            self.only_found = bare(only_targets)
        elif len(strings) <= FEW_STRINGS:
            self.table = few_strings(strings)
        else:
            self.table = bare_table(strings)

    def hold(self, accepts: tuple[int, ...], more: tuple[Edges, ...]) -> None:
        """Make these edges a state's: it accepts ``accepts`` and also tests ``more``."""
        self.more = more or _NO_TESTS
        if len(accepts) == 1:
            self.accept = accepts[0]
        elif accepts:
            self.accept = ACCEPTS_SEVERAL
            self.accepts = accepts

    def find(self, value: Any) -> object:
        """The next states ``value`` leads to, as a find (see ``flat``)."""
        kinds = self.kinds
        found: object = None
        if kinds & STRINGS and type(value) is str:
            if self.only_key is not None:
                if self.fits_only_key(value):
                    found = self.only_found
            else:
                table = self.table
                if type(table) is tuple:
                    found = few_get(table, value)
                else:
                    found = cast(dict[str, object], table).get(value)
        rest = self.rest
        if rest is not None:
            found = joined(found, rest.find(value, kinds))
        return found

    def fits_only_key(self, value: str) -> bool:
        """Whether ``value`` is the one exact key (its length is compared first, so
        most mismatches do not touch the key's own memory)."""
        return len(value) == self.only_length and value == self.only_key

    def absent(self) -> tuple[Edges, ...]:
        """The states a branch goes on to where the path is absent (see kinds.ABSENT)."""
        rest = self.rest
        return () if rest is None else rest.absent
