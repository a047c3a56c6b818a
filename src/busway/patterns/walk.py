"""One event's way through the compiled machine (see ``machine``).

The walk starts at the root with the event's leaves (see ``keytree``): a state looks up
the values at the paths it tests and moves on only where a value fits. Array
consistency rides along: each step remembers which array elements it has committed
to, and a leaf from another element of the same array cannot join. Absence checks wait
until a branch's end, when those commitments are final.
"""

from __future__ import annotations

from typing import Any, Final, cast

from busway.patterns.edges import ACCEPTS_NONE, Edges
from busway.patterns.flat import as_tuple
from busway.patterns.keytree import MISSING, Leaves, Many, Membership
from busway.patterns.kinds import (
    ABSENT,
    KIND_BITS,
    LEAF,
    LENGTH_SHIFT,
    MORE,
    PATH_BITS,
    PATH_SHIFT,
    STRINGS,
)

_Step = tuple[Edges, Membership, tuple[int, ...]]


def walk(root: Edges, leaves: Leaves) -> list[int]:
    """The rules (by index, maybe repeated) whose branches ``leaves`` take to the end."""
    way = _Walk(leaves)
    way.run(root)
    return way.accepted


class _Walk:
    """One event's way through the machine.

    States reached with no commitments yet (the common case) are visited at once,
    depth first; the others wait on ``stack`` with their array commitments and
    pending absences. ``accepted`` may repeat a rule (several branches of it can
    match). Edges answer with finds (see ``flat``), so a step allocates nothing.
    """

    __slots__ = ("accepted", "leaves", "seen", "stack")

    def __init__(self, leaves: Leaves) -> None:
        self.leaves = leaves
        self.accepted: list[int] = []
        self.stack: list[_Step] = []
        # What was reached where a state could be reached twice; made when first needed.
        self.seen: set[Any] | None = None

    def run(self, root: Edges) -> None:
        self.visit_plain(root)
        stack = self.stack
        while stack:
            state, membership, pending = stack.pop()
            self.visit(state, membership, pending)

    def first_time(self, key: Any) -> bool:
        """Whether ``key`` (a state, or a state with its context) is reached for the
        first time."""
        seen = self.seen
        if seen is None:
            self.seen = {key}
            return True
        if key in seen:
            return False
        seen.add(key)
        return True

    def visit_plain(self, state: Edges) -> None:
        if state.accept != ACCEPTS_NONE:
            self.accept(state)
        kinds = state.meta & KIND_BITS
        if kinds & MORE:
            more = state.more
            _fetch(more)
            if kinds & ~MORE:
                self.test_plain(state)
            for edges in more:
                self.test_plain(edges)
        elif kinds:
            self.test_plain(state)

    def test_plain(self, edges: Edges) -> None:
        """Follow one state's edges on one path, with no commitments yet."""
        leaves = self.leaves
        path = edges.meta >> PATH_SHIFT & PATH_BITS
        found = leaves.values[path]
        if found is MISSING:
            if edges.kinds & ABSENT:
                self.push_all(edges.absent(), None, ())
        elif type(found) is list:
            # The event's own array of plain values: none sits in an element, so a
            # branch that wants the path absent cannot go on.
            self.advance_plain(edges, found, None)
        elif isinstance(found, Many):
            self.advance_plain(edges, found.values, found.members)
            if edges.kinds & ABSENT:
                absent = _absent_context(path, found.values, found.members, (None, ()))
                if absent is not None:
                    self.push_all(edges.absent(), absent[0], absent[1])
        else:
            membership = leaves.membership(path)
            if membership is None:
                # A lone value outside arrays: the commonest case, and a branch
                # that wants the path absent cannot go on.
                self.step_plain(edges, found)
            elif edges.meta & LEAF:
                self.accept_leaf(edges, found)
            else:
                self.take_plain(edges.find(found), membership)
                if edges.kinds & ABSENT:
                    self.push_all(edges.absent(), None, (path,))

    def visit(self, state: Edges, membership: Membership, pending: tuple[int, ...]) -> None:
        if state.accept != ACCEPTS_NONE and (
            not pending or _all_absent(pending, membership, self.leaves)
        ):
            self.accept(state)
        if state.path >= 0:
            self.test(state, (membership, pending))
        for edges in state.more:
            self.test(edges, (membership, pending))

    def test(self, edges: Edges, context: tuple[Membership, tuple[int, ...]]) -> None:
        """Follow one state's edges on one path, with the commitments in ``context``."""
        path = edges.path
        values, members = self.leaves.at(path)
        if values:
            self.advance(edges, values, members, context)
        if edges.kinds & ABSENT:
            absent = _absent_context(path, values, members, context)
            if absent is not None:
                self.push_all(edges.absent(), absent[0], absent[1])

    def accept(self, state: Edges) -> None:
        if state.accept >= 0:
            self.accepted.append(state.accept)
        else:
            self.accepted.extend(state.accepts)

    def step_plain(self, edges: Edges, value: Any) -> None:
        """Advance on one value outside any array element, with no commitments yet."""
        meta = edges.meta
        if meta & KIND_BITS & ~MORE == STRINGS and edges.only_key is not None:
            # The commonest step: one exact string and nothing else.
            if type(value) is not str or not edges.fits_only_key(value):
                return
            found = edges.only_found
        elif meta & LEAF:
            self.accept_leaf(edges, value)
            return
        else:
            found = edges.find(value)
        if type(found) is Edges:
            # A trie state has one parent, reached once here: no repeat possible.
            self.visit_plain(found)
        elif found is not None:
            self.take_plain(found, None)

    def accept_leaf(self, edges: Edges, value: Any) -> None:
        """Where ``edges`` holds one condition leading to a state that accepts one
        rule and tests nothing (see kinds.LEAF): accept that rule if ``value`` meets
        the condition, without reading the state. With no commitments, or no pending
        absence, the array elements the value sits in do not matter."""
        rule = edges.leaf_rule(value)
        if rule >= 0:
            self.accepted.append(rule)

    def advance_plain(
        self, edges: Edges, values: list[Any], members: list[Membership] | None
    ) -> None:
        """Advance on several values with no commitments yet."""
        if edges.meta & LEAF:
            for value in values:
                self.accept_leaf(edges, value)
            return
        for index, value in enumerate(values):
            found = edges.find(value)
            if found is not None:
                self.take_plain(found, None if members is None else members[index])

    def take_plain(self, found: object, leaf_membership: Membership) -> None:
        """Go on to the states ``found`` (once each), reached by a leaf in those elements."""
        if type(found) is tuple:
            for target in cast(tuple[Edges, ...], found):
                self.reach_plain(target, leaf_membership)
        elif found is not None:
            self.reach_plain(cast(Edges, found), leaf_membership)

    def reach_plain(self, target: Edges, leaf_membership: Membership) -> None:
        if leaf_membership is None:
            if self.first_time(target):
                self.visit_plain(target)
        else:
            # Not looked up in ``seen``: this state's one parent is tested once, with
            # no commitments, so only two values in one element can repeat this step.
            # The repeat then only tests this state again, and what it leads on to
            # is deduplicated (see ``advance``) and its rules counted once.
            self.stack.append((target, leaf_membership, ()))

    def advance(
        self,
        edges: Edges,
        values: list[Any],
        members: list[Membership] | None,
        context: tuple[Membership, tuple[int, ...]],
    ) -> None:
        membership, pending = context
        leaf = edges.meta & LEAF
        for index, value in enumerate(values):
            found: object = None
            if leaf:
                if edges.leaf_rule(value) < 0:
                    continue
            else:
                found = edges.find(value)
                if found is None:
                    continue
            leaf_membership = None if members is None else members[index]
            joined = membership if leaf_membership is None else _join(membership, leaf_membership)
            if joined is _CONFLICT:
                continue
            if leaf:
                # The end state tests nothing: accepted here, unless an absence the
                # branch waits on fails with these elements.
                if not pending or _all_absent(pending, joined, self.leaves):
                    self.accepted.append(edges.meta >> LENGTH_SHIFT)
            else:
                for target in cast(tuple[Edges, ...], as_tuple(found)):
                    key = (target, joined, pending)
                    if self.first_time(key):
                        self.stack.append(key)

    def push_all(
        self, targets: tuple[Edges, ...], membership: Membership, pending: tuple[int, ...]
    ) -> None:
        plain = membership is None and not pending
        for target in targets:
            if plain:
                if self.first_time(target):
                    self.visit_plain(target)
            else:
                key = (target, membership, pending)
                if self.first_time(key):
                    self.stack.append(key)


