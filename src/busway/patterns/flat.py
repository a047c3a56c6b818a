"""What the walk reads at a step, held flat: a lone target bare, a few keys in one tuple.

A lookup at a state yields "found": None (nothing), one target held bare, or a tuple
of targets (targets are never tuples themselves). Returning that, rather than filling
a list, lets a step hand on what its edges already hold with nothing allocated.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar, cast

T = TypeVar("T")

# At most this many exact strings are scanned in a flat tuple rather than hashed.
FEW_STRINGS: Final = 6


def bare(targets: tuple[T, ...]) -> object:
    """A lone target itself, no targets None, else the tuple."""
    if len(targets) == 1:
        return targets[0]
    return targets if targets else None


def joined(found: object, more: object) -> object:
    """Both finds as one (a new tuple only when both found something)."""
    if found is None:
        return more
    if more is None:
        return found
    return (*as_tuple(found), *as_tuple(more))


def as_tuple(found: object) -> tuple[Any, ...]:
    """A find that is not None, as a tuple of targets."""
    if type(found) is tuple:
        return found
    return (found,)


def few_strings(table: dict[str, tuple[T, ...]]) -> tuple[object, ...]:
    """A few keys as one flat tuple: their lengths, then the keys, then what each leads
    to (see ``bare``).

    One or two cache lines, where a dict is the dict, its key table and a tuple per
    key. Lengths are small ints (shared objects), so a key's own memory is only read
    when the lengths agree.
    """
    return (
        *(len(key) for key in table),
        *table,
        *(bare(targets) for targets in table.values()),
    )


def few_get(few: tuple[object, ...], value: str) -> object:
    """What ``value`` leads to in a ``few_strings`` tuple, or None."""
    size = len(value)
    count = len(few) // 3
    for index in range(count):
        if cast(int, few[index]) == size and cast(str, few[count + index]) == value:
            return few[2 * count + index]
    return None


def bare_table(table: dict[Any, tuple[T, ...]]) -> dict[Any, object]:
    """``table`` with each tuple of targets held as ``bare`` does."""
    return {key: bare(targets) for key, targets in table.items()}
