"""Reading, in one pass, the event fields that some pattern names.

Pattern paths are dotted, and an event may spell ``detail.state.status`` as nested
objects, as one key ``"state.status"`` inside ``detail``, or any mix. The key tree
holds, for each path prefix, every event key that can continue it, mapped to the
full pattern path it completes (if any) and the node to descend into (if deeper
paths go on through it). Collecting walks the event and the tree together: at
each object it looks the node's keys up in the object, unless the object has far fewer
keys than the node (then it steps through the object's items and looks each up in the
node). A lookup costs about half what a step through an item does, and a value no
pattern names is never touched. Either way the cost is bounded by the event's size
and the paths named, however many rules there are.

Leaves come out as ``(value, membership)``: membership names the elements of arrays
of objects (or of arrays) the leaf sits in, by the array's number (in the order the
collection meets arrays) and the element's index, and is None outside such arrays.
Indexes into arrays that hold only plain values are not kept: no other field can sit
inside such an array, so they never decide array consistency. (In an array that mixes
plain values with objects they are kept: a value there and a field inside a sibling
object are not in the same element.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

Membership = tuple[tuple[int, int], ...] | None


class Many:
    """Two or more values at one path (a lone value is held bare, with no list)."""

    __slots__ = ("members", "values")

    def __init__(self, values: list[Any], members: list[Membership] | None) -> None:
        self.values = values
        # Parallel to values, or None while none of them sits in an array element.
        self.members = members


class _Missing:
    """The type of MISSING: no value at a path (None cannot say it: null is a value)."""


MISSING: Final = _Missing()
_NO_MEMBERS: Final[list[Membership]] = []


class Leaves:
    """An event's leaf values by path id, and the array elements they sit in.

    ``values[i]`` is MISSING when path ``i`` has no value, the value itself when it
    has one (most paths: no list to build), the event's own array when its values are
    all there are (an array of plain values outside other arrays: no copy; it is
    never changed), or a Many. ``members`` is None while no
    value sits in an array element; then ``members[i]`` is the element a lone value
    at path ``i`` sits in (a Many keeps its own). Lists indexed by path id, not
    dicts: the walk asks once per test it makes.
    """

    __slots__ = ("arrays", "members", "values")

    def __init__(self, path_count: int) -> None:
        self.values: list[object] = [MISSING] * path_count
        self.members: list[Membership] | None = None
        self.arrays = 0  # arrays numbered so far: an array's id within this event

    def add(self, path: int, value: Any, membership: Membership) -> None:
        found = self.values[path]
        if type(found) is list:
            found = self.values[path] = Many(list(found), None)
        if found is MISSING:
            self.values[path] = value
            if membership is not None:
                members = self.members
                if members is None:
                    self.members = members = [None] * len(self.values)
                members[path] = membership
            return
        if not isinstance(found, Many):
            # The second value: both in one go (no list to grow yet).
            first = self.membership(path)
            members = None
            if first is not None or membership is not None:
                members = [first, membership]
            self.values[path] = Many([found, value], members)
            return
        if found.members is None and membership is not None:
            found.members = [None] * len(found.values)
        if found.members is not None:
            found.members.append(membership)
        found.values.append(value)

    def membership(self, path: int) -> Membership:
        """The array element the lone value at ``path`` sits in (None: in none)."""
        members = self.members
        return None if members is None else members[path]

    def at(self, path: int) -> tuple[list[Any], list[Membership] | None]:
        """The values at ``path`` as a list, and their elements (None: in none)."""
        found = self.values[path]
        if found is MISSING:
            return [], None
        if type(found) is list:
            return found, None
        if isinstance(found, Many):
            return found.values, found.members
        membership = self.membership(path)
        return [found], None if membership is None else [membership]

    def memberships(self, path: int) -> list[Membership]:
        """The elements the values at ``path`` sit in, when some do (else empty)."""
        return self.at(path)[1] or _NO_MEMBERS


class KeyNode:
    """The event keys that continue one path prefix."""

    __slots__ = ("children", "entries", "names")

    def __init__(self) -> None:
        self.children: dict[str, KeyEntry] = {}
        # The same as two parallel tuples (filled by seal), for looking names up.
        self.names: tuple[str, ...] = ()
        self.entries: tuple[KeyEntry, ...] = ()

    def seal(self) -> None:
        """Fill ``names`` and ``entries`` from ``children``, once it is complete."""
        self.names = tuple(self.children)
        self.entries = tuple(self.children.values())


class KeyEntry:
    """What one event key leads to: the path id it completes (or -1) and the node below."""

    __slots__ = ("node", "path")

    def __init__(self, path: int, node: KeyNode | None) -> None:
        self.path = path
        self.node = node


def build_key_tree(paths: list[str]) -> KeyNode:
    """The key tree for ``paths``; a leaf is filed under its path's index in the list."""
    ids = {path: index for index, path in enumerate(paths)}
    prefixes = {path[:i] for path in ids for i, char in enumerate(path) if char == "."}
    nodes: dict[str, KeyNode] = {"": KeyNode()}
    for prefix in prefixes:
        nodes[prefix] = KeyNode()
    for name in ids.keys() | prefixes:
        entry = KeyEntry(ids.get(name, -1), nodes.get(name) if name in prefixes else None)
        nodes[""].children[name] = entry
        for i, char in enumerate(name):
            if char == ".":
                nodes[name[:i]].children[name[i + 1 :]] = entry
    for node in nodes.values():
        node.seal()
    return nodes[""]


