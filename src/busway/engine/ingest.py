"""PutEvents: validate each entry, match it, and write the events with their deliveries
in one transaction before answering (DESIGN.md §3).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from busway.arn import Scope, bus_name_of
from busway.clock import Clock
from busway.engine.router import Router
from busway.errors import ValidationError
from busway.model import Delivery, format_time
from busway.storage.base import EventLog, NewEvent

DEFAULT_SIZE_LIMIT = 1_048_576
_TIME_ENTRY_BYTES = 14


@dataclass(frozen=True, slots=True)
class Entry:
    """One PutEvents entry, as the caller sent it."""

    source: str | None = None
    detail_type: str | None = None
    detail: str | None = None
    resources: Sequence[str] = ()
    time: datetime | None = None
    event_bus_name: str | None = None
    trace_header: str | None = None


@dataclass(frozen=True, slots=True)
class EntryResult:
    """An accepted entry's ``event_id``, or why the entry failed."""

    event_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


_MALFORMED = EntryResult(error_code="MalformedDetail", error_message="Detail is malformed.")
_NOT_AUTHORIZED = EntryResult(
    error_code="NotAuthorizedForSourceException", error_message="Not authorized for the source."
)


class Ingest:
    """Turns accepted entries into stored events and claimed first deliveries."""

    def __init__(
        self,
        *,
        log: EventLog,
        router: Router,
        scope: Scope,
        clock: Clock,
        hand_off: Callable[[list[Delivery]], None],
        node: str,
        lease_seconds: float = 120.0,
        size_limit: int = DEFAULT_SIZE_LIMIT,
    ) -> None:
        self._log = log
        self._router = router
        self._scope = scope
        self._clock = clock
        self._hand_off = hand_off
        self._node = node
        self._lease = lease_seconds
        self.size_limit = size_limit
        # Live tail (engine/hub.py): set only while a tail subscriber is connected.
        self.tap: Callable[[Sequence[NewEvent]], None] | None = None

    async def put_events(self, entries: Sequence[Entry]) -> list[EntryResult]:
        """Accept what can be accepted; one result per entry, in order."""
        if sum(entry_size(entry) for entry in entries) > self.size_limit:
            raise ValidationError("Total size of the entries in the request is over the limit.")
        now = self._clock.now()
        # Entries without a Time share the request's: formatted once.
        now_text = format_time(now)
        results: list[EntryResult] = []
        accepted: list[NewEvent] = []
        for entry, event_id in zip(entries, new_event_ids(len(entries)), strict=True):
            outcome = self._accept(entry, event_id, now=now, now_text=now_text)
            if isinstance(outcome, EntryResult):
                results.append(outcome)
                continue
            results.append(EntryResult(event_id=event_id))
            if outcome is not None:
                accepted.append(outcome)
        await self.append(accepted, now=now)
        return results

    async def forward(self, event: dict[str, Any], *, bus: str) -> bool:
        """Put an already-formed event on ``bus`` (a bus target). Events that arrive
        this way are not forwarded to a further bus. False if the bus is missing."""
        routes = self._router.routes(bus)
        if routes is None:
            return False
        now = self._clock.now()
        matched = [
            (rule, target_id)
            for rule, target_id in routes.route(event)
            if ":event-bus/" not in routes.targets[rule][target_id].arn
        ]
        time = datetime.fromisoformat(event["time"])
        new = NewEvent(event["id"], bus, time, now, orjson.dumps(event), matched)
        await self.append([new], now=now)
        return True

    async def append(self, events: list[NewEvent], *, now: datetime) -> None:
        if not events:
            return
        claimed = await self._log.append(
            events, now=now, lease_seconds=self._lease, node=self._node
        )
        if claimed:
            self._hand_off(claimed)
        if self.tap is not None:
            self.tap(events)

    def _accept(
        self, entry: Entry, event_id: str, *, now: datetime, now_text: str
    ) -> NewEvent | EntryResult | None:
        """The event to store for ``entry``, its error, or None: an entry for a bus that
        does not exist succeeds and is dropped, as in AWS."""
        detail = _detail_of(entry)
        if isinstance(detail, EntryResult):
            return detail
        bus = bus_name_of(entry.event_bus_name or "default")
        routes = self._router.routes(bus)
        if routes is None:
            return None
        time = entry.time or now
        event = {
            "version": "0",
            "id": event_id,
            "detail-type": entry.detail_type,
            "source": entry.source,
            "account": self._scope.account,
            "time": now_text if entry.time is None else format_time(time),
            "region": self._scope.region,
            "resources": list(entry.resources),
            "detail": detail,
        }
        return NewEvent(event_id, bus, time, now, orjson.dumps(event), routes.route(event))


def _detail_of(entry: Entry) -> dict[str, Any] | EntryResult:
    """The entry's parsed Detail, or its error in AWS's order."""
    problem = entry_problem(entry)
    if problem is not None:
        return problem
    assert entry.detail is not None and entry.source
    try:
        detail = orjson.loads(entry.detail)
    except orjson.JSONDecodeError:
        return _MALFORMED
    if not isinstance(detail, dict):
        return _MALFORMED
    if entry.source.startswith("aws."):
        return _NOT_AUTHORIZED
    return detail


def new_event_ids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text."""
    raw = _entropy.take(16 * count).hex()
    ids = []
    for at in range(0, 32 * count, 32):
        h = raw[at : at + 32]
        variant = "89ab"[int(h[16], 16) & 3]
        ids.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return ids


class _Entropy:
    """Bytes from ``os.urandom``, fetched many requests' worth at a time: each call gives
    up the GIL, and taking it back while the writer thread runs costs more than the ids."""

    def __init__(self, chunk: int) -> None:
        self._chunk = chunk
        self._pool = b""
        self._at = 0
        os.register_at_fork(after_in_child=self.reset)

    def take(self, size: int) -> bytes:
        if self._at + size > len(self._pool):
            self._pool = os.urandom(max(size, self._chunk))
            self._at = 0
        self._at += size
        return self._pool[self._at - size : self._at]

    def reset(self) -> None:
        # A forked child must not hand out its parent's ids.
        self._pool, self._at = b"", 0


_entropy = _Entropy(64 * 1024)


def entry_problem(entry: Entry) -> EntryResult | None:
    """AWS's per-entry error for ``entry``, checked in AWS's order, or None."""
    if not entry.source:
        return _invalid("Source")
    if not entry.detail_type:
        return _invalid("DetailType")
    if entry.detail is None:
        return _invalid("Detail")
    return None


def _invalid(name: str) -> EntryResult:
    return EntryResult(
        error_code="InvalidArgument",
        error_message=f"Parameter {name} is not valid. Reason: {name} is a required argument.",
    )


def entry_size(entry: Entry) -> int:
    """AWS's size of one PutEvents entry ("Calculating PutEvents event entry size")."""
    size = _TIME_ENTRY_BYTES if entry.time is not None else 0
    for text in (entry.source, entry.detail_type, entry.detail, *entry.resources):
        if text:
            # isascii() is a flag check: most entries skip the encoding.
            size += len(text) if text.isascii() else len(text.encode())
    return size
