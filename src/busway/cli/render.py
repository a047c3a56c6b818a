"""Terminal rendering of a match explanation: a block per ``$or`` branch, a line per field."""

from __future__ import annotations

import click

from busway.patterns import BranchExplanation, Explanation, FieldExplanation

# Past this width a condition is not padded, so one long condition does not widen every line.
MAX_CONDITION_WIDTH = 40


def render_explanation(explanation: Explanation, *, color: bool) -> str:
    """The explanation as lines of text, ending with MATCH or NO MATCH."""
    verdict_text = "MATCH" if explanation.matched else "NO MATCH"
    verdict = paint(verdict_text, ok=explanation.matched, color=color, bold=True)
    branches = explanation.branches
    if len(branches) == 1:
        return render_branch(branches[0], indent="", color=color) + "\n" + verdict
    blocks = [
        render_labelled(branch, number=number, color=color)
        for number, branch in enumerate(branches, start=1)
    ]
    return "\n\n".join([*blocks, verdict])


def render_labelled(branch: BranchExplanation, *, number: int, color: bool) -> str:
    outcome = "match" if branch.matched else "no match"
    label = paint(f"$or branch {number}: {outcome}", ok=branch.matched, color=color)
    return label + "\n" + render_branch(branch, indent="  ", color=color)


def render_branch(branch: BranchExplanation, *, indent: str, color: bool) -> str:
    lines = render_fields(branch.fields, indent=indent, color=color)
    if not branch.note:
        return lines
    return lines + "\n" + indent + paint(f"✗ {branch.note}", ok=False, color=color)


def render_fields(fields: tuple[FieldExplanation, ...], *, indent: str, color: bool) -> str:
    path_width = max((len(field.path) for field in fields), default=0)
    condition_width = min(
        max((len(field.condition) for field in fields), default=0), MAX_CONDITION_WIDTH
    )
    return "\n".join(
        indent + render_field(field, widths=(path_width, condition_width), color=color)
        for field in fields
    )


def render_field(field: FieldExplanation, *, widths: tuple[int, int], color: bool) -> str:
    mark = paint("✓" if field.satisfied else "✗", ok=field.satisfied, color=color)
    path = style(field.path.ljust(widths[0]), color=color, bold=True)
    condition = field.condition.ljust(widths[1])
    return f"{mark} {path}  {condition}  {outcome_of(field)}"


def outcome_of(field: FieldExplanation) -> str:
    if field.satisfied and field.value is not None:
        return field.value
    return field.reason


def paint(text: str, *, ok: bool, color: bool, bold: bool = False) -> str:
    return style(text, color=color, fg="green" if ok else "red", bold=bold)


def style(text: str, *, color: bool, fg: str | None = None, bold: bool = False) -> str:
    return click.style(text, fg=fg, bold=bold) if color else text
