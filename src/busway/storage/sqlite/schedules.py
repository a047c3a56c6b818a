"""The SQLite implementation of the schedule store."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from busway.model import Delivery
from busway.storage.documents import dump_doc, maybe_stamp, moment, stamp
from busway.storage.schedules import Firing, ScheduleRecord, ScheduleStore, record_of
from busway.storage.sqlite.database import Database
from busway.storage.sqlite.queries import load_queries
from busway.storage.sqlite.store import insert_events

_SQL = load_queries()
_END = "\U0010ffff"


class SqliteScheduleStore(ScheduleStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, record: ScheduleRecord, *, now: datetime) -> bool:
        args = (
            record.group,
            record.name,
            record.arn,
            dump_doc(record.doc),
            int(record.enabled),
            maybe_stamp(record.due_at),
            maybe_stamp(record.occurrence),
            stamp(now),
            stamp(now),
        )
        return await self._db.write(
            lambda c: c.execute(_SQL["insert_schedule"], args).rowcount == 1
        )

    async def replace(self, record: ScheduleRecord, *, now: datetime) -> bool:
        args = (
            record.arn,
            dump_doc(record.doc),
            int(record.enabled),
            maybe_stamp(record.due_at),
            maybe_stamp(record.occurrence),
            stamp(now),
            record.group,
            record.name,
        )
        return await self._db.write(
            lambda c: c.execute(_SQL["replace_schedule"], args).rowcount == 1
        )

    async def get(self, group: str, name: str) -> ScheduleRecord | None:
        row = await self._db.read(
            lambda c: c.execute(_SQL["get_schedule"], (group, name)).fetchone()
        )
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
        sql = _SQL["list_schedules"] + (f" LIMIT {int(limit)}" if limit else "")
        args = {
            "group": group,
            "enabled": None if enabled is None else int(enabled),
            "prefix": prefix,
            "prefix_end": prefix + _END,
            "after": after,
        }
        rows = await self._db.read(lambda c: c.execute(sql, args).fetchall())
        return [record_of(row) for row in rows]

    async def delete(self, group: str, name: str) -> bool:
        return await self._db.write(
            lambda c: c.execute(_SQL["delete_schedule"], (group, name)).rowcount == 1
        )

    async def delete_group(self, group: str) -> int:
        return await self._db.write(
            lambda c: c.execute(_SQL["delete_schedule_group"], (group,)).rowcount
        )

    async def due(self, *, now: datetime, limit: int) -> list[ScheduleRecord]:
        args = (stamp(now), limit)
        rows = await self._db.read(lambda c: c.execute(_SQL["due_schedules"], args).fetchall())
        return [record_of(row) for row in rows]

    async def next_due(self) -> datetime | None:
        row = await self._db.read(lambda c: c.execute(_SQL["next_due_schedule"]).fetchone())
        return None if row[0] is None else moment(row[0])

    async def fire(
        self, firings: Sequence[Firing], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        lease_until = stamp(now) + lease_seconds
        return await self._db.write(lambda c: _fire_all(c, firings, now, lease_until, node))

    async def count(self) -> int:
        row = await self._db.read(lambda c: c.execute(_SQL["count_schedules"]).fetchone())
        return int(row[0])


def _fire_all(
    conn: sqlite3.Connection,
    firings: Sequence[Firing],
    now: datetime,
    lease_until: float,
    node: str,
) -> list[Delivery]:
    claimed: list[Delivery] = []
    for firing in firings:
        schedule = firing.schedule
        key = (schedule.group, schedule.name)
        occurrence = maybe_stamp(schedule.occurrence)
        fresh = conn.execute(_SQL["record_firing"], (*key, occurrence, stamp(now))).rowcount == 1
        if fresh:
            claimed.extend(insert_events(conn, firing.events, lease_until, node))
        version = maybe_stamp(schedule.modified)
        if firing.delete:
            conn.execute(_SQL["delete_fired_schedule"], (*key, version))
        else:
            next_args = (
                maybe_stamp(firing.next_due),
                maybe_stamp(firing.next_occurrence),
                *key,
                version,
            )
            conn.execute(_SQL["advance_schedule"], next_args)
    return claimed


__all__ = ["SqliteScheduleStore"]
