"""The ASGI application: AWS's JSON protocols on ``POST /``, REST-JSON services by path,
and a health check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from busway.api.aws.endpoint import Authenticate, AwsEndpoint
from busway.api.aws.protocol import ServiceApi
from busway.api.aws.rest import RestEndpoint
from busway.api.aws.sns import is_query_request
from busway.errors import ProtocolError, StoreUnavailableError


class BuswayApp(Starlette):
    """Starlette, except that ``POST /`` goes straight to the AWS endpoint: the busiest
    route skips the middleware and routing layers, which do nothing for it."""

    def __init__(
        self, endpoint: AwsEndpoint, *, query: ASGIApp | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self._endpoint = endpoint
        self._query = query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            # Form-encoded requests speak AWS's query protocol (SNS); the rest AWS JSON.
            if self._query is not None and is_query_request(scope):
                await self._query(scope, receive, send)
                return
            await self._endpoint(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    services: Sequence[ServiceApi],
    *,
    rest_services: Sequence[ServiceApi] = (),
    extra_routes: Sequence[BaseRoute] = (),
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    authenticate: Authenticate | None = None,
    query_endpoint: ASGIApp | None = None,
) -> BuswayApp:
    """The app; ``start`` and ``stop`` run in its lifespan (the engine's life).
    ``extra_routes`` (ingress, CloudEvents, WebSockets) are matched before the REST services."""
    endpoint = AwsEndpoint(services, authenticate=authenticate)
    rest = [RestEndpoint(service) for service in rest_services]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def by_path(request: Request) -> Response:
        path = request.scope["raw_path"].decode("latin-1").split("?", 1)[0]
        for service in rest:
            if service.owns(path):
                if authenticate is not None:
                    failure = await _authenticated(request, authenticate)
                    if failure is not None:
                        return failure
                return await service.handle(request)
        return Response(orjson.dumps({"message": "Not Found"}), status_code=404)

    return BuswayApp(
        endpoint,
        query=query_endpoint,
        routes=[
            Route("/", endpoint, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            *extra_routes,
            Route("/{path:path}", by_path, methods=["GET", "POST", "PUT", "DELETE"]),
        ],
        lifespan=lifespan,
        exception_handlers={StoreUnavailableError: _unavailable},
    )


async def _unavailable(request: Request, error: Exception) -> Response:
    """Routes outside the AWS endpoints (ingress, CloudEvents) answer a database outage
    with 503 and Retry-After, which HTTP clients and webhook senders retry."""
    body = orjson.dumps({"message": "The service is unavailable. Please try again later."})
    headers = {"Retry-After": "1"}
    return Response(body, status_code=503, headers=headers, media_type="application/json")


async def _authenticated(request: Request, authenticate: Authenticate) -> Response | None:
    try:
        authenticate(request, await request.body())
    except ProtocolError as error:
        body = orjson.dumps({"Message": error.message})
        headers = {"x-amzn-ErrorType": error.code}
        return Response(
            body, status_code=error.status, headers=headers, media_type="application/json"
        )
    return None
