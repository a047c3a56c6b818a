"""The PostgreSQL implementation of the schedule store.

``due`` is a plain read: nodes may both see a schedule due. ``fire`` makes the firing
row's primary key the arbiter: the first transaction to insert (schedule, occurrence)
appends the events, a concurrent one waits for it and then finds the row taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from busway.errors import StoreUnavailableError
from busway.model import Delivery
from busway.storage.documents import (
    dump_doc,
    maybe_moment,
    maybe_stamp,
    stamp,
)
from busway.storage.postgres.database import SQL, Database, rolled_back, rowcount
from busway.storage.postgres.events import insert_events
from busway.storage.schedules import Firing, ScheduleRecord, ScheduleStore, record_of

# Runs of one firing transaction that PostgreSQL may abort for a deadlock.
_FIRE_ATTEMPTS = 5


class PostgresScheduleStore(ScheduleStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, record: ScheduleRecord, *, now: datetime) -> bool:
        return await self._change("insert_schedule", *_columns(record), stamp(now)) == 1

    async def replace(self, record: ScheduleRecord, *, now: datetime) -> bool:
        return await self._change("replace_schedule", *_columns(record), stamp(now)) == 1

    async def get(self, group: str, name: str) -> ScheduleRecord | None:
        row = await self._db.fetchrow("get_schedule", group, name)
        return None if row is None else record_of(row)

    async def find(
        self,
        *,
        group: str | None = None,
        prefix: str = "",
        enabled: bool | None = None,
        after: str = "",
        limit: int = 0,
    ) -> list[ScheduleRecord]:
        rows = await self._db.fetch("list_schedules", group, enabled, prefix, after, limit)
        return [record_of(row) for row in rows]

    async def delete(self, group: str, name: str) -> bool:
        return await self._change("delete_schedule", group, name) == 1

    async def delete_group(self, group: str) -> int:
        return await self._change("delete_schedule_group", group)

    async def _change(self, query: str, *args: Any) -> int:
        """Run a write; tell the other nodes' schedulers when it changed a row."""
        async with self._db.hinting() as (conn, hints):
            changed = rowcount(await conn.execute(SQL[query], *args))
            if changed:
                hints.add("schedules")
        return changed

    async def due(self, *, now: datetime, limit: int) -> list[ScheduleRecord]:
        return [record_of(row) for row in await self._db.fetch("due_schedules", stamp(now), limit)]

    async def next_due(self) -> datetime | None:
        return maybe_moment(await self._db.fetchval("next_due_schedule"))

    async def fire(
        self, firings: Sequence[Firing], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        if not firings:
            return []
        # One lock order for every node: firing rows by key, then the schedule rows. The
        # order PostgreSQL takes a batch's row locks in is still its own, so two nodes
        # firing the same occurrences can deadlock: the aborted one runs again, and then
        # finds the occurrences fired.
        ordered = sorted(firings, key=_firing_key)
        for attempt in range(_FIRE_ATTEMPTS):
            try:
                return await self._fire(ordered, now=now, lease_seconds=lease_seconds, node=node)
            except StoreUnavailableError as exc:
                if attempt + 1 == _FIRE_ATTEMPTS or not rolled_back(exc):
                    raise
        raise AssertionError("unreachable")

    async def _fire(
        self, ordered: Sequence[Firing], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        async with self._db.transaction() as conn:
            fresh = await _record_firings(conn, ordered, now)
            events = [e for f in ordered if _firing_key(f) in fresh for e in f.events]
            lease_until = stamp(now) + lease_seconds
            claimed = await insert_events(conn, events, lease_until=lease_until, node=node)
            await _move_on(conn, ordered)
        return claimed

    async def count(self) -> int:
        return int(await self._db.fetchval("count_schedules"))


def _firing_key(firing: Firing) -> tuple[str, str, float]:
    schedule = firing.schedule
    return schedule.group, schedule.name, maybe_stamp(schedule.occurrence) or 0.0


async def _record_firings(
    conn: Any, firings: Sequence[Firing], now: datetime
) -> set[tuple[str, str, float]]:
    """Insert the firing rows; the keys of those that were not there before."""
    keys = [_firing_key(f) for f in firings]
    rows = await conn.fetch(
        SQL["record_firings"],
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        stamp(now),
    )
    return {(row[0], row[1], row[2]) for row in rows}


async def _move_on(conn: Any, firings: Sequence[Firing]) -> None:
    """Advance or delete each fired schedule unless it changed since it was read."""
    advance = [f for f in firings if not f.delete]
    gone = [f for f in firings if f.delete]
    if advance:
        await conn.execute(
            SQL["advance_schedules"],
            [f.schedule.group for f in advance],
            [f.schedule.name for f in advance],
            [maybe_stamp(f.schedule.modified) for f in advance],
            [maybe_stamp(f.next_due) for f in advance],
            [maybe_stamp(f.next_occurrence) for f in advance],
        )
    if gone:
        await conn.execute(
            SQL["delete_fired_schedules"],
            [f.schedule.group for f in gone],
            [f.schedule.name for f in gone],
            [maybe_stamp(f.schedule.modified) for f in gone],
        )


def _columns(record: ScheduleRecord) -> tuple[Any, ...]:
    return (
        record.group,
        record.name,
        record.arn,
        dump_doc(record.doc),
        record.enabled,
        maybe_stamp(record.due_at),
        maybe_stamp(record.occurrence),
    )
