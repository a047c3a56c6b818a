"""The checks PutTargets makes on a target's input options.

Lengths of ``Input``, ``InputPath`` and ``InputTemplate`` are shape constraints and are
checked where requests are parsed. Paths are not checked: AWS accepts any text there.
"""

from __future__ import annotations

import re

from busway.errors import (
    InvalidInputPathsMapError,
    InvalidPlaceholderError,
    TargetInputConflictError,
)
from busway.transform.reserved import RESERVED_NAMES
from busway.transform.target_input import InputTransformer
from busway.transform.template import placeholder_names

MAX_INPUT_PATHS = 100
MAX_KEY_LENGTH = 256
_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def validate_target_input(
    target_id: str,
    *,
    input: str | None = None,
    input_path: str | None = None,
    transformer: InputTransformer | None = None,
) -> None:
    """Raise what PutTargets raises for this target's input options; return if they are fine.

    ``TargetInputConflictError`` when more than one option is given;
    ``InvalidInputPathsMapError`` for more than 100 variables or a key that is not
    1-256 of ``A-Z a-z 0-9 _ -``, starts with ``AWS`` or is a reserved name;
    ``InvalidPlaceholderError`` for the first placeholder that is neither a variable
    nor reserved.
    """
    given = [option for option in (input, input_path, transformer) if option is not None]
    if len(given) > 1:
        raise TargetInputConflictError(target_id)
    if transformer is not None:
        _validate_paths_map(target_id, transformer)
        _validate_placeholders(target_id, transformer)


def _validate_paths_map(target_id: str, transformer: InputTransformer) -> None:
    if len(transformer.input_paths_map) > MAX_INPUT_PATHS:
        raise InvalidInputPathsMapError(target_id, f"more than {MAX_INPUT_PATHS} entries")
    for key in transformer.input_paths_map:
        reason = _key_problem(key)
        if reason is not None:
            raise InvalidInputPathsMapError(target_id, f"key {key!r} {reason}")


def _key_problem(key: str) -> str | None:
    if key in RESERVED_NAMES:
        return "is a reserved variable"
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        return f"must be 1-{MAX_KEY_LENGTH} letters, digits, '_' or '-'"
    if key.startswith("AWS"):
        return "must not start with 'AWS'"
    return None


def _validate_placeholders(target_id: str, transformer: InputTransformer) -> None:
    for name in placeholder_names(transformer.input_template):
        if name not in transformer.input_paths_map and name not in RESERVED_NAMES:
            raise InvalidPlaceholderError(target_id, name)
