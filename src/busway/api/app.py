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
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from busway.api.aws.endpoint import Authenticate, AwsEndpoint
from busway.api.aws.protocol import ServiceApi
from busway.api.aws.rest import RestEndpoint
from busway.errors import ProtocolError


class BuswayApp(Starlette):
    """Starlette, except that ``POST /`` goes straight to the AWS endpoint: the busiest
    route skips the middleware and routing layers, which do nothing for it."""

    def __init__(self, endpoint: AwsEndpoint, **options: Any) -> None:
        super().__init__(**options)
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            await self._endpoint(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    services: Sequence[ServiceApi],
    *,
    rest_services: Sequence[ServiceApi] = (),
    extra_routes: Sequence[Route] = (),
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    authenticate: Authenticate | None = None,
) -> BuswayApp:
    """The app; ``start`` and ``stop`` run in its lifespan (the engine's life).
    ``extra_routes`` (ingress, CloudEvents) are matched before the REST services."""
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
        routes=[
            Route("/", endpoint, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            *extra_routes,
            Route("/{path:path}", by_path, methods=["GET", "POST", "PUT", "DELETE"]),
        ],
        lifespan=lifespan,
    )


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
