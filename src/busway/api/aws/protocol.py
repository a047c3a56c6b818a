"""How one AWS JSON service plugs into the endpoint.

A service is a table of handlers by AWS operation name. Handlers take and return
snake_case dicts (the endpoint converts from and to AWS's shapes) and raise Busway's
exceptions; ``errors`` maps exception classes to AWS error codes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from busway.errors import BuswayError, ProtocolError, StorageError, StoreUnavailableError

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

    internal_error: str = "InternalException"

    def error_for(self, error: Exception) -> ErrorCode | None:
        """The first error code whose class ``error`` is an instance of."""
        for kind, code in self.errors:
            if isinstance(error, kind):
                return code
        return None


UNAVAILABLE = ErrorCode("ServiceUnavailable", 503, sender_fault=False)


def error_code(service: ServiceApi | None, error: Exception) -> ErrorCode:
    """The AWS error ``error`` becomes: protocol errors as raised, the service's own table,
    503 ServiceUnavailable while the database is out of reach (SDKs retry 5xx), the
    service's fault for other store failures, ValidationException for any other of
    Busway's errors, else the service's fault."""
    if isinstance(error, ProtocolError):
        return ErrorCode(error.code, error.status)
    found = service.error_for(error) if service else None
    if found is not None:
        return found
    if isinstance(error, StoreUnavailableError):
        return UNAVAILABLE
    if isinstance(error, BuswayError) and not isinstance(error, StorageError):
        return ErrorCode("ValidationException")
    internal = service.internal_error if service else "InternalException"
    return ErrorCode(internal, 500, sender_fault=False)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object (empty body: ``{}``); SerializationException else."""
    if not body.strip():
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ProtocolError(
            "SerializationException", "Could not parse the request body as JSON."
        ) from None
    if not isinstance(value, dict):
        raise ProtocolError("SerializationException", "The request body must be a JSON object.")
    return value
