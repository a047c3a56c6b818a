"""HTTP ingress: routes declared in configuration turn any request into an event.

A route names a method and a path (``/cart/{user}/items``), the bus, source and
detail-type of the event it publishes, and the answer it gives once the event is
durably accepted (say 202 ``{"message": "message received"}``). The detail is the
request's JSON body, or is built by a template over the request document
``{"body": ..., "path": {...}, "query": {...}, "headers": {...}}`` with the same
``InputPathsMap`` + ``InputTemplate`` language as an InputTransformer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from busway.errors import ValidationError
from busway.service.events import EventService
from busway.transform import InputTransformer, render_input, validate_target_input

MAX_BODY_BYTES = 262_144


@dataclass(frozen=True)
class IngressRoute:
    """One declared route; see the module docstring."""

    path: str
    source: str
    detail_type: str
    method: str = "POST"
    bus: str = "default"
    detail_paths: Mapping[str, str] = field(default_factory=dict)
    detail_template: str | None = None
    status: int = 202
    response: str = '{"message": "message received"}'
    content_type: str = "application/json"

    @classmethod
    def from_settings(cls, raw: Mapping[str, Any]) -> IngressRoute:
        """A route from a ``[[ingress]]`` table; ``ValueError`` says what is wrong."""
        raw = {key.replace("-", "_"): value for key, value in raw.items()}
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"ingress route: unknown setting(s) {', '.join(unknown)}")
        missing = [name for name in ("path", "source", "detail_type") if not raw.get(name)]
        if missing:
            raise ValueError(f"ingress route: {', '.join(missing)} required")
        route = cls(**raw)
        if route.detail_template is not None:
            transformer = InputTransformer(route.detail_paths, route.detail_template)
            try:
                validate_target_input(route.path, transformer=transformer)
            except ValidationError as error:
                raise ValueError(f"ingress route {route.path}: {error.message}") from None
        return route


def ingress_routes(routes: Sequence[IngressRoute], events: EventService) -> list[Route]:
    """Starlette routes publishing through ``events``."""
    return [_route(route, events) for route in routes]


def _route(route: IngressRoute, events: EventService) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            detail = render_detail(route, await _document(request))
        except ValueError as error:
            return _problem(400, str(error))
        entry = {
            "source": route.source,
            "detail_type": route.detail_type,
            "detail": detail,
            "event_bus_name": route.bus,
        }
        answer = await events.put(entries=[entry])
        failed = answer["entries"][0]
        if "error_code" in failed:
            return _problem(400, f"{failed['error_code']}: {failed['error_message']}")
        return Response(route.response, status_code=route.status, media_type=route.content_type)

    return Route(route.path, endpoint, methods=[route.method])


async def _document(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ValueError(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    body: Any = None
    if raw.strip():
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ValueError("The body is not valid JSON.") from None
    return {
        "body": body,
        "path": dict(request.path_params),
        "query": dict(request.query_params),
        "headers": {k.lower(): v for k, v in request.headers.items()},
    }


def render_detail(route: IngressRoute, document: Mapping[str, Any]) -> str:
    """The event's ``detail`` text for a request; ``ValueError`` when there is none."""
    if route.detail_template is None:
        body = document["body"]
        if not isinstance(body, dict):
            raise ValueError("The body must be a JSON object.")
        return orjson.dumps(body).decode()
    transformer = InputTransformer(route.detail_paths, route.detail_template)
    rendered = render_input(document, transformer=transformer)
    if rendered.text is None or not rendered.text.lstrip().startswith("{"):
        raise ValueError("The request does not fit this route's detail template.")
    return rendered.text


def _problem(status: int, message: str) -> Response:
    return Response(
        orjson.dumps({"message": message}), status_code=status, media_type="application/json"
    )
