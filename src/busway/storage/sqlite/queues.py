"""The SQLite implementation of ``QueueStore``.

A receipt handle is ``<seq>.<token>``: the message's row and the random token of the
receive that handed it out, so a later receive (a new token) makes older handles stale.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from busway.arn import parse_arn
from busway.errors import ValidationError
from busway.storage.base import (
    MAX_VISIBILITY_SECONDS,
    HandleState,
    NewMessage,
    Queue,
    QueueCounts,
    QueueStore,
    ReceivedMessage,
)
from busway.storage.move_tasks import (
    CANCELLING,
    KEPT_PER_SOURCE,
    MoveTask,
    after_batch,
    batch_size,
    cancelled,
)
from busway.storage.queue_rows import (
    Wakeups,
    move_task_of,
    move_task_progress,
    move_task_row,
    moves_of,
    parse_handle,
    queue_of,
    received_of,
)
from busway.storage.sqlite.database import Database
from busway.storage.sqlite.queries import load_queries

_SQL = load_queries()
_END = "\U0010ffff"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class SqliteQueueStore(QueueStore):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._wakeups = Wakeups()

    async def create_queue(self, queue: Queue, *, now: datetime) -> tuple[Queue, bool]:
        at = now.timestamp()
        args = (queue.name, queue.arn, _dumps(queue.attributes), _dumps(queue.tags), at, at)

        def work(conn: sqlite3.Connection) -> tuple[Queue, bool]:
            created = conn.execute(_SQL["create_queue"], args).rowcount == 1
            return queue_of(conn.execute(_SQL["get_queue"], (queue.name,)).fetchone()), created

        return await self._db.write(work)

    async def get_queue(self, name: str) -> Queue | None:
        row = await self._db.read(lambda c: c.execute(_SQL["get_queue"], (name,)).fetchone())
        return None if row is None else queue_of(row)

    async def list_queues(self, *, prefix: str = "", after: str = "", limit: int) -> list[Queue]:
        args = {"low": prefix, "high": prefix + _END, "after": after, "limit": limit}
        rows = await self._db.read(lambda c: c.execute(_SQL["list_queues"], args).fetchall())
        return [queue_of(row) for row in rows]

    async def set_queue_attributes(
        self, name: str, attributes: Mapping[str, str], *, now: datetime
    ) -> bool:
        args = (_dumps(attributes), now.timestamp(), name)
        return await self._db.write(
            lambda c: c.execute(_SQL["update_queue_attributes"], args).rowcount == 1
        )

    async def set_queue_tags(self, name: str, tags: Mapping[str, str]) -> bool:
        args = (_dumps(tags), name)
        return await self._db.write(
            lambda c: c.execute(_SQL["update_queue_tags"], args).rowcount == 1
        )

    async def delete_queue(self, name: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            conn.execute(_SQL["delete_queue_messages"], (name,))
            return conn.execute(_SQL["delete_queue"], (name,)).rowcount == 1

        return await self._db.write(work)

    async def purge(self, name: str, *, now: datetime, interval_seconds: float) -> bool | None:
        claim = {"queue": name, "now": now.timestamp(), "interval": interval_seconds}

        def work(conn: sqlite3.Connection) -> bool | None:
            if conn.execute(_SQL["mark_queue_purged"], claim).rowcount != 1:
                return (
                    None if conn.execute(_SQL["get_queue"], (name,)).fetchone() is None else False
                )
            conn.execute(_SQL["delete_queue_messages"], (name,))
            return True

        return await self._db.write(work)

    async def send(self, name: str, messages: Sequence[NewMessage], *, now: datetime) -> bool:
        sent = await self._db.write(lambda c: _send(c, name, messages, now.timestamp()))
        if sent:
            self._wakeups.ring(name)
        return sent

    async def receive(
        self, name: str, *, now: datetime, limit: int, visibility_seconds: int | None = None
    ) -> list[ReceivedMessage]:
        token = secrets.token_urlsafe(18)
        claim = {"queue": name, "now": now.timestamp(), "limit": limit, "token": token}
        rows, dead_letter = await self._db.write(lambda c: _receive(c, claim, visibility_seconds))
        if dead_letter:
            self._wakeups.ring(dead_letter)
        return [received_of(row, token) for row in sorted(rows)]

    async def delete_messages(self, name: str, handles: Sequence[str]) -> list[HandleState]:
        def work(conn: sqlite3.Connection) -> list[HandleState]:
            return [_delete_one(conn, name, handle) for handle in handles]

        return await self._db.write(work)

    async def change_visibility(
        self, name: str, changes: Sequence[tuple[str, int]], *, now: datetime
    ) -> list[HandleState]:
        at = now.timestamp()

        def work(conn: sqlite3.Connection) -> list[HandleState]:
            return [_change_one(conn, name, change, at) for change in changes]

        states = await self._db.write(work)
        if any(s == HandleState.DONE and c[1] == 0 for s, c in zip(states, changes, strict=True)):
            self._wakeups.ring(name)
        return states

    async def move_messages(
        self, name: str, *, destination: str | None, limit: int, now: datetime
    ) -> int:
        args = {"queue": name, "destination": destination, "now": now.timestamp(), "limit": limit}
        moved, queues = await self._db.write(lambda c: _move(c, args))
        for queue in queues:
            self._wakeups.ring(queue)
        return moved

    async def counts(self, name: str, *, now: datetime) -> QueueCounts:
        args = {"queue": name, "now": now.timestamp()}
        row = await self._db.read(
            lambda c: c.execute(_SQL["count_queue_messages"], args).fetchone()
        )
        return QueueCounts(int(row[0]), int(row[1]), int(row[2]))

    def watch(self, name: str) -> asyncio.Event:
        return self._wakeups.watch(name)

    # --- message move tasks ----------------------------------------------------------

    async def create_move_task(
        self, task: MoveTask, *, node: str, now: datetime, lease_seconds: float
    ) -> bool:
        args = move_task_row(task, node=node, lease_until=now.timestamp() + lease_seconds)

        def work(conn: sqlite3.Connection) -> bool:
            if conn.execute(_SQL["insert_move_task"], args).rowcount != 1:
                return False
            conn.execute(_SQL["prune_move_tasks"], (task.source, KEPT_PER_SOURCE))
            return True

        return await self._db.write(work)

    async def list_move_tasks(self, source: str, *, limit: int) -> list[MoveTask]:
        rows = await self._db.read(
            lambda c: c.execute(_SQL["list_move_tasks"], (source, limit)).fetchall()
        )
        return [move_task_of(row) for row in rows]

    async def cancel_move_task(self, handle: str) -> MoveTask | None:
        def work(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = conn.execute(_SQL["get_move_task"], (handle,)).fetchone()
            conn.execute(_SQL["cancel_move_task"], (handle,))
            return row

        row = await self._db.write(work)
        return None if row is None else move_task_of(row)

    async def move_task_batch(
        self, handle: str, *, node: str, limit: int, now: datetime, lease_seconds: float
    ) -> MoveTask | None:
        batch = {"node": node, "limit": limit, "now": now, "lease_seconds": lease_seconds}
        task, queues = await self._db.write(lambda c: _move_batch(c, handle, batch))
        for queue in queues:
            self._wakeups.ring(queue)
        return task

    async def fail_move_task(self, handle: str, *, node: str, reason: str) -> bool:
        args = (reason, handle, node)
        return await self._db.write(lambda c: c.execute(_SQL["fail_move_task"], args).rowcount == 1)

    async def claim_move_tasks(
        self, *, node: str, now: datetime, lease_seconds: float, own: bool = False
    ) -> list[MoveTask]:
        at = now.timestamp()
        args = {"node": node, "now": at, "lease_until": at + lease_seconds, "own": own}
        rows = await self._db.write(lambda c: c.execute(_SQL["claim_move_tasks"], args).fetchall())
        return [move_task_of(row) for row in rows]

    async def release_move_tasks(self, *, node: str) -> int:
        return await self._db.write(
            lambda c: c.execute(_SQL["release_move_tasks"], (node,)).rowcount
        )


def _send(conn: sqlite3.Connection, name: str, messages: Sequence[NewMessage], at: float) -> bool:
    row = conn.execute(_SQL["get_queue"], (name,)).fetchone()
    if row is None:
        return False
    queue = queue_of(row)
    expires = at + queue.seconds("MessageRetentionPeriod")
    default_delay = queue.seconds("DelaySeconds")
    rows = [
        (
            name,
            message.id,
            message.body,
            _dumps(message.attributes) if message.attributes else None,
            message.group_id,
            message.dedup_id,
            at,
            at + (default_delay if message.delay_seconds is None else message.delay_seconds),
            expires,
        )
        for message in messages
    ]
    conn.executemany(_SQL["insert_queue_message"], rows)
    return True


def _receive(
    conn: sqlite3.Connection, claim: dict[str, Any], visibility_seconds: int | None
) -> tuple[list[tuple[Any, ...]], str | None]:
    row = conn.execute(_SQL["get_queue"], (claim["queue"],)).fetchone()
    if row is None:
        return [], None
    queue = queue_of(row)
    conn.execute(_SQL["expire_queue_messages"], (queue.name, claim["now"]))
    dead_letter = _redrive(conn, queue, claim["now"])
    visibility = queue.seconds("VisibilityTimeout")
    args = {**claim, "visibility": visibility if visibility_seconds is None else visibility_seconds}
    return conn.execute(_SQL["claim_queue_messages"], args).fetchall(), dead_letter


def _redrive(conn: sqlite3.Connection, queue: Queue, at: float) -> str | None:
    """Move over-received messages; return the dead-letter queue's name if any moved."""
    policy = queue.redrive
    if policy is None:
        return None
    try:
        target_name = parse_arn(policy.dead_letter_arn).resource
    except ValidationError:
        return None
    row = conn.execute(_SQL["get_queue"], (target_name,)).fetchone()
    if row is None or target_name == queue.name:
        return None
    args = {
        "dlq": target_name,
        "dlq_retention": queue_of(row).seconds("MessageRetentionPeriod"),
        "queue": queue.name,
        "now": at,
        "max_receives": policy.max_receives,
    }
    moved = conn.execute(_SQL["redrive_queue_messages"], args).rowcount
    return target_name if moved else None


