"""What both queue stores share: rows into values, receipt handles, in-process wake-ups."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from busway.storage.base import NewMessage, Queue, ReceivedMessage
from busway.storage.documents import maybe_moment, maybe_stamp, moment
from busway.storage.move_tasks import MoveTask

# A receipt handle is "<message seq>.<token>"; the token changes with every receive.
_HANDLE = re.compile(r"^(\d{1,19})\.([A-Za-z0-9_-]{16,64})$")


def queue_of(row: Sequence[Any]) -> Queue:
    """A queue from (name, arn, attributes, tags, created, modified, ...)."""
    name, arn, attributes, tags, created, modified = row[:6]
    return Queue(
        name, arn, orjson.loads(attributes), orjson.loads(tags), moment(created), moment(modified)
    )


def received_of(row: Sequence[Any], token: str) -> ReceivedMessage:
    """A received message from (seq, id, body, attributes, group, dedup, sent, first, count)."""
    seq, message_id, body, attributes, group_id, dedup_id, sent, first, count = row
    return ReceivedMessage(
        id=message_id,
        body=body,
        attributes=orjson.loads(attributes) if attributes else {},
        receipt_handle=f"{seq}.{token}",
        receive_count=count,
        sent=moment(sent),
        first_received=moment(first),
        group_id=group_id,
        dedup_id=dedup_id,
    )


def moves_of(rows: Sequence[Sequence[Any]]) -> dict[str, list[NewMessage]]:
    """New messages by the queue they move to, from picked rows (seq, body, attributes,
    group, dedup, queue): a moved message is a new one, with a new id (as on AWS)."""
    moves: dict[str, list[NewMessage]] = {}
    for _, body, attributes, group_id, dedup_id, queue in rows:
        loaded = orjson.loads(attributes) if attributes else {}
        message = NewMessage(str(uuid.uuid4()), body, loaded, None, group_id, dedup_id)
        moves.setdefault(queue, []).append(message)
    return moves


def move_task_of(row: Sequence[Any]) -> MoveTask:
    """A move task from the columns the ``*_move_task*`` queries select, in order."""
    handle, source, destination, destination_arn, rate, to_move, started = row[:7]
    moved, status, failure, runner, lease_until = row[7:12]
    return MoveTask(
        handle,
        source,
        destination,
        destination_arn,
        rate,
        to_move,
        moment(started),
        moved,
        status,
        failure,
        runner,
        maybe_moment(lease_until),
    )


def move_task_row(task: MoveTask, *, node: str, lease_until: float) -> tuple[Any, ...]:
    """The arguments of ``insert_move_task``: a new task run by ``node``."""
    return (
        task.handle,
        task.source,
        task.destination,
        task.destination_arn,
        task.rate,
        task.to_move,
        task.started.timestamp(),
        node,
        lease_until,
    )


def move_task_progress(task: MoveTask) -> tuple[Any, ...]:
    """The arguments of ``update_move_task``: what a batch, a cancel or a failure set."""
    return (task.moved, task.status, task.failure, maybe_stamp(task.lease_until), task.handle)


def parse_handle(handle: str) -> tuple[int, str] | None:
    """(message seq, token) of a receipt handle, or None when it is not one."""
    found = _HANDLE.match(handle)
    return None if found is None else (int(found[1]), found[2])


class Wakeups:
    """One asyncio event per queue, replaced each time it is set.

    In-process only: a send on another node does not set it; long polling re-checks on
    a timer, as ``QueueStore.watch`` says."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def watch(self, name: str) -> asyncio.Event:
        return self._events.setdefault(name, asyncio.Event())

    def ring(self, name: str) -> None:
        event = self._events.pop(name, None)
        if event is not None:
            event.set()
