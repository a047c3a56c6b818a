"""The value side of one machine state: which next states a leaf value leads to.

Exact values are found by hashing (or, when few, by scanning one flat tuple);
everything else (numbers, affixes, ranges, wildcards, CIDR, anything-but) is in a
``Rest``. A state's edges only hold the conditions of the rules that reached it, so
this work does not grow with the number of rules. ``builder`` makes them.
"""

from __future__ import annotations

from typing import Any, Final, Generic, TypeVar

from busway.patterns.flat import FEW_STRINGS, bare, bare_table, few_get, few_strings, joined
from busway.patterns.kinds import PRESENT, STRINGS
from busway.patterns.rest import Rest

S = TypeVar("S")

# Shared, never written: what a sealed Edges holds where it has no many strings.
_EMPTY_STRINGS: Final[dict[str, Any]] = {}


class Edges(Generic[S]):
    """Transitions on one dotted path out of one state, as the walk reads them.

    Small, so a state's edges take few cache lines: what most steps need (exact
    strings, presence, absence) is here, anything else in ``rest``.
    """

    __slots__ = (
        "absent",
        "few",
        "kinds",
        "only_found",
        "only_key",
        "only_length",
        "only_target",
        "path",
        "present",
        "rest",
        "strings",
    )

    def __init__(
        self,
        path: int,
        kinds: int,
        strings: dict[str, tuple[S, ...]],
        *,
        present: tuple[S, ...],
        absent: tuple[S, ...],
    ) -> None:
        # Assigned in this order, so mypyc lays the slots a plain one-string step reads
        # (path, only_target, only_length, only_key, absent) out in the object's first
        # cache line.
        self.path = path  # the id of the path these edges test
        only_key: str | None = None
        only_targets: tuple[S, ...] = ()
        if len(strings) == 1:
            ((only_key, only_targets),) = strings.items()
            strings = {}
        # The one target, when these edges test one exact string and nothing else.
        self.only_target: S | None = None
        if kinds == STRINGS and len(only_targets) == 1:
            self.only_target = only_targets[0]
        # Most edges past the first field of a rule test one exact string: kept bare,
        # a comparison costs less than a hash lookup and touches less memory. Its
        # length (a native int in the object) is compared first, so most mismatches
        # do not touch the key's own memory.
        self.only_length = -1 if only_key is None else len(only_key)
        self.only_key = only_key
        self.absent = absent
        self.kinds = kinds  # which conditions are held (see kinds)
        self.only_found = bare(only_targets)
        # A few keys: one flat tuple (see flat.few_strings); many: hashed.
        self.few: tuple[object, ...] = ()
        self.strings: dict[str, object] = _EMPTY_STRINGS
        if len(strings) <= FEW_STRINGS:
            self.few = few_strings(strings)
        else:
            self.strings = bare_table(strings)
        self.present = bare(present)
        self.rest: Rest[S] | None = None

    def find(self, value: Any) -> object:
        """The next states ``value`` leads to, as a find (see ``flat``)."""
        kinds = self.kinds
        found: object = None
        if kinds & STRINGS and type(value) is str:
            if self.only_key is not None:
                if self.fits_only_key(value):
                    found = self.only_found
            else:
                few = self.few
                found = few_get(few, value) if few else self.strings.get(value)
        if kinds & PRESENT:
            found = joined(found, self.present)
        rest = self.rest
        if rest is not None:
            found = joined(found, rest.find(value, kinds))
        return found

    def fits_only_key(self, value: str) -> bool:
        """Whether ``value`` is the one exact key (its length is compared first, so
        most mismatches do not touch the key's own memory)."""
        return len(value) == self.only_length and value == self.only_key
