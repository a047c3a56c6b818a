"""API Gateway's management API (``@connections``) over this node's WebSocket
connections: post data to one, describe it, close it, or list them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import orjson
from starlette.requests import Request
from starlette.responses import Response

from busway.api.ws_access import Access, bearer_token
from busway.engine.hub import Hub, Socket
from busway.errors import ProtocolError

MAX_POST_BYTES: Final = 128 * 1024


class Connections:
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
