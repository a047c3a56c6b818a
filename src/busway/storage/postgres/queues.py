"""The PostgreSQL implementation of ``QueueStore``.

A receipt handle is ``<seq>.<token>``: the message's row and the random token of the
receive that handed it out, so a later receive (a new token) makes older handles stale.
Receives claim with ``FOR UPDATE SKIP LOCKED``, so nodes receiving from one queue at
once get disjoint messages.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

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
from busway.storage.documents import dump_json
from busway.storage.move_tasks import (
    CANCELLING,
    KEPT_PER_SOURCE,
    MoveTask,
    after_batch,
    batch_size,
    cancelled,
)
from busway.storage.postgres.database import SQL, Database, rowcount
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

_MAX_SEQ = 2**63 - 1


class PostgresQueueStore(QueueStore):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._wakeups = Wakeups()

    async def create_queue(self, queue: Queue, *, now: datetime) -> tuple[Queue, bool]:
        args = (queue.name, queue.arn, dump_json(queue.attributes), dump_json(queue.tags))
        row = await self._db.fetchrow("create_queue", *args, now.timestamp())
        if row is None:  # taken by a transaction that committed after our snapshot
            row = await self._db.fetchrow("get_queue", queue.name)
            return queue_of(row), False
        return queue_of(row), bool(row[6])

    async def get_queue(self, name: str) -> Queue | None:
        row = await self._db.fetchrow("get_queue", name)
        return None if row is None else queue_of(row)

    async def list_queues(self, *, prefix: str = "", after: str = "", limit: int) -> list[Queue]:
        return [queue_of(row) for row in await self._db.fetch("list_queues", prefix, after, limit)]

    async def set_queue_attributes(
        self, name: str, attributes: Mapping[str, str], *, now: datetime
    ) -> bool:
        args = (dump_json(attributes), now.timestamp(), name)
        return await self._db.execute("update_queue_attributes", *args) == 1

    async def set_queue_tags(self, name: str, tags: Mapping[str, str]) -> bool:
        return await self._db.execute("update_queue_tags", dump_json(tags), name) == 1

    async def delete_queue(self, name: str) -> bool:
        # The messages go with the queue (ON DELETE CASCADE).
        return await self._db.execute("delete_queue", name) == 1

    async def purge(self, name: str, *, now: datetime, interval_seconds: float) -> bool | None:
        async with self._db.transaction() as conn:
            claim = (name, now.timestamp(), interval_seconds)
            if rowcount(await conn.execute(SQL["mark_queue_purged"], *claim)) != 1:
                return None if await conn.fetchrow(SQL["get_queue"], name) is None else False
            # A statement of its own: its snapshot is taken after the queue's row lock.
            await conn.execute(SQL["delete_queue_messages"], name)
            return True

    async def send(self, name: str, messages: Sequence[NewMessage], *, now: datetime) -> bool:
        async with self._db.hinting() as (conn, hints):
            sent = await _send(conn, name, messages, now.timestamp())
            if sent:
                hints.add("queue", name)
        if sent:
            self._wakeups.ring(name)
        return sent

    async def receive(
        self, name: str, *, now: datetime, limit: int, visibility_seconds: int | None = None
    ) -> list[ReceivedMessage]:
        token = secrets.token_urlsafe(18)
        async with self._db.hinting() as (conn, hints):
            queue = await _get(conn, name)
            if queue is None:
                return []
            rows, dead_letter = await _receive(
                conn,
                queue,
                now.timestamp(),
                limit=limit,
                token=token,
                visibility_seconds=visibility_seconds,
            )
            if dead_letter:
                hints.add("queue", dead_letter)
        if dead_letter:
            self._wakeups.ring(dead_letter)
        return [received_of(row, token) for row in sorted(rows, key=lambda row: row[0])]

    async def delete_messages(self, name: str, handles: Sequence[str]) -> list[HandleState]:
        parsed = [parse_handle(handle) for handle in handles]
        valid = [p for p in parsed if p is not None and p[0] <= _MAX_SEQ]
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                SQL["delete_queue_messages_by_receipt"],
                name,
                [seq for seq, _ in valid],
                [token for _, token in valid],
            )
        deleted = {(row[0], row[1]) for row in rows}
        states = []
        for handle in parsed:
            if handle is None:
                states.append(HandleState.INVALID)
            elif handle in deleted:
                deleted.discard(handle)  # the same handle twice: the second finds nothing
                states.append(HandleState.DONE)
            else:
                states.append(HandleState.STALE)
        return states

    async def change_visibility(
        self, name: str, changes: Sequence[tuple[str, int]], *, now: datetime
    ) -> list[HandleState]:
        async with self._db.hinting() as (conn, hints):
            states = await _change(conn, name, changes, now.timestamp())
            pairs = zip(states, changes, strict=True)
            visible = any(s == HandleState.DONE and c[1] == 0 for s, c in pairs)
            if visible:
                hints.add("queue", name)
        if visible:
            self._wakeups.ring(name)
        return states

    async def move_messages(
        self, name: str, *, destination: str | None, limit: int, now: datetime
    ) -> int:
        async with self._db.hinting() as (conn, hints):
            moved, queues = await _move(conn, name, destination, now.timestamp(), limit)
            for queue in queues:
                hints.add("queue", queue)
        for queue in queues:
            self._wakeups.ring(queue)
        return moved

    async def counts(self, name: str, *, now: datetime) -> QueueCounts:
        row = await self._db.fetchrow("count_queue_messages", name, now.timestamp())
        return QueueCounts(int(row[0]), int(row[1]), int(row[2]))

    def watch(self, name: str) -> asyncio.Event:
        return self._wakeups.watch(name)

    # --- message move tasks ----------------------------------------------------------

    async def create_move_task(
        self, task: MoveTask, *, node: str, now: datetime, lease_seconds: float
    ) -> bool:
        args = move_task_row(task, node=node, lease_until=now.timestamp() + lease_seconds)
        async with self._db.transaction() as conn:
            created = rowcount(await conn.execute(SQL["insert_move_task"], *args)) == 1
            if created:
                await conn.execute(SQL["prune_move_tasks"], task.source, KEPT_PER_SOURCE)
        return created

    async def list_move_tasks(self, source: str, *, limit: int) -> list[MoveTask]:
        return [move_task_of(row) for row in await self._db.fetch("list_move_tasks", source, limit)]

    async def cancel_move_task(self, handle: str) -> MoveTask | None:
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(SQL["lock_move_task"], handle)
            await conn.execute(SQL["cancel_move_task"], handle)
        return None if row is None else move_task_of(row)

    async def move_task_batch(
        self, handle: str, *, node: str, limit: int, now: datetime, lease_seconds: float
    ) -> MoveTask | None:
        async with self._db.hinting() as (conn, hints):
            row = await conn.fetchrow(SQL["lock_move_task"], handle)
            task = None if row is None else move_task_of(row)
            if task is None or not task.runs_on(node):
                return task
            after, queues = await _move_batch(conn, task, limit, now, lease_seconds)
            for queue in queues:
                hints.add("queue", queue)
        for queue in queues:
            self._wakeups.ring(queue)
        return after

    async def fail_move_task(self, handle: str, *, node: str, reason: str) -> bool:
        return await self._db.execute("fail_move_task", reason, handle, node) == 1

    async def claim_move_tasks(
        self, *, node: str, now: datetime, lease_seconds: float, own: bool = False
    ) -> list[MoveTask]:
        at = now.timestamp()
        rows = await self._db.fetch("claim_move_tasks", node, at, at + lease_seconds, own)
        return [move_task_of(row) for row in rows]

    async def release_move_tasks(self, *, node: str) -> int:
        async with self._db.hinting() as (conn, hints):
            released = rowcount(await conn.execute(SQL["release_move_tasks"], node))
            if released:
                hints.add("move_tasks")
        return released

    def ring(self, name: str) -> None:
        """Wake this process's long polls on ``name``: another node notified that
        messages may have arrived there."""
        if name:
            self._wakeups.ring(name)


async def _get(conn: Any, name: str, *, lock: bool = False) -> Queue | None:
    row = await conn.fetchrow(SQL["lock_queue" if lock else "get_queue"], name)
    return None if row is None else queue_of(row)


async def _send(conn: Any, name: str, messages: Sequence[NewMessage], at: float) -> bool:
    queue = await _get(conn, name, lock=True)
    if queue is None:
        return False
    default_delay = queue.seconds("DelaySeconds")
    await conn.execute(
        SQL["insert_queue_messages"],
        name,
        at,
        at + queue.seconds("MessageRetentionPeriod"),
        [m.id for m in messages],
        [m.body for m in messages],
        [dump_json(m.attributes) if m.attributes else None for m in messages],
        [m.group_id for m in messages],
        [m.dedup_id for m in messages],
        [at + (default_delay if m.delay_seconds is None else m.delay_seconds) for m in messages],
    )
    return True


async def _move(
    conn: Any, name: str, destination: str | None, at: float, limit: int
) -> tuple[int, list[str]]:
    """Move up to ``limit`` messages (see ``move_messages``); how many, and where to."""
    rows = await conn.fetch(SQL["pick_queue_messages_to_move"], name, destination, at, limit)
    moves = moves_of(rows)
    for queue, messages in moves.items():
        await _send(conn, queue, messages, at)
    await conn.execute(SQL["delete_queue_messages_by_seq"], [row[0] for row in rows])
    return len(rows), list(moves)


async def _move_batch(
    conn: Any, task: MoveTask, limit: int, now: datetime, lease_seconds: float
) -> tuple[MoveTask, list[str]]:
    """The batch of a task this node runs, in the caller's transaction: the task after
    it (written back) and the queues that received messages."""
    queues: list[str] = []
    if task.status == CANCELLING:
        after = cancelled(task)
    else:
        size = batch_size(task, limit)
        moved = 0
        if size:
            moved, queues = await _move(conn, task.source, task.destination, now.timestamp(), size)
        after = after_batch(task, moved=moved, size=size, now=now, lease_seconds=lease_seconds)
    await conn.execute(SQL["update_move_task"], *move_task_progress(after))
    return after, queues


async def _receive(
    conn: Any, queue: Queue, at: float, *, limit: int, token: str, visibility_seconds: int | None
) -> tuple[list[Any], str | None]:
    await conn.execute(SQL["expire_queue_messages"], queue.name, at)
    dead_letter = await _redrive(conn, queue, at)
    visibility = queue.seconds("VisibilityTimeout")
    if visibility_seconds is not None:
        visibility = visibility_seconds
    rows = await conn.fetch(SQL["claim_queue_messages"], queue.name, at, limit, token, visibility)
    return list(rows), dead_letter


async def _redrive(conn: Any, queue: Queue, at: float) -> str | None:
    """Move over-received messages; return the dead-letter queue's name if any moved."""
    policy = queue.redrive
    if policy is None:
        return None
    try:
        target_name = parse_arn(policy.dead_letter_arn).resource
    except ValidationError:
        return None
    target = await _get(conn, target_name)
    if target is None or target_name == queue.name:
        return None
    retention = target.seconds("MessageRetentionPeriod")
    args = (target_name, retention, queue.name, at, policy.max_receives)
    moved = rowcount(await conn.execute(SQL["redrive_queue_messages"], *args))
    return target_name if moved else None


