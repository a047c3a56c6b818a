"""How one AWS JSON service plugs into the endpoint.

A service is a table of handlers by AWS operation name. Handlers take and return
snake_case dicts (the endpoint converts from and to AWS's shapes) and raise Busway's
exceptions; ``errors`` maps exception classes to AWS error codes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any]], Awaitable[Mapping[str, Any] | None]]


@dataclass(frozen=True)
class ErrorCode:
    """An AWS error type; ``query_code`` is the legacy code SQS also sends in the
    ``x-amzn-query-error`` header (``AWS.SimpleQueueService.NonExistentQueue``)."""

    code: str
    status: int = 400
    query_code: str | None = None
    sender_fault: bool = True


@dataclass(frozen=True)
class ServiceApi:
    """One AWS JSON protocol service: ``events`` (JSON 1.1) or ``sqs`` (JSON 1.0)."""

    name: str
    target_prefix: str
    json_version: str
    handlers: Mapping[str, Handler]
    errors: Sequence[tuple[type[Exception], ErrorCode]] = field(default_factory=tuple)
    error_namespace: str | None = None

    @property
    def content_type(self) -> str:
        return f"application/x-amz-json-{self.json_version}"

    def error_for(self, error: Exception) -> ErrorCode | None:
        """The first error code whose class ``error`` is an instance of."""
        for kind, code in self.errors:
            if isinstance(error, kind):
                return code
        return None
