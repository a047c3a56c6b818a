"""The WebSocket connections open on this node, and what is pushed to them.

The API layer accepts a connection, wraps it in a ``Peer`` and registers it here with
what it subscribed to: a channel (optionally under a key, such as a user's name), a
bus with an optional event pattern (a live tail), or nothing (reachable by id only).
WebSocket targets push to a channel or a key; the API's ``@connections`` routes push
to one connection by id. Pushes are live, not durable: a connection that is not open
when an event is sent never sees it.

Tail subscribers see events as ingest accepts them: while at least one is connected,
the hub sets ``Ingest.tap``; with none it is None, so ingest pays nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import orjson

from busway.clock import Clock, SystemClock
from busway.engine.ingest import Ingest
from busway.errors import LimitExceededError
from busway.patterns import Matcher, Pattern
from busway.storage.base import NewEvent

MAX_CONNECTIONS = 10_000
K = TypeVar("K")


class Peer(Protocol):
    """One open WebSocket, as the API layer drives it."""

    def push(self, data: str | bytes) -> bool:
        """Queue ``data`` as one message without waiting; False when the connection
        cannot take it (closed, or too far behind: it is then being closed)."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Start closing the connection with ``code``; returns at once."""
        ...


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a connection asked for: a ``channel`` (and ``key`` within it), and/or a
    ``bus`` whose events matching ``pattern`` (None: every event) it tails."""

    channel: str | None = None
    key: str | None = None
    bus: str | None = None
    pattern: Pattern | None = None


@dataclass(eq=False)
class Socket:
    """A registered connection; ``last_active_at`` moves when either side sends."""

    id: str
    peer: Peer
    subscription: Subscription
    connected_at: datetime
    source_ip: str = ""
    user_agent: str = ""
    last_active_at: datetime = field(init=False)
    _matcher: Matcher[int] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.last_active_at = self.connected_at
        pattern = self.subscription.pattern
        self._matcher = None if pattern is None else Matcher({0: pattern})

    def tails(self, bus: str, event: Mapping[str, Any]) -> bool:
        """Whether this connection tails ``bus`` and wants ``event``."""
        if self.subscription.bus != bus:
            return False
        return self._matcher is None or bool(self._matcher.match(event))


class Hub:
    """Registry of this node's connections, by id, by channel and key, and by tailed bus."""

    def __init__(
        self, *, ingest: Ingest | None = None, clock: Clock | None = None, limit: int = 0
    ) -> None:
        self._ingest = ingest
        self._clock = clock or SystemClock()
        self._limit = limit or MAX_CONNECTIONS
        self._sockets: dict[str, Socket] = {}
        self._channels: dict[str, set[Socket]] = {}
        self._keys: dict[tuple[str, str], set[Socket]] = {}
        self._tails: set[Socket] = set()

    def now(self) -> datetime:
        return self._clock.now()

    def add(self, socket: Socket) -> None:
        """Register ``socket``. Raises ``LimitExceededError`` when the node is full."""
        if len(self._sockets) >= self._limit:
            raise LimitExceededError(f"This node holds its limit of {self._limit} connections.")
        self._sockets[socket.id] = socket
        channel, key = socket.subscription.channel, socket.subscription.key
        if channel is not None:
            self._channels.setdefault(channel, set()).add(socket)
        if channel is not None and key is not None:
            self._keys.setdefault((channel, key), set()).add(socket)
        if socket.subscription.bus is not None:
            self._tails.add(socket)
            self._set_tap()

    def remove(self, socket_id: str) -> Socket | None:
        """Forget a connection (it closed); the socket, or None if it was not here."""
        socket = self._sockets.pop(socket_id, None)
        if socket is None:
            return None
        channel, key = socket.subscription.channel, socket.subscription.key
        if channel is not None:
            _discard(self._channels, channel, socket)
        if channel is not None and key is not None:
            _discard(self._keys, (channel, key), socket)
        if socket in self._tails:
            self._tails.discard(socket)
            self._set_tap()
        return socket

    def get(self, socket_id: str) -> Socket | None:
        return self._sockets.get(socket_id)

    def sockets(self, *, channel: str | None = None, key: str | None = None) -> list[Socket]:
        """Open connections, oldest first; only ``channel``'s (and ``key``'s) when given."""
        if channel is None:
            found: Iterable[Socket] = self._sockets.values()
        else:
            found = self._members(channel, key)
        chosen = [s for s in found if key is None or s.subscription.key == key]
        return sorted(chosen, key=lambda s: s.connected_at)

    def __len__(self) -> int:
        return len(self._sockets)

    def push_channel(self, channel: str, data: str, *, key: str | None = None) -> int:
        """Push ``data`` to ``channel``'s connections (only those under ``key`` when
        given); how many took it."""
        return sum(self._push(socket, data) for socket in list(self._members(channel, key)))

    def push_to(self, socket_id: str, data: str | bytes) -> bool:
        """Push ``data`` to one connection; False when it is gone or cannot take it."""
        socket = self._sockets.get(socket_id)
        return socket is not None and self._push(socket, data)

    def disconnect(self, socket_id: str, *, code: int = 1000, reason: str = "") -> bool:
        """Close one connection; False when there is no such connection."""
        socket = self._sockets.get(socket_id)
        if socket is None:
            return False
        socket.peer.close(code, reason)
        return True

    def observe(self, events: Sequence[NewEvent]) -> None:
        """Ingest's tap: matching for tail subscribers runs soon after, not inside the
        caller's request."""
        asyncio.get_running_loop().call_soon(self._feed_tails, events)

    def _feed_tails(self, events: Sequence[NewEvent]) -> None:
        buses = {s.subscription.bus for s in self._tails}
        for new in events:
            if new.bus not in buses:
                continue
            event = orjson.loads(new.body)
            text: str | None = None
            for socket in list(self._tails):
                if socket.tails(new.bus, event):
                    text = new.body.decode() if text is None else text
                    self._push(socket, text)

    def _members(self, channel: str, key: str | None) -> set[Socket]:
        if key is None:
            return self._channels.get(channel, set())
        return self._keys.get((channel, key), set())

    def _push(self, socket: Socket, data: str | bytes) -> bool:
        taken = socket.peer.push(data)
        if taken:
            socket.last_active_at = self._clock.now()
        return taken

    def _set_tap(self) -> None:
        if self._ingest is not None:
            self._ingest.tap = self.observe if self._tails else None


def _discard(index: dict[K, set[Socket]], name: K, socket: Socket) -> None:
    members = index.get(name)
    if members is not None:
        members.discard(socket)
        if not members:
            del index[name]
