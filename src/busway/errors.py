"""Every exception Busway raises, in one tree.

    BuswayError
     +-- InvalidEventPatternError (ValueError)   an event pattern AWS would reject
     +-- InvalidEventError (ValueError)          an event TestEventPattern would reject
     +-- ValidationError (ValueError)            a request AWS rejects with ValidationException
          +-- TargetInputConflictError           more than one of Input, InputPath, InputTransformer
          +-- InvalidPlaceholderError            an InputTemplate placeholder that names nothing
          +-- InvalidInputPathsMapError          an InputPathsMap key or size AWS would refuse

Each exception builds its message from its fields, so the API layer can map it to
AWS's error type and message without string surgery.
"""

from __future__ import annotations


class BuswayError(Exception):
    """Base of every error Busway raises on purpose."""


class InvalidEventPatternError(BuswayError, ValueError):
    """A pattern that EventBridge rejects with ``InvalidEventPatternException``.

    ``reason`` is the part AWS prints after ``Reason:``, word for word.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Event pattern is not valid. Reason: {reason}")


class InvalidEventError(BuswayError, ValueError):
    """An event that ``TestEventPattern`` rejects (AWS: ``ValidationException``)."""

    def __init__(self, parameter: str = "Event") -> None:
        self.parameter = parameter
        super().__init__(f"Parameter {parameter} is not valid.")


class ValidationError(BuswayError, ValueError):
    """A request that EventBridge rejects with ``ValidationException``.

    ``message`` is what AWS prints, word for word where AWS's wording is known.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class TargetInputConflictError(ValidationError):
    """A target given more than one of ``Input``, ``InputPath`` and ``InputTransformer``."""

    def __init__(self, target_id: str) -> None:
        self.target_id = target_id
        super().__init__(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target "
            f"{target_id}."
        )


class InvalidPlaceholderError(ValidationError):
    """An ``InputTemplate`` placeholder that is neither an InputPathsMap key nor reserved."""

    def __init__(self, target_id: str, placeholder: str) -> None:
        self.target_id = target_id
        self.placeholder = placeholder
        super().__init__(
            f"InputTemplate for target {target_id} contains invalid placeholder {placeholder}."
        )


class InvalidInputPathsMapError(ValidationError):
    """An ``InputPathsMap`` that breaks AWS's key rules or holds too many entries.

    AWS's wording for these is not recorded; ``reason`` says what is wrong.
    """

    def __init__(self, target_id: str, reason: str) -> None:
        self.target_id = target_id
        self.reason = reason
        super().__init__(f"InputPathsMap for target {target_id} is not valid: {reason}.")
