"""Every exception Busway raises, in one tree.

    BuswayError
     +-- InvalidEventPatternError (ValueError)   an event pattern AWS would reject
     +-- InvalidEventError (ValueError)          an event TestEventPattern would reject

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