def fetch_found(found: object) -> int:
    """Read the states of a find (see ``flat``), their tests and those tests' tables
    (see ``_fetch``), ahead of the walk."""
    if isinstance(found, Edges):
        return _fetch((found,)) + _fetch(found.more)
    total = 0
    if type(found) is tuple:
        for state in cast(tuple[Edges, ...], found):
            total += _fetch((state,)) + _fetch(state.more)
    return total


def _fetch(tests: tuple[Edges, ...]) -> int:
    """Read each of ``tests`` (a state's) and its table, before any is followed.

    On a large machine they are not in cache. Read one after another in this short
    loop, the processor fetches their memory at once; followed one by one, each
    fetch would wait for the work on the test before. (The sum is returned only so
    the reads are not left out.)
    """
    total = 0
    for edges in tests:
        total += edges.meta
        if type(edges.lookup) is tuple:
            total += 1
    return total


def _absent_context(
    path: int,
    values: list[Any],
    members: list[Membership] | None,
    context: tuple[Membership, tuple[int, ...]],
) -> tuple[Membership, tuple[int, ...]] | None:
    """How a branch may go on with ``path`` absent, or None when it cannot."""
    if not values:
        return context
    if members is None or any(leaf_membership is None for leaf_membership in members):
        return None
    # Every value sits in some array element; whether one of them counts as
    # present depends on the elements the branch commits to, known at its end.
    membership, pending = context
    return (membership, (*pending, path))


# A membership no real one can equal (ids are never negative), compared by identity.
_CONFLICT: Final[Membership] = ((-1, -1),)


def _join(first: Membership, second: Membership) -> Membership:
    """Both commitments together, or ``_CONFLICT`` when they pick different elements."""
    if second is None or first == second:
        return first
    if first is None:
        return second
    if len(first) == 1 and len(second) == 1 and first[0][0] == second[0][0]:
        # Two elements of one array (items[0] and items[2], say): the commonest
        # conflict, told without building anything.
        return _CONFLICT
    if len(second) > len(first) and second[: len(first)] == first:
        return second  # a leaf deeper inside the element already chosen
    if len(first) > len(second) and first[: len(second)] == second:
        return first
    chosen = dict(first)
    for array_id, index in second:
        if chosen.setdefault(array_id, index) != index:
            return _CONFLICT
    return tuple(sorted(chosen.items()))


def _all_absent(pending: tuple[int, ...], membership: Membership, leaves: Leaves) -> bool:
    for path in pending:
        for leaf_membership in leaves.memberships(path):
            if _join(membership, leaf_membership) is not _CONFLICT:
                return False
    return True
