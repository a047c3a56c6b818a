"""The storage interfaces. Each method's docstring is its contract; every backend runs
the same conformance suite (tests/storage).

A store is three parts: the ``Catalog`` of control-plane documents, the ``EventLog`` of
accepted events and the deliveries still owed to targets, and the ``QueueStore`` of the
built-in queues. Methods that compare times take ``now``; no backend reads a clock.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from busway.model import Delivery
from busway.storage.move_tasks import MoveTaskStore


@dataclass(frozen=True, slots=True)
class Resource:
    """A control-plane document: ``doc`` is snake_case JSON-able data."""

    kind: str
    parent: str
    name: str
    arn: str
    doc: Mapping[str, Any]
    created: datetime | None = None
    modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An accepted event and the (rule, target) pairs it must reach."""

    id: str
    bus: str
    time: datetime
    ingested_at: datetime
    body: bytes
    routes: Sequence[tuple[str, str]] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RetryLater:
    delivery_id: int
    run_at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Finished:
    """A delivery that is over: ``outcome`` is delivered, dead-lettered or dropped."""

    delivery_id: int
    outcome: str
    error: str | None = None


class Catalog(ABC):
    """Buses, rules, targets, connections, API destinations and tags."""

    @abstractmethod
    async def get(self, kind: str, parent: str, name: str) -> Resource | None:
        """The resource, or None."""

    @abstractmethod
    async def list_under(
        self, kind: str, parent: str, *, prefix: str = "", after: str = "", limit: int = 0
    ) -> list[Resource]:
        """Resources of ``kind`` under ``parent`` whose name starts with ``prefix`` and
        sorts after ``after``, ascending by name; at most ``limit`` (0: all)."""

    @abstractmethod
    async def list_kind(self, kind: str) -> list[Resource]:
        """Every resource of ``kind`` under any parent, by (parent, name)."""

    @abstractmethod
    async def create(self, resource: Resource, *, now: datetime) -> bool:
        """Insert; return False (and change nothing) when the key is taken."""

    @abstractmethod
    async def put(self, resource: Resource, *, now: datetime) -> None:
        """Insert or replace; a replaced resource keeps its creation time."""

    @abstractmethod
    async def delete(self, kind: str, parent: str, name: str) -> bool:
        """Delete; return whether it existed. Tags of its ARN go with it."""

    @abstractmethod
    async def delete_tree(self, kind: str, parent: str, name: str, *, child_kind: str) -> bool:
        """Delete the resource and, in the same transaction, every ``child_kind``
        resource whose parent is ``name`` (a topic and its subscriptions); tags go with
        them. Return whether the resource existed; nothing is deleted when it did not."""

    @abstractmethod
    async def fingerprint(self, kind: str) -> dict[str, tuple[int, float]]:
        """Per parent, the count and latest modification time of ``kind``'s resources: a
        cheap way for a node to notice what other nodes changed."""

    @abstractmethod
    async def tags(self, arn: str) -> dict[str, str]:
        """The tags of ``arn``."""

    @abstractmethod
    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags."""

    @abstractmethod
    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        """Remove tags; absent keys are ignored."""


class EventLog(ABC):
    """Accepted events and the deliveries owed for them."""

    @abstractmethod
    async def append(
        self, events: Sequence[NewEvent], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        """Write the events and one delivery per route in ONE transaction; return only
        once it is durable. Concurrent calls may share a commit.

        The deliveries come back already claimed by ``node`` for their first attempt
        (lease until ``now + lease_seconds``), so the caller can start at once."""

    @abstractmethod
    async def release(self, node: str, *, now: datetime) -> int:
        """Make every delivery claimed by ``node`` due at ``now``; return how many. A
        restarted node calls this for the claims its previous life left behind."""

    @abstractmethod
    async def defer(self, delivery_ids: Sequence[int], *, now: datetime) -> None:
        """Give back claims that were never attempted: the deliveries are due at ``now``,
        unclaimed, and their next claim is the attempt their first claim would have been.
        Not synced to disk on its own (a lost deferral leaves a lease that expires)."""

    @abstractmethod
    async def claim(
        self, *, now: datetime, limit: int, lease_seconds: float, node: str
    ) -> list[Delivery]:
        """Claim up to ``limit`` deliveries due at ``now`` (new, retrying, or whose lease
        ran out), oldest first; each claim increments ``attempt`` and holds a lease until
        ``now + lease_seconds``, after which any node may claim it again."""

    @abstractmethod
    async def retry(self, retries: Sequence[RetryLater]) -> None:
        """Release claimed deliveries to run again at their ``run_at``."""

    @abstractmethod
    async def finish(self, finished: Sequence[Finished], *, now: datetime) -> None:
        """Remove deliveries that are over and record how they ended."""

    @abstractmethod
    async def pending(self) -> int:
        """How many deliveries are still owed (claimed or not)."""

    @abstractmethod
    async def outcomes(self, *, bus: str | None = None, limit: int = 100) -> list[Finished]:
        """The most recent finished deliveries that did not succeed, newest first."""


# Queue attributes AWS gives every queue, by AWS attribute name (attribute names are
# data in the SQS API, like the keys of a tag map).
QUEUE_DEFAULTS: Mapping[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "262144",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
}


@dataclass(frozen=True, slots=True)
class Redrive:
    """Where a queue's messages go after ``max_receives`` receives."""

    dead_letter_arn: str
    max_receives: int


