"""What a target receives: Input, InputPath and InputTransformer, rendered as AWS does.

Pure: no I/O. ``render_input`` turns an event and a target's input options into the
exact body EventBridge would deliver (or says it would deliver nothing);
``validate_target_input`` raises what PutTargets raises for those options.
"""

from __future__ import annotations

from busway.errors import (
    InvalidInputPathsMapError,
    InvalidPlaceholderError,
    TargetInputConflictError,
    ValidationError,
)
from busway.transform.jsonpath import MISSING, resolve_path
from busway.transform.render import render_input
from busway.transform.reserved import RESERVED_NAMES
from busway.transform.target_input import NOTHING, InputTransformer, Rendered
from busway.transform.validation import validate_target_input

__all__ = [
    "MISSING",
    "NOTHING",
    "RESERVED_NAMES",
    "InputTransformer",
    "InvalidInputPathsMapError",
    "InvalidPlaceholderError",
    "Rendered",
    "TargetInputConflictError",
    "ValidationError",
    "render_input",
    "resolve_path",
    "validate_target_input",
]
