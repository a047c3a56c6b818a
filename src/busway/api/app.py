"""The ASGI application: AWS's JSON protocols on ``POST /``, plus a health check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from busway.api.aws.endpoint import Authenticate, AwsEndpoint
from busway.api.aws.protocol import ServiceApi


def create_app(
    services: Sequence[ServiceApi],
    *,
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    authenticate: Authenticate | None = None,
) -> Starlette:
    """The app; ``start`` and ``stop`` run in its lifespan (the engine's life)."""
    endpoint = AwsEndpoint(services, authenticate=authenticate)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/", endpoint.handle, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
