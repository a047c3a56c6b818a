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
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from busway.api.aws.endpoint import Authenticate
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
MAX_POST_BYTES: Final = 128 * 1024
MAX_NAME_CHARS: Final = 256
CONNECTION_HEADER: Final = "x-busway-connection-id"
_BEARER: Final = "bearer "
TOKEN_PREFIX: Final = "bw1."


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token lets a connection subscribe to: anything (``channel`` None), or
    only ``channel`` (and only ``key`` in it, when not None)."""

    channel: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Access:
    """Who may connect: anyone when ``credentials`` is None (authentication off);
    otherwise a bearer token ``ID:SECRET`` of ``credentials``, a connect token signed
    with one of them (``connect_token``), or (HTTP routes only) a request
    ``signature`` check passes."""

    credentials: Mapping[str, str] | None = None
    signature: Authenticate | None = None

    def admit(self, token: str | None, *, now: datetime) -> Grant:
        """What ``token`` grants. Raises ``ProtocolError`` (401, 403) when it grants nothing."""
        if self.credentials is None:
            return Grant()
        if not token:
            raise ProtocolError(
                "MissingAuthenticationToken", "Missing Authentication Token", status=401
            )
        if token.startswith(TOKEN_PREFIX):
            return self._connect_grant(token, now=now)
        key_id, _, secret = token.partition(":")
        expected = self.credentials.get(key_id)
        if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise _INVALID_TOKEN
        return Grant()

    def _connect_grant(self, token: str, *, now: datetime) -> Grant:
        body, _, signature = token.removeprefix(TOKEN_PREFIX).partition(".")
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            secret = (self.credentials or {})[claims["kid"]]
            channel, key, expires = str(claims["channel"]), claims.get("key"), float(claims["exp"])
        except (ValueError, KeyError, TypeError):
            raise _INVALID_TOKEN from None
        if not hmac.compare_digest(signature, _sign(secret, body)):
            raise _INVALID_TOKEN
        if now.timestamp() >= expires:
            raise ProtocolError("ExpiredToken", "The connect token has expired.", status=401)
        return Grant(channel, None if key is None else str(key))


_KEY_PAIR_IN_URL = (
    "An access key pair goes in the Authorization header, never in the URL; "
    "give browsers a connect token."
)
_INVALID_TOKEN = ProtocolError(
    "UnrecognizedClient", "The security token included in the request is invalid.", status=403
)


def connect_token(
    *,
    access_key_id: str,
    secret_access_key: str,
    channel: str,
    key: str | None,
    expires_at: datetime,
) -> str:
    """A token that lets its holder (e.g. a browser, as ``?token=``) subscribe to
    ``channel``, only under ``key`` when given, until ``expires_at``; signed with a
    configured access key pair, which it does not reveal."""
    claims = {
        "kid": access_key_id,
        "channel": channel,
        "key": key,
        "exp": int(expires_at.timestamp()),
    }
    body = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    return f"{TOKEN_PREFIX}{body}.{_sign(secret_access_key, body)}"


def _sign(secret: str, body: str) -> str:
    digest = hmac.digest(secret.encode(), (TOKEN_PREFIX + body).encode(), "sha256")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def ws_routes(hub: Hub, *, access: Access, bus_exists: Callable[[str], bool]) -> list[BaseRoute]:
    """The ``/ws`` WebSocket route and the ``@connections`` HTTP routes."""
    connections = _Connections(hub, access)
    return [
        WebSocketRoute("/ws", _Subscriptions(hub, access, bus_exists).serve),
        Route("/@connections", connections.list, methods=["GET"]),
        Route("/@connections/{connection_id}", connections.one, methods=["GET", "POST", "DELETE"]),
    ]


def bearer_token(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization[: len(_BEARER)].lower() == _BEARER:
        return authorization[len(_BEARER) :].strip()
    return None


def handshake_token(websocket: WebSocket) -> str | None:
    """The handshake's token: from its Authorization header, or (connect tokens only:
    servers log URLs) from ``?token=``."""
    token = bearer_token(websocket.headers)
    if token is not None:
        return token
    token = websocket.query_params.get("token")
    if token and not token.startswith(TOKEN_PREFIX):
        raise ProtocolError("Forbidden", _KEY_PAIR_IN_URL, status=403)
    return token


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


class _Connections:
    """API Gateway's management API over this node's connections."""

    def __init__(self, hub: Hub, access: Access) -> None:
        self._hub = hub
        self._access = access

    async def list(self, request: Request) -> Response:
        refused = await self._refused(request)
        if refused is not None:
            return refused
        query = request.query_params
        found = self._hub.sockets(channel=query.get("channel"), key=query.get("key"))
        return _json({"connections": [describe(s) for s in found]})

    async def one(self, request: Request) -> Response:
        body = await _read_limited(request, MAX_POST_BYTES)
        refused = await self._refused(request, body)
        if refused is not None:
            return refused
        connection_id = request.path_params["connection_id"]
        socket = self._hub.get(connection_id)
        if socket is None:
            return _error(410, "GoneException", f"Connection {connection_id} is gone.")
        if request.method == "GET":
            return _json(describe(socket))
        if request.method == "DELETE":
            self._hub.disconnect(connection_id, reason="closed through @connections")
            return Response(status_code=204)
        if body is None:
            return _error(413, "PayloadTooLargeException", "Message too long")
        if not self._hub.push_to(connection_id, _as_message(body)):
            return _error(410, "GoneException", f"Connection {connection_id} is gone.")
        return Response(status_code=200)

    async def _refused(self, request: Request, body: bytes | None = b"") -> Response | None:
        """Why the caller may not use these routes (a connect token is not enough)."""
        access, token = self._access, bearer_token(request.headers)
        try:
            if token is not None or access.signature is None:
                if access.admit(token, now=self._hub.now()).channel is not None:
                    return _error(403, "ForbiddenException", "Forbidden")
            elif access.credentials is not None:
                access.signature(request, body or b"")
        except ProtocolError as error:
            return _error(403, "ForbiddenException", error.message)
        return None


def describe(socket: Socket) -> dict[str, Any]:
    """GetConnection's answer, plus the connection's id and subscription."""
    subscription = socket.subscription
    extra = {
        "channel": subscription.channel,
        "key": subscription.key,
        "bus": subscription.bus,
    }
    return {
        "connectionId": socket.id,
        "connectedAt": _iso(socket.connected_at),
        "lastActiveAt": _iso(socket.last_active_at),
        "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
        **{name: value for name, value in extra.items() if value is not None},
    }


def _as_message(body: bytes) -> str | bytes:
    # Text frames for UTF-8 data (what browsers read most easily), binary otherwise.
    try:
        return body.decode()
    except UnicodeDecodeError:
        return body


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        orjson.dumps({"message": message}),
        status_code=status,
        headers={"x-amzn-ErrorType": code},
        media_type="application/json",
    )
