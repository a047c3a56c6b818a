"""WebSocket subscriptions, live tail, and API Gateway's ``@connections`` routes.

``GET /ws`` upgrades to a WebSocket. What the connection receives is fixed by the query:

- ``?channel=C`` (and ``&key=K``): what WebSocket targets push to channel ``C`` (or to
  key ``K`` in it, e.g. a user's name); see ``engine/senders/websocket.py``;
- ``?bus=B&pattern=P``: a live tail: every event accepted on bus ``B`` (default
  ``default``) matching the event pattern ``P`` (optional), as its JSON;
- nothing: only what is posted to the connection by id.

Every message the server sends is data (a payload as the target rendered it, a tailed
event, or what was posted); the connection's id is in the ``x-busway-connection-id``
header of the handshake answer and in ``GET /@connections``. Messages clients send are
ignored. A connection more than ``OUTBOX_LIMIT`` messages behind is closed (1013).

``POST|GET|DELETE /@connections/{id}`` post data to a connection, describe it, or
close it, with API Gateway's shapes and errors (boto3's ``apigatewaymanagementapi``
client works unchanged); ``GET /@connections?channel=C&key=K`` lists connections.

With authentication on, the handshake needs a token: ``Authorization: Bearer ID:SECRET``
(a configured access key pair, which allows everything), or a connect token
(``connect_token``) that an application signs with such a pair and hands to one user's
browser, which passes it as ``?token=`` (browsers cannot set headers on a WebSocket):
it allows only its channel and key (without a key, only the channel's broadcasts)
until it expires. A key pair in the URL is refused: servers and proxies log URLs. The
``@connections`` routes take an ``ID:SECRET`` bearer token or a SigV4 signature.
Tokens live in ``ws_access.py``, the ``@connections`` routes in ``ws_connections.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

import orjson
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from busway.api.ws_access import Access, Grant, handshake_token
from busway.api.ws_connections import Connections
from busway.engine.hub import Hub, Socket, Subscription
from busway.errors import (
    InvalidEventPatternError,
    LimitExceededError,
    NotFoundError,
    ProtocolError,
    ValidationError,
)
from busway.patterns import parse_pattern

OUTBOX_LIMIT: Final = 1024
CLOSE_SECONDS: Final = 5.0
MAX_NAME_CHARS: Final = 256
CONNECTION_HEADER: Final = "x-busway-connection-id"


def ws_routes(hub: Hub, *, access: Access, bus_exists: Callable[[str], bool]) -> list[BaseRoute]:
    """The ``/ws`` WebSocket route and the ``@connections`` HTTP routes."""
    connections = Connections(hub, access)
    return [
        WebSocketRoute("/ws", _Subscriptions(hub, access, bus_exists).serve),
        Route("/@connections", connections.list, methods=["GET"]),
        Route("/@connections/{connection_id}", connections.one, methods=["GET", "POST", "DELETE"]),
    ]


class _Subscriptions:
    def __init__(self, hub: Hub, access: Access, bus_exists: Callable[[str], bool]) -> None:
        self._hub = hub
        self._access = access
        self._bus_exists = bus_exists

    async def serve(self, websocket: WebSocket) -> None:
        query = websocket.query_params
        try:
            grant = self._access.admit(handshake_token(websocket), now=self._hub.now())
            subscription = self._subscription(query, grant)
        except ProtocolError as error:
            await _deny(websocket, error.status, error.message)
            return
        except (ValidationError, InvalidEventPatternError) as error:
            await _deny(websocket, 400, str(error))
            return
        except NotFoundError as error:
            await _deny(websocket, 404, str(error))
            return
        await self._run(websocket, subscription)

    async def _run(self, websocket: WebSocket, subscription: Subscription) -> None:
        peer = _Peer(websocket)
        client = websocket.client
        socket = Socket(
            id=secrets.token_urlsafe(12),
            peer=peer,
            subscription=subscription,
            connected_at=self._hub.now(),
            source_ip=client.host if client else "",
            user_agent=websocket.headers.get("user-agent", ""),
        )
        try:
            self._hub.add(socket)
        except LimitExceededError as error:
            await _deny(websocket, 429, error.message)
            return
        try:
            await websocket.accept(headers=[(CONNECTION_HEADER.encode(), socket.id.encode())])
            await peer.run(on_message=lambda: _touch(socket, self._hub.now()))
        finally:
            self._hub.remove(socket.id)

    def _subscription(self, query: Mapping[str, str], grant: Grant) -> Subscription:
        channel, key = _name(query, "channel"), _name(query, "key")
        if grant.channel is not None:
            tails = "bus" in query or "pattern" in query
            channel, key = _granted(grant, channel=channel, key=key, tails=tails)
        if key is not None and channel is None:
            raise ValidationError("A key needs a channel: ?channel=NAME&key=VALUE.")
        if channel is not None and "/" in channel:
            raise ValidationError("A channel name cannot hold '/'.")
        pattern_text, bus = query.get("pattern"), _name(query, "bus")
        if pattern_text is not None or bus is not None:
            bus = bus or "default"
            if not self._bus_exists(bus):
                raise NotFoundError(f"Event bus {bus} does not exist.")
        pattern = parse_pattern(pattern_text) if pattern_text else None
        return Subscription(channel=channel, key=key, bus=bus, pattern=pattern)


def _granted(
    grant: Grant, *, channel: str | None, key: str | None, tails: bool
) -> tuple[str | None, str | None]:
    """The channel and key a connect token allows, or ``ProtocolError`` (403) when
    the query asks for something else."""
    wanted = (channel or grant.channel, key or grant.key)
    if wanted != (grant.channel, grant.key) or tails:
        where = f"channel {grant.channel}" + (f" under key {grant.key}" if grant.key else "")
        raise ProtocolError("Forbidden", f"This token may only subscribe to {where}.", status=403)
    return wanted


def _name(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name)
    if value is None:
        return None
    if not value or len(value) > MAX_NAME_CHARS:
        raise ValidationError(f"Parameter {name} must be 1 to {MAX_NAME_CHARS} characters.")
    return value


def _touch(socket: Socket, now: datetime) -> None:
    socket.last_active_at = now


async def _deny(websocket: WebSocket, status: int, message: str) -> None:
    """Refuse the handshake with an HTTP answer where the server can send one."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        body = orjson.dumps({"message": message})
        await websocket.send_denial_response(
            Response(body, status_code=status, media_type="application/json")
        )
    else:
        await websocket.close(code=1008, reason=message[:120])


