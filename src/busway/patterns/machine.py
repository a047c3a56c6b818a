"""The compiled Matcher: every rule of a bus in one state machine.

Each branch of each pattern is a chain of fields, ordered the same way for every
rule (exact-value fields first, then other tests, then fields that may be absent;
within a class, paths used by more rules first, then paths whose values tell more
rules apart), and chains are merged into a trie.
Matching an event walks the trie from the root (see ``walk``): a state looks up the
event's values for the paths it tests and moves on only where a value fits, so rules
that do not fit are pruned at their first mismatching field and the cost follows the
matching rules, not the number of rules. Only event fields that some pattern names
are read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Final, Generic, TypeVar

from busway.patterns import operators as op
from busway.patterns.builder import EdgesBuilder
from busway.patterns.edges import ACCEPTS_NONE, Edges
from busway.patterns.keytree import MISSING, build_key_tree, collect_leaves
from busway.patterns.kinds import STRINGS
from busway.patterns.syntax import Branch, Field, Pattern
from busway.patterns.walk import fetch_found, walk

K = TypeVar("K")

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
        accepted = walk(self._root, collect_leaves(event, self._keys_read, self._path_count))
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
    object there is read in full, as any event is.)

    Otherwise the states the walk goes on to from there are read now (see
    ``walk.fetch_found``): their memory then arrives while the event's fields are read.
    """
    kind = type(value)
    if kind is list or kind is dict:
        return False
    if value is MISSING:
        return True
    found = root.find(value)
    if found is None:
        return True
    fetch_found(found)
    return False


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
    for state in states.values():  # every target is final now
        state.fold_leaf()
        for edges in state.more:
            edges.fold_leaf()
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
