"""Group commit for appends: concurrent callers share statements.

A caller queues its events and waits. Up to ``flushers`` tasks (each holding at most one
pooled connection) take everything queued so far and write it as ONE ``append_events``
statement, so under load a commit carries many callers' events instead of each caller
paying for its own commit. If a shared statement fails, its callers are written one by
one, so a bad input fails only its own caller; when the database is out of reach, every
caller of the batch fails at once instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from busway.errors import StorageError, StoreUnavailableError
from busway.model import Delivery
from busway.storage.base import NewEvent
from busway.storage.postgres.database import Database
from busway.storage.postgres.events import EventColumns, deliveries_of, insert_columns

# Events per shared statement. Not more: a burst split over several flushers runs as
# statements side by side on the server's cores (one statement of 640 events: ~7,000
# events/s on the 2-core test machine; at most 512 a statement: ~12,000).
_MAX_EVENTS = 512


@dataclass(slots=True)
class _Append:
    events: Sequence[NewEvent]
    lease_until: float
    node: str
    done: asyncio.Future[list[Delivery]] = field(repr=False)

    @property
    def routes(self) -> int:
        return sum(len(event.routes) for event in self.events)

    def resolve(self, value: list[Delivery] | BaseException) -> None:
        if self.done.done():  # the caller was cancelled; the write stands
            return
        if isinstance(value, BaseException):
            self.done.set_exception(value)
        else:
            self.done.set_result(value)


class GroupCommit:
    """Appends merged across concurrent callers (see the module docstring)."""

    def __init__(self, db: Database, *, flushers: int) -> None:
        self._db = db
        self._limit = max(1, flushers)
        self._pending: list[_Append] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def append(
        self, events: Sequence[NewEvent], *, lease_until: float, node: str
    ) -> list[Delivery]:
        """Write ``events`` with their claimed first deliveries; return once committed."""
        if self._closed:
            raise StorageError("the store is closed")
        if not events:
            return []
        job = _Append(events, lease_until, node, asyncio.get_running_loop().create_future())
        self._pending.append(job)
        if len(self._tasks) < self._limit:
            task = asyncio.create_task(self._flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await job.done

    async def close(self) -> None:
        """Refuse new appends and wait for the queued ones to be written."""
        self._closed = True
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._take()
            try:
                await self._commit(batch)
            except asyncio.CancelledError:
                for job in batch:
                    job.resolve(StorageError("the append was cancelled"))
                raise
            except Exception as exc:  # a bug, not the database: fail the callers, not the loop
                for job in batch:
                    job.resolve(exc)

    def _take(self) -> list[_Append]:
        count, events = 0, 0
        for job in self._pending:
            if count and events + len(job.events) > _MAX_EVENTS:
                break
            count += 1
            events += len(job.events)
        batch, self._pending = self._pending[:count], self._pending[count:]
        return batch

    async def _commit(self, batch: list[_Append]) -> None:
        columns = EventColumns()
        for job in batch:
            columns.add(job.events, lease_until=job.lease_until, node=job.node)
        try:
            async with self._db.connection() as conn:
                ids = await insert_columns(conn, columns)
        except StorageError as exc:
            if len(batch) == 1 or isinstance(exc, StoreUnavailableError):
                for job in batch:
                    job.resolve(exc)
                return
            for job in batch:
                await self._commit([job])
            return
        start = 0
        for job in batch:
            end = start + job.routes
            job.resolve(deliveries_of(job.events, ids[start:end]))
            start = end
