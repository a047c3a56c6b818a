"""A lean HTTP/1.1 client for plain ``http://`` POSTs, the commonest delivery.

aiohttp spends ~100 µs of the event loop's time on each request; most of it builds
objects a webhook never needs. Here a request is one ``bytes`` written to a kept-alive
connection and the answer is parsed by httptools, so a send costs a fraction of that.
The rules are the transport's: every address is checked against the ``EgressPolicy``
(host names are resolved and checked, then cached for ``DNS_CACHE_SECONDS``), no redirect
is followed, and at most ``max_response_bytes`` of an answer are read (a longer answer's
connection is closed). A connection that fails or is cancelled (the caller's timeout) is
closed, never reused.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final, cast

import httptools

from busway.engine.senders.egress import (
    EgressPolicy,
    check_address,
    literal_address,
    resolve_permitted,
)
from busway.engine.senders.request import Answer, Call

DNS_CACHE_SECONDS: Final = 10.0
_FORBIDDEN = frozenset("\r\n\0")


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, answers parsed as they arrive."""

    def __init__(self, max_body: int) -> None:
        self._max_body = max_body
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Answer] | None = None
        self._headers: dict[str, str] = {}
        self._body = bytearray()
        self._headers_done = False
        self.reusable = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self._transport = cast(asyncio.Transport, transport)
        self.reusable = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._headers_done:
            # An answer without a length ends when its connection does.
            self._finish(reusable=False)
        self._fail(ConnectionResetError("the target closed the connection"))

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"malformed answer: {error}"))
            self.close()

    async def exchange(self, request: bytes) -> Answer:
        """Send ``request`` and wait for the whole answer (or the first bytes allowed)."""
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._headers, self._body, self._headers_done = {}, bytearray(), False
        self._transport.write(request)
        return await self._answer

    def close(self) -> None:
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body += body
        if len(self._body) >= self._max_body:
            # Unread data stays behind: the connection is closed rather than reused.
            del self._body[self._max_body :]
            self._finish(reusable=False)
            self.close()

    def on_message_complete(self) -> None:
        self._finish(reusable=self._parser.should_keep_alive())

    def _finish(self, *, reusable: bool) -> None:
        self.reusable = self.reusable and reusable
        answer = Answer(self._parser.get_status_code(), self._headers, bytes(self._body))
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(answer)

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)


class PlainClient:
    """Kept-alive connections per origin: at most ``max_connections`` in use at once,
    and as many idle ones per origin."""

    def __init__(
        self, *, egress: EgressPolicy, max_response_bytes: int, max_connections: int
    ) -> None:
        self._egress = egress
        self._max_body = max_response_bytes
        self._max_idle = max_connections
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._addresses: dict[tuple[str, int], tuple[float, list[str]]] = {}

    async def fetch(self, call: Call) -> Answer:
        """POST ``call`` over ``http://``; raises as ``Transport.fetch`` does."""
        url = call.url
        host, port = url.host or "", url.port or 80
        request = _request_bytes(call)
        async with self._slots:
            connection = self._take((host, port)) or await self._open(host, port)
            try:
                answer = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
            self._keep((host, port), connection)
        return answer

    def close(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take(self, origin: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection
        return None

    def _keep(self, origin: tuple[str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if connection.reusable and len(idle) < self._max_idle:
            idle.append(connection)
        else:
            connection.close()

    async def _open(self, host: str, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        error: OSError | None = None
        for address in await self._permitted(host, port):
            try:
                _, connection = await loop.create_connection(
                    lambda: _Connection(self._max_body), address, port
                )
            except OSError as failed:
                error = failed
                continue
            return connection
        raise error or ConnectionError(f"no address to connect to for {host}")

    async def _permitted(self, host: str, port: int) -> list[str]:
        cached = self._addresses.get((host, port))
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        address = literal_address(host)
        if address is not None:
            check_address(host, address, policy=self._egress)
            self._addresses[(host, port)] = (float("inf"), [host])
            return [host]
        addresses = await resolve_permitted(host, port, policy=self._egress, family=0)
        self._addresses[(host, port)] = (now + DNS_CACHE_SECONDS, addresses)
        return addresses


def _request_bytes(call: Call) -> bytes:
    """The request's head and body; refuses header text that would split the request."""
    url = call.url
    body = call.content or b""
    for name, value in call.headers:
        if not (_FORBIDDEN.isdisjoint(name) and _FORBIDDEN.isdisjoint(value)):
            raise ValueError(f"Header {name!r} holds a line break.")
    fields = "".join([f"{name}: {value}\r\n" for name, value in call.headers])
    head = (
        f"{call.method} {url.raw_path_qs or '/'} HTTP/1.1\r\nHost: {_host_header(call)}\r\n"
        f"{fields}Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _host_header(call: Call) -> str:
    url = call.url
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    return host if url.port in (None, 80) else f"{host}:{url.port}"
