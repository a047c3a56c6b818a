"""The one POST endpoint every AWS JSON service is reached through.

The operation comes from ``X-Amz-Target``; the body is checked against the botocore
model's input shape, handed to the service's handler as snake_case, and the answer is
rendered back into the output shape. Errors go out as AWS sends them: ``__type`` and
``message``, 4xx for the caller's faults, never a 500 for bad input.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from botocore.model import OperationModel, OperationNotFoundError
from starlette.requests import Request
from starlette.responses import Response

from busway.api.aws.protocol import ErrorCode, ServiceApi
from busway.api.aws.shapes import load_service, parse_input, render_output
from busway.errors import BuswayError, ProtocolError

_log = logging.getLogger("busway.api")
MAX_BODY_BYTES = 1_310_720

Authenticate = Callable[[Request, bytes], None]


class AwsEndpoint:
    """Dispatches AWS JSON requests to the services registered by target prefix."""

    def __init__(
        self, services: Sequence[ServiceApi], *, authenticate: Authenticate | None = None
    ) -> None:
        self._services = {s.target_prefix: s for s in services}
        self._authenticate = authenticate
        self._operations: dict[tuple[str, str], OperationModel] = {}

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        target = request.headers.get("x-amz-target", "")
        prefix, _, name = target.partition(".")
        service = self._services.get(prefix)
        try:
            body = await _read_body(request)
            if self._authenticate is not None:
                self._authenticate(request, body)
            if service is None:
                raise ProtocolError("UnknownOperationException", "")
            answer = await self._handle(service, name, body)
        except Exception as error:
            return _error_response(service, error, request_id)
        return Response(
            orjson.dumps(answer),
            media_type=service.content_type,
            headers={"x-amzn-RequestId": request_id},
        )

    async def _handle(self, service: ServiceApi, name: str, body: bytes) -> dict[str, Any]:
        operation = self._operation(service, name)
        handler = service.handlers.get(name)
        if handler is None:
            raise ProtocolError("UnknownOperationException", "")
        raw = _parse_json(body)
        params = parse_input(operation, raw)
        result = await handler(params)
        return render_output(operation, result or {})

    def _operation(self, service: ServiceApi, name: str) -> OperationModel:
        key = (service.name, name)
        if key not in self._operations:
            try:
                self._operations[key] = load_service(service.name).operation_model(name)
            except OperationNotFoundError:
                raise ProtocolError("UnknownOperationException", "") from None
        return self._operations[key]


async def _read_body(request: Request) -> bytes:
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProtocolError(
                "RequestEntityTooLargeException",
                f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes.",
                status=413,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(body: bytes) -> Mapping[str, Any]:
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


def _error_response(service: ServiceApi | None, error: Exception, request_id: str) -> Response:
    code = _code_for(service, error)
    message = getattr(error, "message", None) or str(error)
    if code.status >= 500:
        _log.exception("request %s failed", request_id, exc_info=error)
        message = "An internal error occurred."
    namespace = service.error_namespace if service else None
    body = {"__type": f"{namespace}#{code.code}" if namespace else code.code, "message": message}
    headers = {"x-amzn-RequestId": request_id}
    if code.query_code:
        fault = "Sender" if code.sender_fault else "Receiver"
        headers["x-amzn-query-error"] = f"{code.query_code};{fault}"
    media = service.content_type if service else "application/x-amz-json-1.1"
    return Response(orjson.dumps(body), status_code=code.status, media_type=media, headers=headers)


def _code_for(service: ServiceApi | None, error: Exception) -> ErrorCode:
    if isinstance(error, ProtocolError):
        return ErrorCode(error.code, error.status)
    found = service.error_for(error) if service else None
    if found is not None:
        return found
    if isinstance(error, BuswayError):
        return ErrorCode("ValidationException")
    return ErrorCode("InternalException", 500, sender_fault=False)


def error_table(pairs: Mapping[type[Exception], str]) -> list[tuple[type[Exception], ErrorCode]]:
    """Error codes at HTTP 400 for each exception class, in the order given."""
    return [(kind, ErrorCode(code)) for kind, code in pairs.items()]
