"""AWS's REST-JSON protocol (Scheduler): the operation comes from the method and path.

Members bound to the URI or the query string are read from there, the rest from the
JSON body; the assembled input is then checked against the model like any JSON-protocol
request. Errors carry their type in ``x-amzn-ErrorType`` and the HTTP status AWS gives it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson
from botocore.model import OperationModel, Shape
from starlette.requests import Request
from starlette.responses import Response

from busway.api.aws.protocol import ErrorCode, ServiceApi, error_code, parse_json_object
from busway.api.aws.shapes import load_service, parse_input, render_output
from busway.errors import ProtocolError

_PLACEHOLDER = re.compile(r"\{(\w+)(\+?)\}")


@dataclass(frozen=True)
class _Route:
    method: str
    path: re.Pattern[str]
    operation: OperationModel


class RestEndpoint:
    """Dispatches REST-JSON requests of one service by method and path."""

    def __init__(self, service: ServiceApi) -> None:
        self._service = service
        model = load_service(service.name)
        self._routes = [_route(model.operation_model(name)) for name in service.handlers]

    def owns(self, path: str) -> bool:
        return any(route.path.match(path) for route in self._routes)

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            answer, status = await self._dispatch(request)
        except Exception as error:  # every failure becomes an AWS error
            return self._error(error, request_id)
        return Response(
            orjson.dumps(answer),
            status_code=status,
            media_type="application/json",
            headers={"x-amzn-RequestId": request_id},
        )

    async def _dispatch(self, request: Request) -> tuple[dict[str, Any], int]:
        path = request.scope["raw_path"].decode("latin-1").split("?", 1)[0]
        for route in self._routes:
            found = route.path.fullmatch(path)
            if found and route.method == request.method:
                raw = _assemble(route.operation, found, request.url.query, await request.body())
                params = parse_input(route.operation, raw)
                result = await self._service.handlers[route.operation.name](params)
                status = int(route.operation.http.get("responseCode", 200))
                return render_output(route.operation, result or {}), status
        raise ProtocolError("UnknownOperationException", "", status=404)

    def _error(self, error: Exception, request_id: str) -> Response:
        code = error_code(self._service, error)
        message = getattr(error, "message", None) or str(error)
        if code.status >= 500:
            message = "An internal error occurred."
        headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code.code}
        body = orjson.dumps({"Message": message})
        return Response(
            body, status_code=code.status, media_type="application/json", headers=headers
        )


def _route(operation: OperationModel) -> _Route:
    uri = operation.http["requestUri"].split("?", 1)[0]
    pattern = ""
    last = 0
    for found in _PLACEHOLDER.finditer(uri):
        pattern += re.escape(uri[last : found.start()])
        greedy = found.group(2) == "+"
        pattern += f"(?P<{found.group(1)}>{'.+' if greedy else '[^/]+'})"
        last = found.end()
    pattern += re.escape(uri[last:])
    return _Route(operation.http["method"], re.compile(pattern), operation)


def _assemble(
    operation: OperationModel, path: re.Match[str], query: str, body: bytes
) -> dict[str, Any]:
    raw = parse_json_object(body)
    shape = operation.input_shape
    if shape is None:
        return raw
    values = parse_qs(query, keep_blank_values=True)
    uri_values = path.groupdict()
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "uri" and wire in uri_values:
            raw[name] = unquote(uri_values[wire])
        elif where == "querystring" and wire in values:
            raw[name] = _from_query(member, values[wire])
    return raw


def _from_query(member: Shape, values: list[str]) -> Any:
    if member.type_name == "list":
        return values
    value = values[-1]
    if member.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise ProtocolError("SerializationException", f"{value} is not an integer.") from None
    if member.type_name == "boolean":
        return value == "true"
    return value


def rest_errors(
    pairs: Mapping[type[Exception], tuple[str, int]],
) -> list[tuple[type[Exception], ErrorCode]]:
    """Error codes with their HTTP status for each exception class, in the order given."""
    return [(kind, ErrorCode(code, status)) for kind, (code, status) in pairs.items()]
