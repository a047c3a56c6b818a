"""The one POST endpoint every AWS JSON service is reached through.

The operation comes from ``X-Amz-Target``; the body is checked against the botocore
model's input shape, handed to the service's handler as snake_case, and the answer is
rendered back into the output shape. Errors go out as AWS sends them: ``__type`` and
``message``, 4xx for the caller's faults, never a 500 for bad input.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from botocore.model import OperationModel, OperationNotFoundError
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from busway.api.aws.protocol import ErrorCode, ServiceApi, error_code, parse_json_object
from busway.api.aws.put_events import parse_put_events, render_put_events
from busway.api.aws.shapes import load_service, parse_input, render_output
from busway.errors import ProtocolError, StoreUnavailableError

_log = logging.getLogger("busway.api")
MAX_BODY_BYTES = 1_310_720

Authenticate = Callable[[Request, bytes], None]
Convert = Callable[[OperationModel, Mapping[str, Any]], dict[str, Any]]
# Operations hot enough to have their own input check and output rendering.
_FAST: dict[tuple[str, str], tuple[Convert, Convert]] = {
    ("events", "PutEvents"): (parse_put_events, render_put_events),
}
_GENERIC: tuple[Convert, Convert] = (parse_input, render_output)
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]


class AwsEndpoint:
    """Dispatches AWS JSON requests to the services registered by target prefix; an
    ASGI application for ``POST /``."""

    def __init__(
        self, services: Sequence[ServiceApi], *, authenticate: Authenticate | None = None
    ) -> None:
        self._services = {s.target_prefix: s for s in services}
        self._authenticate = authenticate
        self._operations: dict[tuple[str, str], OperationModel] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, body, headers = await self._answer(scope, receive)
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope, receive: Receive) -> Answer:
        request_id = new_request_id()
        prefix, _, name = _header(scope, b"x-amz-target").partition(".")
        service = self._services.get(prefix)
        try:
            body = await _read_body(receive)
            if self._authenticate is not None:
                self._authenticate(Request(scope), body)
            if service is None:
                raise ProtocolError("UnknownOperationException", "")
            answer = await self._handle(service, name, body)
        except Exception as error:
            return _error_answer(service, error, request_id)
        return 200, orjson.dumps(answer), _headers(service, request_id, [])

    async def _handle(self, service: ServiceApi, name: str, body: bytes) -> dict[str, Any]:
        operation = self._operation(service, name)
        handler = service.handlers.get(name)
        if handler is None:
            raise ProtocolError("UnknownOperationException", "")
        parse, render = _FAST.get((service.name, name), _GENERIC)
        raw = parse_json_object(body)
        result = await handler(parse(operation, raw))
        return render(operation, result or {})

    def _operation(self, service: ServiceApi, name: str) -> OperationModel:
        key = (service.name, name)
        if key not in self._operations:
            try:
                self._operations[key] = load_service(service.name).operation_model(name)
            except OperationNotFoundError:
                raise ProtocolError("UnknownOperationException", "") from None
        return self._operations[key]


def new_request_id() -> str:
    """A random request id in UUID form. Not a secret, so not from ``os.urandom``, whose
    every call gives up the GIL."""
    h = f"{random.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return ""


async def _read_body(receive: Callable[[], Awaitable[Mapping[str, Any]]]) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ProtocolError("ClientDisconnected", "The client went away.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProtocolError(
                "RequestEntityTooLargeException",
                f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes.",
                status=413,
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _error_answer(service: ServiceApi | None, error: Exception, request_id: str) -> Answer:
    code = error_code(service, error)
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, StoreUnavailableError):  # an outage, not a bug: no trace
        _log.warning("request %s failed: %s", request_id, error)
        message = "The service is unavailable. Please try again later."
    elif code.status >= 500:
        _log.exception("request %s failed", request_id, exc_info=error)
        message = "An internal error occurred."
    namespace = service.error_namespace if service else None
    body = {"__type": f"{namespace}#{code.code}" if namespace else code.code, "message": message}
    extra = []
    if code.query_code:
        fault = "Sender" if code.sender_fault else "Receiver"
        extra.append((b"x-amzn-query-error", f"{code.query_code};{fault}".encode("latin-1")))
    return code.status, orjson.dumps(body), _headers(service, request_id, extra)


def _headers(
    service: ServiceApi | None, request_id: str, extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    media = service.content_type if service else "application/x-amz-json-1.1"
    return [
        (b"content-type", media.encode("latin-1")),
        (b"x-amzn-requestid", request_id.encode("latin-1")),
        *extra,
    ]


def error_table(pairs: Mapping[type[Exception], str]) -> list[tuple[type[Exception], ErrorCode]]:
    """Error codes at HTTP 400 for each exception class, in the order given."""
    return [(kind, ErrorCode(code)) for kind, code in pairs.items()]
