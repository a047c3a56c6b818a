"""The plain evaluator: obviously correct, slow, and the judge of the compiled Matcher.

A branch matches when each of its fields can be given a leaf that one of its operators
accepts (or, for a field allowing ``exists: false``, be left absent) such that the
chosen leaves are pairwise array-consistent, and no absent field has a leaf compatible
with the elements the chosen leaves picked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from busway.patterns.flatten import Leaf, Membership, compatible, flatten, merge
from busway.patterns.syntax import Branch, Field, Pattern


def matches(pattern: Pattern, event: Mapping[str, Any]) -> bool:
    leaves = flatten(event)
    return any(branch_matches(branch, leaves) for branch in pattern.branches)


def branch_matches(branch: Branch, leaves: dict[str, list[Leaf]]) -> bool:
    return _assign(list(branch), leaves, (), [])


def field_candidates(field: Field, leaves: dict[str, list[Leaf]]) -> list[Leaf]:
    """The leaves at ``field``'s path that one of its value operators accepts."""
    return [
        leaf
        for leaf in leaves.get(field.path, [])
        if any(operator.test(leaf.value) for operator in field.positive)
    ]


def _assign(
    fields: list[Field],
    leaves: dict[str, list[Leaf]],
    membership: Membership,
    absent: list[Field],
) -> bool:
    if not fields:
        return all(_is_absent(field, leaves, membership) for field in absent)
    field, rest = fields[0], fields[1:]
    for leaf in field_candidates(field, leaves):
        merged = merge(membership, leaf.membership)
        if merged is not None and _assign(rest, leaves, merged, absent):
            return True
    return field.allows_absence and _assign(rest, leaves, membership, [*absent, field])


def _is_absent(field: Field, leaves: dict[str, list[Leaf]], membership: Membership) -> bool:
    return not any(compatible(leaf.membership, membership) for leaf in leaves.get(field.path, []))
