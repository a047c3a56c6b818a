"""Reading one dotted path's leaves out of an event, on demand.

Pattern paths are dotted, and an event may spell ``detail.state.status`` as nested
objects, as one key ``"state.status"`` inside ``detail``, or any mix; a ``PathReader``
tries every such spelling. Leaves come out as ``(value, membership)``: membership
names the elements of arrays of objects (or of arrays) the leaf sits in, by the
array's identity and the element's index, and is None outside such arrays. Indexes
into arrays of plain values are not kept: no other field can sit inside such an
element, so they never decide array consistency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Membership = tuple[tuple[int, int], ...] | None
LeafList = list[tuple[Any, Membership]]

_MISSING = object()


class PathReader:
    """Reads the leaves at one dotted path of an event."""

    __slots__ = ("parts", "path", "single")

    def __init__(self, path: str) -> None:
        self.path = path
        self.parts = tuple(path.split("."))
        self.single = path if len(self.parts) == 1 else None

    def read(self, event: Mapping[str, Any]) -> LeafList:
        out: LeafList = []
        if self.single is not None:
            value = event.get(self.single, _MISSING)
            if value is not _MISSING:
                _emit(value, out, None)
        else:
            _descend(event, self.parts, 0, out, None)
        return out


def _descend(
    node: Mapping[str, Any],
    parts: tuple[str, ...],
    start: int,
    out: LeafList,
    membership: Membership,
) -> None:
    """Follow ``parts[start:]`` from ``node``, taking one or more parts per key."""
    key = parts[start]
    end = start + 1
    while True:
        value = node.get(key, _MISSING)
        if value is not _MISSING:
            _follow(value, parts, end, out, membership)
        if end == len(parts):
            return
        key = f"{key}.{parts[end]}"
        end += 1


def _follow(
    value: Any, parts: tuple[str, ...], start: int, out: LeafList, membership: Membership
) -> None:
    if start == len(parts):
        _emit(value, out, membership)
        return
    kind = type(value)
    if kind is dict:
        _descend(value, parts, start, out, membership)
    elif kind is list:
        for index, element in enumerate(value):
            element_kind = type(element)
            if element_kind is dict or element_kind is list:
                _follow(element, parts, start, out, _extend(membership, value, index))


def _emit(value: Any, out: LeafList, membership: Membership) -> None:
    kind = type(value)
    if kind is list:
        for element in value:
            element_kind = type(element)
            if element_kind is list:
                # Only this same path lies inside, so which element it was never matters.
                _emit(element, out, membership)
            elif element_kind is not dict:
                out.append((element, membership))
    elif kind is not dict:
        out.append((value, membership))


def _extend(membership: Membership, array: list[Any], index: int) -> tuple[tuple[int, int], ...]:
    step = (id(array), index)
    return (step,) if membership is None else (*membership, step)
