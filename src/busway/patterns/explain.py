"""Why an event did or did not match: one verdict per field of each branch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from busway.patterns.flatten import Leaf, flatten
from busway.patterns.reference import branch_matches, field_candidates
from busway.patterns.syntax import Branch, Field, Pattern


@dataclass(frozen=True, slots=True)
class FieldExplanation:
    path: str
    condition: str
    satisfied: bool
    value: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class BranchExplanation:
    matched: bool
    fields: tuple[FieldExplanation, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    matched: bool
    branches: tuple[BranchExplanation, ...]


def explain(pattern: Pattern, event: Mapping[str, Any]) -> Explanation:
    """Explain, field by field, how ``pattern`` judges ``event``."""
    leaves = flatten(event)
    branches = tuple(_explain_branch(branch, leaves) for branch in pattern.branches)
    return Explanation(any(branch.matched for branch in branches), branches)


def _explain_branch(branch: Branch, leaves: dict[str, list[Leaf]]) -> BranchExplanation:
    fields = tuple(_explain_field(field, leaves) for field in branch)
    matched = branch_matches(branch, leaves)
    note = ""
    if not matched and all(field.satisfied for field in fields):
        note = "each field fits on its own, but not within one element of the same array"
    return BranchExplanation(matched, fields, note)


def _explain_field(field: Field, leaves: dict[str, list[Leaf]]) -> FieldExplanation:
    present = leaves.get(field.path, [])
    candidates = field_candidates(field, leaves)
    if candidates:
        shown = _json(candidates[0].value)
        return FieldExplanation(field.path, field.source, True, shown, f"{shown} fits")
    if not present:
        if field.allows_absence:
            return FieldExplanation(field.path, field.source, True, None, "absent, as required")
        return FieldExplanation(field.path, field.source, False, None, f"no value at {field.path}")
    values = ", ".join(_json(leaf.value) for leaf in present[:5])
    more = f" and {len(present) - 5} more" if len(present) > 5 else ""
    verb = "fits" if len(present) == 1 else "fit"
    return FieldExplanation(
        field.path, field.source, False, None, f"event has {values}{more}; none {verb}"
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