async def _change(
    conn: Any, name: str, changes: Sequence[tuple[str, int]], at: float
) -> list[HandleState]:
    parsed = [parse_handle(handle) for handle, _ in changes]
    seqs = sorted({p[0] for p in parsed if p is not None and p[0] <= _MAX_SEQ})
    rows = await conn.fetch(SQL["lock_queue_receipts"], name, seqs)
    receipts = {row[0]: (row[1], row[2]) for row in rows}
    states: list[HandleState] = []
    updates: dict[int, float] = {}
    for handle, (_, seconds) in zip(parsed, changes, strict=True):
        state = _change_state(handle, receipts, at + seconds)
        if state == HandleState.DONE and handle is not None:
            updates[handle[0]] = at + seconds
        states.append(state)
    if updates:
        await conn.execute(
            SQL["change_queue_message_visibility"], list(updates), list(updates.values())
        )
    return states


def _change_state(
    handle: tuple[int, str] | None, receipts: dict[int, tuple[str, float]], visible_at: float
) -> HandleState:
    if handle is None:
        return HandleState.INVALID
    found = receipts.get(handle[0])
    if found is None or found[0] != handle[1]:
        return HandleState.STALE
    if visible_at > found[1] + MAX_VISIBILITY_SECONDS:
        return HandleState.TOO_LONG
    return HandleState.DONE
