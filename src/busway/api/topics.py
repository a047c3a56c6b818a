"""The native JSON API of topics and their subscriptions.

====================================================  =====================================
request                                               answer
====================================================  =====================================
``POST /topics`` ``{"name", "description"?}``           201 the topic
``GET /topics``                                       200 ``{"topics": [...]}``
``GET /topics/{name}``                                200 the topic
``DELETE /topics/{name}``                             204 (its subscriptions go with it)
``POST /topics/{name}/subscriptions``                 201 the subscription; body
                                                      ``{"endpoint", "protocol"?,
                                                      "filter_pattern"?, "retry_policy"?,
                                                      "dead_letter_config"?,
                                                      "http_parameters"?}``
``GET /topics/{name}/subscriptions``                  200 ``{"subscriptions": [...]}``
``DELETE /topics/{name}/subscriptions/{id}``          204
``POST /topics/{name}/messages``                      202 ``{"message_id", "subscriptions"}``;
                                                      body ``{"message", "subject"?}``, a
                                                      message that is not a string is sent
                                                      as its JSON
====================================================  =====================================

Errors are ``{"code": ..., "message": ...}`` with 400 (bad input), 404 (no such topic or
subscription), 409 (name taken) or 403 (a request not signed when the server runs
with ``--auth``; sign it with SigV4 as the SDK does).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from busway.api.aws.endpoint import Authenticate
from busway.errors import (
    AlreadyExistsError,
    InvalidEventPatternError,
    LimitExceededError,
    NotFoundError,
    ProtocolError,
    ValidationError,
)
from busway.service.topics import TopicService

MAX_BODY_BYTES = 512 * 1024
_log = logging.getLogger("busway.api.topics")
_STATUS: list[tuple[type[Exception], str, int]] = [
    (NotFoundError, "NotFound", 404),
    (AlreadyExistsError, "AlreadyExists", 409),
    (LimitExceededError, "LimitExceeded", 400),
    (InvalidEventPatternError, "InvalidEventPattern", 400),
    (ValidationError, "ValidationError", 400),
]
Handler = Callable[[Request, dict[str, Any]], Awaitable[tuple[int, Any]]]


def topic_routes(topics: TopicService, *, authenticate: Authenticate | None = None) -> list[Route]:
    """The routes of the table in the module docstring."""

    async def create(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        name = _text(body, "name")
        return 201, await topics.create(name=name, description=body.get("description"))

    async def listed(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"topics": await topics.list_topics()}

    async def one(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        name = request.path_params["name"]
        if request.method == "DELETE":
            await topics.delete(name=name)
            return 204, None
        return 200, await topics.describe(name=name)

    async def subscribe(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        name = request.path_params["name"]
        if request.method == "GET":
            return 200, {"subscriptions": await topics.subscriptions(topic=name)}
        settings = {k: v for k, v in body.items() if k != "endpoint"}
        return 201, await topics.subscribe(topic=name, endpoint=_text(body, "endpoint"), **settings)

    async def unsubscribe(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        params = request.path_params
        await topics.unsubscribe(topic=params["name"], subscription=params["id"])
        return 204, None

    async def publish(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            message = orjson.dumps(message).decode()
        subject = body.get("subject")
        return 202, await topics.publish(
            topic=request.path_params["name"], message=message or "", subject=subject
        )

    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, _endpoint(handler, authenticate), methods=methods)

    return [
        route("/topics", create, ["POST"]),
        route("/topics", listed, ["GET"]),
        route("/topics/{name}", one, ["GET", "DELETE"]),
        route("/topics/{name}/subscriptions", subscribe, ["GET", "POST"]),
        route("/topics/{name}/subscriptions/{id}", unsubscribe, ["DELETE"]),
        route("/topics/{name}/messages", publish, ["POST"]),
    ]


def _endpoint(
    handler: Handler, authenticate: Authenticate | None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            raw = await request.body()
            if authenticate is not None:
                authenticate(request, raw)
            status, answer = await handler(request, _body(raw, request.method))
        except ProtocolError as error:
            # Only the signature check raises it here.
            return _error(403, error.code, error.message)
        except Exception as error:
            return _failure(error)
        if answer is None:
            return Response(status_code=status)
        return Response(orjson.dumps(answer), status_code=status, media_type="application/json")

    return endpoint


def _body(raw: bytes, method: str) -> dict[str, Any]:
    if method in ("GET", "DELETE") or not raw.strip():
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.")
    return body


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name} is required and must be a string.")
    return value


def _failure(error: Exception) -> Response:
    for kind, code, status in _STATUS:
        if isinstance(error, kind):
            return _error(status, code, getattr(error, "message", None) or str(error))
    if isinstance(error, TypeError):
        # A JSON member of the wrong shape reaching a service call.
        return _error(400, "ValidationError", f"Invalid request: {error}")
    _log.exception("topic request failed")
    return _error(500, "InternalError", "An internal error occurred.")


def _error(status: int, code: str, message: str) -> Response:
    body = orjson.dumps({"code": code, "message": message})
    return Response(body, status_code=status, media_type="application/json")