def _move(conn: sqlite3.Connection, args: dict[str, Any]) -> tuple[int, list[str]]:
    rows = conn.execute(_SQL["pick_queue_messages_to_move"], args).fetchall()
    moves = moves_of(rows)
    for queue, messages in moves.items():
        _send(conn, queue, messages, args["now"])
    conn.executemany(_SQL["delete_queue_message_by_seq"], [(row[0],) for row in rows])
    return len(rows), list(moves)


def _move_batch(
    conn: sqlite3.Connection, handle: str, batch: dict[str, Any]
) -> tuple[MoveTask | None, list[str]]:
    """One batch of a move task and its bookkeeping (see ``move_task_batch``); the task
    after it and the queues that received messages."""
    row = conn.execute(_SQL["get_move_task"], (handle,)).fetchone()
    task = None if row is None else move_task_of(row)
    if task is None or not task.runs_on(batch["node"]):
        return task, []
    queues: list[str] = []
    if task.status == CANCELLING:
        after = cancelled(task)
    else:
        size, now = batch_size(task, batch["limit"]), batch["now"]
        moved = 0
        if size:
            args = {"queue": task.source, "destination": task.destination, "limit": size}
            moved, queues = _move(conn, {**args, "now": now.timestamp()})
        after = after_batch(
            task, moved=moved, size=size, now=now, lease_seconds=batch["lease_seconds"]
        )
    conn.execute(_SQL["update_move_task"], move_task_progress(after))
    return after, queues


def _delete_one(conn: sqlite3.Connection, name: str, handle: str) -> HandleState:
    parsed = parse_handle(handle)
    if parsed is None:
        return HandleState.INVALID
    deleted = conn.execute(_SQL["delete_queue_message"], (parsed[0], name, parsed[1])).rowcount
    return HandleState.DONE if deleted else HandleState.STALE


def _change_one(
    conn: sqlite3.Connection, name: str, change: tuple[str, int], at: float
) -> HandleState:
    parsed = parse_handle(change[0])
    if parsed is None:
        return HandleState.INVALID
    seq, token = parsed
    row = conn.execute(_SQL["get_queue_receipt"], (seq, name)).fetchone()
    if row is None or row[0] != token:
        return HandleState.STALE
    visible_at = at + change[1]
    if visible_at > row[1] + MAX_VISIBILITY_SECONDS:
        return HandleState.TOO_LONG
    conn.execute(_SQL["change_queue_message_visibility"], (visible_at, seq))
    return HandleState.DONE