@dataclass(frozen=True, slots=True)
class Queue:
    """A built-in queue. ``attributes`` are the ones set, by AWS attribute name; the
    rest take ``QUEUE_DEFAULTS``."""

    name: str
    arn: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    created: datetime | None = None
    modified: datetime | None = None

    def setting(self, name: str) -> str | None:
        """An attribute as set, else its default, else None."""
        return self.attributes.get(name, QUEUE_DEFAULTS.get(name))

    def seconds(self, name: str) -> int:
        """A numeric attribute (``VisibilityTimeout``, ``DelaySeconds``, ...)."""
        return int(self.setting(name) or 0)

    @property
    def redrive(self) -> Redrive | None:
        text = self.attributes.get("RedrivePolicy")
        if not text:
            return None
        policy = json.loads(text)
        return Redrive(str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"]))


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to enqueue. ``attributes`` are message attributes as JSON-able data
    (``{"name": {"data_type": ..., "string_value": ...}}``); ``delay_seconds`` None
    means the queue's ``DelaySeconds``."""

    id: str
    body: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    delay_seconds: int | None = None
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message as one receive handed it out; ``receipt_handle`` is new every time."""

    id: str
    body: str
    attributes: Mapping[str, Any]
    receipt_handle: str
    receive_count: int
    sent: datetime
    first_received: datetime
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(frozen=True, slots=True)
class QueueCounts:
    visible: int
    in_flight: int
    delayed: int


class HandleState(StrEnum):
    """What became of one receipt handle in a delete or visibility change."""

    DONE = "done"
    STALE = "stale"
    """Well-formed but not the latest receive of a message still in the queue."""
    INVALID = "invalid"
    """Not a handle this store ever minted."""
    TOO_LONG = "too_long"
    """The visibility would end more than ``MAX_VISIBILITY_SECONDS`` after the receive."""


MAX_VISIBILITY_SECONDS = 43_200


class QueueStore(MoveTaskStore):
    """Built-in queues and their messages, and the message move tasks between them.

    Messages are visible when ``visible_at <= now`` and not expired; a receive hides them
    until ``now + visibility`` and mints a new receipt handle, which is what delete and
    visibility changes name. Nothing here validates AWS's limits: the service does.
    """

    @abstractmethod
    async def create_queue(self, queue: Queue, *, now: datetime) -> tuple[Queue, bool]:
        """Insert ``queue`` created and modified at ``now`` unless the name is taken;
        return the stored queue (the existing one when taken) and whether it is new."""

    @abstractmethod
    async def get_queue(self, name: str) -> Queue | None:
        """The queue, or None."""

    @abstractmethod
    async def list_queues(self, *, prefix: str = "", after: str = "", limit: int) -> list[Queue]:
        """Queues whose name starts with ``prefix`` and sorts after ``after``, ascending
        by name, at most ``limit``."""

    @abstractmethod
    async def set_queue_attributes(
        self, name: str, attributes: Mapping[str, str], *, now: datetime
    ) -> bool:
        """Replace the queue's attributes and set its modified time to ``now``; return
        whether the queue exists. Messages already sent keep their expiry."""

    @abstractmethod
    async def set_queue_tags(self, name: str, tags: Mapping[str, str]) -> bool:
        """Replace the queue's tags; return whether the queue exists."""

    @abstractmethod
    async def delete_queue(self, name: str) -> bool:
        """Delete the queue and its messages; return whether it existed."""

    @abstractmethod
    async def purge(self, name: str, *, now: datetime, interval_seconds: float) -> bool | None:
        """In ONE step, atomic against every other caller of the same store: when the
        queue exists and was never purged, or last purged ``interval_seconds`` or more
        before ``now``, record ``now`` as its last purge and delete every message. Return
        True when it purged, False when the queue was purged too recently, None when
        there is no such queue (then nothing changes)."""

    @abstractmethod
    async def send(self, name: str, messages: Sequence[NewMessage], *, now: datetime) -> bool:
        """Enqueue ``messages`` in ONE transaction, visible from ``now`` plus their delay
        and expiring ``MessageRetentionPeriod`` after ``now``; return False (and store
        nothing) when the queue does not exist. Wakes ``watch`` waiters after commit."""

    @abstractmethod
    async def receive(
        self, name: str, *, now: datetime, limit: int, visibility_seconds: int | None = None
    ) -> list[ReceivedMessage]:
        """In ONE transaction: delete the queue's expired messages; move visible
        messages received ``max_receives`` times or more to the redrive policy's
        dead-letter queue (when it exists), keeping id, body, attributes and sent time
        (expiry counts from the sent time with the dead-letter queue's retention); then
        claim up to ``limit`` visible messages, oldest first, each hidden until ``now +
        visibility_seconds`` (default: the queue's ``VisibilityTimeout``) with its
        receive count incremented and a fresh receipt handle. A missing queue yields []."""

    @abstractmethod
    async def delete_messages(self, name: str, handles: Sequence[str]) -> list[HandleState]:
        """Delete the messages whose latest receipt handle is given, one state per handle
        in order: DONE, STALE (nothing deleted: the message is gone or was received
        again) or INVALID."""

    @abstractmethod
    async def change_visibility(
        self, name: str, changes: Sequence[tuple[str, int]], *, now: datetime
    ) -> list[HandleState]:
        """For each (receipt handle, seconds), make the message visible again at ``now +
        seconds`` when the handle is its latest one; one state per change in order
        (TOO_LONG when that is more than ``MAX_VISIBILITY_SECONDS`` after the receive).
        Wakes ``watch`` waiters when a message becomes visible at once."""

    @abstractmethod
    async def move_messages(
        self, name: str, *, destination: str | None, limit: int, now: datetime
    ) -> int:
        """In ONE transaction: take up to ``limit`` visible, unexpired messages of
        ``name``, oldest first, and enqueue each as a new message (new id, sent at
        ``now``, never received, expiring by its new queue's retention) in
        ``destination``, or when None in the queue it was dead-lettered from; messages
        with no such queue stay. Return how many moved; wakes the new queues' waiters."""

    @abstractmethod
    async def counts(self, name: str, *, now: datetime) -> QueueCounts:
        """How many unexpired messages are visible, in flight and delayed at ``now``."""

    @abstractmethod
    def watch(self, name: str) -> asyncio.Event:
        """An event set when messages may have arrived in ``name`` after this call.

        Only a hint for long polling: take it BEFORE looking for messages, and re-check
        on a timer, since a send by another process does not set it."""


class Maintenance(ABC):
    """Housekeeping that keeps the store from growing without bound."""

    @abstractmethod
    async def prune(self, *, events_before: datetime, records_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` events accepted before ``events_before`` that no pending
        delivery still needs, and delivery outcomes and schedule firings recorded before
        ``records_before``; return how many rows went."""
