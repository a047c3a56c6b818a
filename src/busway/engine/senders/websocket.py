"""WebSocket targets: push the rendered payload to connections open on this node.

A target names WebSocket delivery with an ``execute-api`` ARN under ``busway/``
(``arn:aws:execute-api:REGION:ACCOUNT:busway/...``, any region and account):

- ``busway/channel/C``: every connection subscribed to channel ``C`` (a broadcast);
- ``busway/channel/C/K``: the connections on ``C`` registered under key ``K``;
- ``busway/connection/ID``: the one connection ``ID``.

``K`` or ``ID`` may be ``*``, filled (as API Gateway targets fill path wildcards) from
the target's ``HttpParameters.PathParameterValues[0]``: a literal, or a JSONPath into
the event such as ``$.detail.author``.

Outcomes: pushing to a channel or key with no connection is delivered (there was
nothing to push to); a ``*`` the event cannot fill fails (``INVALID_PARAMETER``); a
connection id that is not open fails (``NO_RESOURCE``). Neither failure is retried.
Pushes are live, not durable: a client that is not connected misses the event (use a
queue target for what must not be missed), and only connections on the node that
delivers are reached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from busway.engine.hub import Hub
from busway.engine.senders.classify import INVALID_PARAMETER, NO_RESOURCE
from busway.engine.senders.request import dynamic_value
from busway.model import Delivery, SendResult, Target

WILDCARD: Final = "*"
_ADDRESS = re.compile(
    r"busway/(?:channel/(?P<channel>[^/]+)(?:/(?P<key>[^/]+))?|connection/(?P<id>[^/]+))"
)


@dataclass(frozen=True, slots=True)
class Address:
    """Where a WebSocket target pushes: a channel (and key), or one connection."""

    channel: str | None = None
    key: str | None = None
    connection: str | None = None

    @property
    def wildcard(self) -> bool:
        return WILDCARD in (self.key, self.connection)


def websocket_address(arn: str) -> Address | None:
    """The address an ``execute-api`` ARN names, or None when it names none."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "execute-api":
        return None
    match = _ADDRESS.fullmatch(parts[5])
    if match is None:
        return None
    return Address(match["channel"], match["key"], match["id"])


class WebSocketSender:
    """Pushes payloads through the hub of this node's connections."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def send(
        self, delivery: Delivery, *, target: Target, event: Mapping[str, Any] | None, payload: str
    ) -> SendResult:
        address = websocket_address(target.arn)
        if address is None:
            return SendResult.failed(NO_RESOURCE, f"Busway cannot deliver to {target.arn}.")
        if address.wildcard:
            event = orjson.loads(delivery.body) if event is None else event
            filled = _fill(address, target=target, event=event)
            if filled is None:
                return SendResult.failed(
                    INVALID_PARAMETER,
                    f"{target.arn}: PathParameterValues[0] gives no value for '*' in this event.",
                )
            address = filled
        return self.push(address, payload)

    def push(self, address: Address, payload: str) -> SendResult:
        if address.connection is not None:
            if self.hub.push_to(address.connection, payload):
                return SendResult.delivered()
            return SendResult.failed(NO_RESOURCE, f"Connection {address.connection} is gone.")
        assert address.channel is not None
        self.hub.push_channel(address.channel, payload, key=address.key)
        return SendResult.delivered()


def _fill(address: Address, *, target: Target, event: Mapping[str, Any]) -> Address | None:
    values = (target.setting("http_parameters") or {}).get("path_parameter_values") or ()
    value = dynamic_value(values[0], event=event) if values else None
    if not value:
        return None
    if address.connection == WILDCARD:
        return Address(connection=value)
    return Address(channel=address.channel, key=value)
