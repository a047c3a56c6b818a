"""A real HTTP server on 127.0.0.1 that records what it receives, for the sender tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from busway.engine.senders.http import HttpSender

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    peer: int  # the client's port: one per connection


@dataclass
class Target:
    """The server's state: what it saw, and which OAuth tokens it currently accepts."""

    base: str
    seen: list[Seen] = field(default_factory=list)
    issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    expires_in: int = 3600

    def url(self, path: str) -> str:
        return self.base + path

    def last(self, path: str) -> Seen:
        return [s for s in self.seen if s.path == path][-1]

    def count(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    def connections(self, path: str) -> set[int]:
        return {s.peer for s in self.seen if s.path == path}


def build_app(target: Target) -> Starlette:
    async def record(request: Request) -> Seen:
        seen = Seen(
            request.method,
            request.url.path,
            list(request.query_params.multi_items()),
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
            request.client.port if request.client else 0,
        )
        target.seen.append(seen)
        return seen

    async def echo(request: Request) -> Response:
        await record(request)
        return Response("ok")

    async def status(request: Request) -> Response:
        await record(request)
        headers = {}
        if "retry_after" in request.query_params:
            headers["Retry-After"] = request.query_params["retry_after"]
        return Response(
            "boom " * 200, status_code=int(request.path_params["code"]), headers=headers
        )

    async def slow(request: Request) -> Response:
        await record(request)
        await asyncio.sleep(1.0)
        return Response("late")

    async def pause(request: Request) -> Response:
        await record(request)
        await asyncio.sleep(0.05)
        return Response("ok")

    async def huge(request: Request) -> Response:
        await record(request)

        async def chunks() -> AsyncIterator[bytes]:
            # Slow enough that reading it all would outlast any timeout in the tests.
            for _ in range(4096):
                yield b"x" * 65536
                await asyncio.sleep(0.02)

        return StreamingResponse(chunks())

    async def token(request: Request) -> Response:
        await record(request)
        target.issued += 1
        value = f"tok-{target.issued}"
        target.valid_tokens = {value}
        body: dict[str, Any] = {
            "access_token": value,
            "token_type": "Bearer",
            "expires_in": target.expires_in,
        }
        return JSONResponse(body)

    async def protected(request: Request) -> Response:
        seen = await record(request)
        scheme, _, value = seen.headers.get("authorization", "").partition(" ")
        if scheme == "Bearer" and value in target.valid_tokens:
            return Response("ok")
        return Response("bad token", status_code=401)

    return Starlette(
        routes=[
            Route("/echo/{rest:path}", echo, methods=ANY_METHOD),
            Route("/status/{code:int}", status, methods=ANY_METHOD),
            Route("/slow", slow, methods=ANY_METHOD),
            Route("/pause", pause, methods=ANY_METHOD),
            Route("/huge", huge, methods=ANY_METHOD),
            Route("/oauth/token", token, methods=ANY_METHOD),
            Route("/protected", protected, methods=ANY_METHOD),
        ]
    )


@pytest.fixture(scope="module")
def server() -> Iterator[Target]:
    """A uvicorn server on a free loopback port, running in a background thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    target = Target(base=f"http://127.0.0.1:{sock.getsockname()[1]}")
    config = uvicorn.Config(
        build_app(target),
        lifespan="off",
        http="h11",
        ws="none",
        log_level="error",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield target
    running.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def target(server: Target) -> Target:
    """The server, with its memory of earlier tests wiped."""
    server.seen.clear()
    server.valid_tokens.clear()
    server.issued = 0
    server.expires_in = 3600
    return server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sender() -> AsyncIterator[HttpSender]:
    http = HttpSender(timeout=2.0)
    yield http
    await http.aclose()
