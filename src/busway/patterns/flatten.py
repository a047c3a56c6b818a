"""Events as the pattern language sees them: leaf values under dotted paths.

Every leaf (string, number, boolean, null) gets the dotted path of keys leading to it;
arrays are transparent, but each leaf remembers which element of which array it came
from (its membership), so a branch can insist that its fields come from the same
element. Objects and empty arrays are not leaves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any

Membership = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Leaf:
    path: str
    value: Any
    membership: Membership


def flatten(event: Mapping[str, Any]) -> dict[str, list[Leaf]]:
    """Every leaf of ``event``, grouped by dotted path."""
    leaves: dict[str, list[Leaf]] = {}
    for leaf in _walk(event, "", (), count()):
        leaves.setdefault(leaf.path, []).append(leaf)
    return leaves


def _walk(value: Any, path: str, membership: Membership, ids: Iterator[int]) -> Iterator[Leaf]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _walk(child, f"{path}.{key}" if path else key, membership, ids)
    elif isinstance(value, list):
        array_id = next(ids)
        for index, element in enumerate(value):
            yield from _walk(element, path, (*membership, (array_id, index)), ids)
    else:
        yield Leaf(path, value, membership)


def merge(first: Membership, second: Membership) -> Membership | None:
    """The union of two memberships, or None when they pick different elements of one array."""
    chosen = dict(first)
    for array_id, index in second:
        if chosen.setdefault(array_id, index) != index:
            return None
    return tuple(sorted(chosen.items()))


def compatible(first: Membership, second: Membership) -> bool:
    return merge(first, second) is not None