class _Peer:
    """Writes pushed messages in order from its own queue, so a push never waits for
    the network; a connection too far behind is closed rather than buffered forever."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._pending: deque[str | bytes] = deque()
        self._wake = asyncio.Event()
        self._closing: tuple[int, str] | None = None
        self._stopped = asyncio.Event()

    def push(self, data: str | bytes) -> bool:
        if self._closing is not None:
            return False
        if len(self._pending) >= OUTBOX_LIMIT:
            self.close(1013, f"too slow: {OUTBOX_LIMIT} messages waiting")
            return False
        self._pending.append(data)
        self._wake.set()
        return True

    def close(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = (code, reason)
            self._stopped.set()

    async def run(self, *, on_message: Callable[[], None]) -> None:
        """Serve the connection until either side closes it."""
        reader = asyncio.create_task(self._read(on_message))
        # A writer stuck behind a client that reads nothing is cancelled on close.
        tasks = {
            reader,
            asyncio.create_task(self._write()),
            asyncio.create_task(self._stopped.wait()),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._closing is not None and reader not in done:
            # The close frame waits behind what the network still holds, but not forever;
            # and a client that has just gone makes it fail: nothing is left to close.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._websocket.close(*self._closing), CLOSE_SECONDS)

    async def _read(self, on_message: Callable[[], None]) -> None:
        while True:
            message = await self._websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            on_message()

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                data = self._pending.popleft()
                if isinstance(data, str):
                    await self._websocket.send_text(data)
                else:
                    await self._websocket.send_bytes(data)
