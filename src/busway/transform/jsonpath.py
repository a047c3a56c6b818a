"""The JSONPath subset EventBridge evaluates in InputPath and InputPathsMap.

``$`` is the event; ``.name`` steps into an object (names may hold ``-``, ``_``, ``/``
and any other character but ``.``, ``[`` and ``]``); ``[n]`` picks an array element;
``['name']`` is the bracket spelling of ``.name``. No wildcards, filters or recursive
descent. AWS does not validate paths when a target is saved, so a path this module
cannot read resolves to nothing, like a path that leads nowhere.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]")


class Missing(enum.Enum):
    """The type of ``MISSING``: a path that resolves to nothing."""

    MISSING = "MISSING"


MISSING: Final = Missing.MISSING

Step = str | int


def resolve_path(event: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` in ``event``, or ``MISSING`` when there is none."""
    steps = parse_path(path)
    if steps is None:
        return MISSING
    value: Any = event
    for step in steps:
        value = _step_into(value, step)
        if value is MISSING:
            break
    return value


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[Step, ...] | None:
    """The steps of ``path`` (names and indexes), or None if it is not in the subset."""
    if not path.startswith("$"):
        return None
    steps: list[Step] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            return None
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        position = match.end()
    return tuple(steps)


def _step_into(value: Any, step: Step) -> Any:
    if isinstance(step, int):
        if isinstance(value, list | tuple) and step < len(value):
            return value[step]
        return MISSING
    if isinstance(value, Mapping):
        return value.get(step, MISSING)
    return MISSING
