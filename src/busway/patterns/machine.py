"""The compiled Matcher: every rule of a bus in one state machine.

Each branch of each pattern is a chain of fields, ordered the same way for every
rule (exact-value fields first, then other tests, then fields that may be absent;
within a class, paths used by more rules first, then paths whose values tell more
rules apart), and chains are merged into a trie.
Matching an event walks the trie from the root: a state looks up the event's values
for the paths it tests and moves on only where a value fits, so rules that do not
fit are pruned at their first mismatching field and the cost follows the matching
rules, not the number of rules. Only event fields that some pattern names are read.

Array consistency rides along the walk: each step remembers which array elements it
has committed to, and a leaf from another element of the same array cannot join.
Absence checks wait until a branch's end, when those commitments are final.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Final, Generic, TypeVar, cast

from busway.patterns import operators as op
from busway.patterns.builder import EdgesBuilder
from busway.patterns.edges import ACCEPTS_NONE, Edges
from busway.patterns.flat import as_tuple
from busway.patterns.keytree import MISSING, Leaves, Many, build_key_tree, collect_leaves
from busway.patterns.kinds import ABSENT, KIND_BITS, MORE, PATH_BITS, PATH_SHIFT, STRINGS
from busway.patterns.syntax import Branch, Field, Pattern

K = TypeVar("K")

Membership = tuple[tuple[int, int], ...] | None

_EXACT_KINDS: Final = (op.Exact, op.ExactNumber, op.ExactLiteral)


class _Node:
    """A state of the machine while it is built."""

    __slots__ = ("children", "edges")

    def __init__(self) -> None:
        self.children: dict[tuple[str, tuple[op.Operator, ...]], _Node] = {}
        self.edges: dict[str, EdgesBuilder[_Node]] = {}

    def child(self, field: Field, shared: dict[Any, Any]) -> _Node:
        key = (field.path, field.operators)
        found = self.children.get(key)
        if found is None:
            found = self.children[key] = _Node()
            edges = self.edges.get(field.path)
            if edges is None:
                edges = self.edges[field.path] = EdgesBuilder(shared)
            for operator in field.operators:
                edges.add(operator, found)
        return found


class Matcher(Generic[K]):
    """All patterns of one bus, compiled. ``match`` returns the keys whose pattern matches."""

    def __init__(self, patterns: Mapping[K, Pattern]) -> None:
        self._keys: list[K] = list(patterns)
        branches = [
            (index, branch)
            for index, pattern in enumerate(patterns.values())
            for branch in pattern.branches
        ]
        paths = sorted({field.path for _, branch in branches for field in branch})
        self._root = _build(branches, {path: index for index, path in enumerate(paths)})
        self._keys_read = build_key_tree(paths)
        self._path_count = len(paths)
        self._gate = _gate(self._root, paths)

    def __len__(self) -> int:
        return len(self._keys)

    def match(self, event: Mapping[str, Any]) -> list[K]:
        """Keys of the patterns ``event`` matches, in the order they were given."""
        gate = self._gate
        if gate is not None and _turned_away(self._root, event.get(gate, MISSING)):
            return []
        accepted = _walk(self._root, collect_leaves(event, self._keys_read, self._path_count))
        keys = self._keys
        if len(accepted) <= 1:
            return [keys[index] for index in accepted]
        accepted.sort()
        found: list[K] = []
        last = -1
        for index in accepted:
            if index != last:  # a rule accepted by several of its branches counts once
                found.append(keys[index])
                last = index
        return found


def _gate(root: Edges, paths: list[str]) -> str | None:
    """The top-level key every rule tests first, when there is one: the root accepts
    nothing and its only test is exact strings on that key (``source``, say), with no
    absence allowed.

    An event whose value there is no such string (an AWS source no rule names) matches
    nothing, and is answered with one lookup before its fields are read.
    """
    path = root.path
    if root.accept != ACCEPTS_NONE or root.more or path < 0 or root.kinds != STRINGS:
        return None
    name = paths[path]
    return None if "." in name else name


def _turned_away(root: Edges, value: Any) -> bool:
    """Whether ``value``, the event's at the gate key (see ``_gate``), lets no rule go
    on: it is missing, or a lone value the root's strings do not hold. (An array or an
    object there is read in full, as any event is.)"""
    kind = type(value)
    if kind is list or kind is dict:
        return False
    return value is MISSING or root.find(value) is None


def _build(branches: list[tuple[int, Branch]], path_ids: dict[str, int]) -> Edges:
    usage = Counter(field.path for _, branch in branches for field in branch)
    distinct = Counter(
        path for path, _ in {(f.path, f.operators) for _, branch in branches for f in branch}
    )

    def order(field: Field) -> tuple[int, int, int, str]:
        # Shared paths first (so rules share states), then the paths whose values
        # tell rules apart best (so the walk prunes early).
        return (_field_class(field), -usage[field.path], -distinct[field.path], field.path)

    root = _Node()
    accepts: dict[_Node, list[int]] = {}
    shared: dict[Any, Any] = {}
    for index, branch in branches:
        node = root
        for field in sorted(branch, key=order):
            node = node.child(field, shared)
        accepts.setdefault(node, []).append(index)
    return _seal(root, path_ids, accepts)


def _seal(root: _Node, path_ids: dict[str, int], accepts: dict[_Node, list[int]]) -> Edges:
    """The walk's states for the built nodes, made depth first.

    Objects made one after another sit close together in memory, so each subtree
    (a source's rules, say) gets its own few pages and cache lines, however the
    rules were interleaved when added: an event walks one cold subtree, not
    objects strewn over the whole machine.
    """
    order = _depth_first(root)
    states = {node: Edges() for node in order}
    final = states.__getitem__
    for node in order:
        state = states[node]
        tests = [(path_ids[path], built) for path, built in node.edges.items()]
        more: tuple[Edges, ...] = ()
        if tests:
            path, first = tests[0]
            first.seal(path, final, into=state)
            more = tuple(built.seal(path, final) for path, built in tests[1:])
        state.hold(tuple(accepts.get(node, ())), more)
    return states[root]


def _depth_first(root: _Node) -> list[_Node]:
    order: list[_Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(node.children.values()))
    return order


def _field_class(field: Field) -> int:
    if field.allows_absence:
        return 2
    return 0 if all(isinstance(operator, _EXACT_KINDS) for operator in field.operators) else 1


_Step = tuple[Edges, Membership, tuple[int, ...]]


def _walk(root: Edges, leaves: Leaves) -> list[int]:
    walk = _Walk(leaves)
    walk.run(root)
    return walk.accepted


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
        if kinds & ~MORE:
            self.test_plain(state)
        if kinds & MORE:
            for edges in state.more:
                self.test_plain(edges)

    def test_plain(self, edges: Edges) -> None:
        """Follow one state's edges on one path, with no commitments yet."""
        leaves = self.leaves
        path = edges.meta >> PATH_SHIFT & PATH_BITS
        found = leaves.values[path]
        if found is MISSING:
            if edges.kinds & ABSENT:
                self.push_all(edges.absent(), None, ())
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
        if edges.meta & KIND_BITS & ~MORE == STRINGS and edges.only_key is not None:
            # The commonest step: one exact string and nothing else.
            if type(value) is not str or not edges.fits_only_key(value):
                return
            found = edges.only_found
        else:
            found = edges.find(value)
        if type(found) is Edges:
            # A trie state has one parent, reached once here: no repeat possible.
            self.visit_plain(found)
        elif found is not None:
            self.take_plain(found, None)

    def advance_plain(
        self, edges: Edges, values: list[Any], members: list[Membership] | None
    ) -> None:
        """Advance on several values with no commitments yet."""
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
            key = (target, leaf_membership, ())
            if self.first_time(key):
                self.stack.append(key)

    def advance(
        self,
        edges: Edges,
        values: list[Any],
        members: list[Membership] | None,
        context: tuple[Membership, tuple[int, ...]],
    ) -> None:
        membership, pending = context
        for index, value in enumerate(values):
            found = edges.find(value)
            if found is None:
                continue
            leaf_membership = None if members is None else members[index]
            joined = membership if leaf_membership is None else _join(membership, leaf_membership)
            if joined is not _CONFLICT:
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