def collect_leaves(event: Mapping[str, Any], root: KeyNode, path_count: int) -> Leaves:
    """The leaves of ``event`` at every path the key tree names, grouped by path id."""
    out = Leaves(path_count)
    _collect(event if type(event) is dict else dict(event), root, out, None)
    return out


def _collect(node: dict[str, Any], keys: KeyNode, out: Leaves, membership: Membership) -> None:
    names = keys.names
    # Stepping through an item costs about twice a lookup (measured with callgrind).
    if 2 * len(node) <= len(names):
        children = keys.children
        for key, value in node.items():
            entry = children.get(key)
            if entry is not None:
                _visit(value, entry.path, entry.node, out, membership)
    else:
        entries = keys.entries
        for index in range(len(names)):
            value = node.get(names[index], MISSING)
            if value is not MISSING:
                entry = entries[index]
                _visit(value, entry.path, entry.node, out, membership)


def _visit(
    value: Any, path: int, keys: KeyNode | None, out: Leaves, membership: Membership
) -> None:
    kind = type(value)
    if kind is dict:
        if keys is not None:
            _collect(value, keys, out, membership)
    elif kind is list:
        if _holds_containers(value):
            out.arrays += 1
            array_id = out.arrays
            for index, element in enumerate(value):
                inner = _element(membership, array_id, index)
                _visit(element, path, keys, out, inner)
        elif path >= 0:
            values = out.values
            if membership is None and value and values[path] is MISSING:
                values[path] = value  # the event's own list, read as is (see Leaves)
            else:
                for element in value:
                    out.add(path, element, membership)
    elif path >= 0:
        if membership is None:
            values = out.values
            if values[path] is MISSING:  # the commonest leaf: one value, no array
                values[path] = value
                return
        out.add(path, value, membership)


# The memberships of elements of arrays that sit in no other array (the commonest:
# ``detail.items``), made once: an event then builds no tuple for them.
_SHARED_ARRAYS: Final = 8
_SHARED_INDEXES: Final = 32
_OUTER_ELEMENTS: Final[tuple[tuple[Membership, ...], ...]] = tuple(
    tuple(((array_id, index),) for index in range(_SHARED_INDEXES))
    for array_id in range(_SHARED_ARRAYS)
)


def _element(membership: Membership, array_id: int, index: int) -> Membership:
    """The membership of element ``index`` of array ``array_id`` inside ``membership``."""
    if membership is None:
        if array_id < _SHARED_ARRAYS and index < _SHARED_INDEXES:
            return _OUTER_ELEMENTS[array_id][index]
        return ((array_id, index),)
    return (*membership, (array_id, index))


def _holds_containers(array: list[Any]) -> bool:
    for element in array:
        kind = type(element)
        if kind is dict or kind is list:
            return True
    return False
