"""Numbers as EventBridge compares them: IEEE-754 doubles, never booleans."""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def to_double(value: int | float) -> float:
    """``value`` as a double; integers beyond the double range become infinities."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)
