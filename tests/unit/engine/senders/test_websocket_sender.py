"""WebSocket targets: addresses, outcomes, and the hub's tail tap, with recording peers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from busway.engine.hub import Hub, Socket, Subscription
from busway.engine.senders.websocket import Address, WebSocketSender, websocket_address
from busway.engine.targets import TargetKind, target_kind
from busway.model import Delivery, Outcome, Target
from busway.patterns import parse_pattern
from busway.storage.base import NewEvent

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ARN = "arn:aws:execute-api:us-east-1:000000000000"


@dataclass
class Recorder:
    """A peer that keeps what it was sent and takes at most ``room`` messages."""

    room: int = 100
    sent: list[str | bytes] = field(default_factory=list)
    closed: tuple[int, str] | None = None

    def push(self, data: str | bytes) -> bool:
        if len(self.sent) >= self.room:
            self.close(1013, "too slow")
            return False
        self.sent.append(data)
        return True

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def connect(hub: Hub, name: str, **subscription: Any) -> Recorder:
    peer = Recorder()
    hub.add(Socket(name, peer, Subscription(**subscription), connected_at=NOW))
    return peer


def deliver(hub: Hub, arn: str, event: dict[str, Any], **spec: Any) -> Any:
    delivery = Delivery(1, "e-1", "default", "r", "t", 1, NOW, orjson.dumps(event))
    target = Target("default", "r", "t", arn, {"arn": arn, **spec})
    return WebSocketSender(hub).send(delivery, target=target, event=None, payload="PAYLOAD")


@pytest.mark.parametrize(
    ("resource", "address"),
    [
        ("busway/channel/posts", Address(channel="posts")),
        ("busway/channel/posts/alice", Address(channel="posts", key="alice")),
        ("busway/channel/posts/*", Address(channel="posts", key="*")),
        ("busway/connection/abc", Address(connection="abc")),
        ("busway/connection/*", Address(connection="*")),
        ("busway/channel/", None),
        ("busway/channel/a/b/c", None),
        ("busway/queue/x", None),
        ("abc123/prod/POST/orders", None),
    ],
)
def test_addresses(resource: str, address: Address | None) -> None:
    assert websocket_address(f"{ARN}:{resource}") == address
    expected = None if address is None else TargetKind.WEBSOCKET
    assert target_kind(f"{ARN}:{resource}") is expected


def test_key_from_a_json_path_picks_its_connections() -> None:
    hub = Hub()
    alice, bob, reader = (
        connect(hub, "1", channel="posts", key="alice"),
        connect(hub, "2", channel="posts", key="bob"),
        connect(hub, "3", channel="posts"),
    )
    values = {"path_parameter_values": ["$.detail.author"]}
    result = deliver(
        hub,
        f"{ARN}:busway/channel/posts/*",
        {"detail": {"author": "alice"}},
        http_parameters=values,
    )
    assert result.outcome is Outcome.DELIVERED
    assert (alice.sent, bob.sent, reader.sent) == (["PAYLOAD"], [], [])


def test_literal_key_and_broadcast() -> None:
    hub = Hub()
    alice, bob = connect(hub, "1", channel="c", key="alice"), connect(hub, "2", channel="c")
    deliver(hub, f"{ARN}:busway/channel/c/alice", {})
    assert (alice.sent, bob.sent) == (["PAYLOAD"], [])
    deliver(hub, f"{ARN}:busway/channel/c", {})
    assert (len(alice.sent), len(bob.sent)) == (2, 1)


def test_nobody_listening_is_delivered() -> None:
    result = deliver(Hub(), f"{ARN}:busway/channel/empty", {})
    assert result.outcome is Outcome.DELIVERED


def test_unfillable_key_fails_without_retry() -> None:
    values = {"path_parameter_values": ["$.detail.author"]}
    result = deliver(Hub(), f"{ARN}:busway/channel/c/*", {"detail": {}}, http_parameters=values)
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "INVALID_PARAMETER")
    bare = deliver(Hub(), f"{ARN}:busway/channel/c/*", {"detail": {}})
    assert bare.error_code == "INVALID_PARAMETER"


def test_connection_by_id() -> None:
    hub = Hub()
    peer = connect(hub, "abc", channel="x")
    values = {"path_parameter_values": ["$.detail.to"]}
    sent = deliver(
        hub, f"{ARN}:busway/connection/*", {"detail": {"to": "abc"}}, http_parameters=values
    )
    assert (sent.outcome, peer.sent) == (Outcome.DELIVERED, ["PAYLOAD"])
    gone = deliver(hub, f"{ARN}:busway/connection/zzz", {})
    assert (gone.outcome, gone.error_code) == (Outcome.FAILED, "NO_RESOURCE")


def test_removed_connections_leave_every_index() -> None:
    hub = Hub()
    connect(hub, "1", channel="c", key="k")
    assert [s.id for s in hub.sockets(channel="c", key="k")] == ["1"]
    assert hub.remove("1") is not None
    assert hub.remove("1") is None
    assert (hub.sockets(channel="c"), len(hub)) == ([], 0)


def test_full_node_refuses_connections() -> None:
    hub = Hub(limit=1)
    connect(hub, "1")
    with pytest.raises(ValueError, match="limit of 1 connections"):
        connect(hub, "2")


class Tapped:
    tap: Any = None


def test_tap_is_set_only_while_someone_tails() -> None:
    ingest = Tapped()
    hub = Hub(ingest=ingest)  # type: ignore[arg-type]
    connect(hub, "1", channel="c")
    assert ingest.tap is None
    connect(hub, "2", bus="default")
    connect(hub, "3", bus="default")
    assert ingest.tap == hub.observe
    hub.remove("2")
    assert ingest.tap == hub.observe
    hub.remove("3")
    assert ingest.tap is None


def test_tails_get_the_events_of_their_bus_that_match() -> None:
    async def run() -> tuple[Recorder, Recorder, Recorder]:
        hub = Hub()
        pattern = parse_pattern('{"source": ["shop"]}')
        shop = connect(hub, "1", bus="default", pattern=pattern)
        everything = connect(hub, "2", bus="default")
        other_bus = connect(hub, "3", bus="other")
        hub.observe([new_event("default", "shop"), new_event("default", "cart")])
        await asyncio.sleep(0)  # the tap matches on the next turn of the loop
        return shop, everything, other_bus

    shop, everything, other_bus = asyncio.run(run())
    assert [orjson.loads(m)["source"] for m in shop.sent] == ["shop"]
    assert [orjson.loads(m)["source"] for m in everything.sent] == ["shop", "cart"]
    assert other_bus.sent == []


def new_event(bus: str, source: str) -> NewEvent:
    body = orjson.dumps({"id": source, "source": source, "detail": {}})
    return NewEvent(source, bus, NOW, NOW, body)
