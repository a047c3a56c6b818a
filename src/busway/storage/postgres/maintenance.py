"""PostgreSQL housekeeping: the event log's retention."""

from __future__ import annotations

from datetime import datetime

from busway.storage.base import Maintenance
from busway.storage.documents import stamp
from busway.storage.postgres.database import SQL, Database, rowcount


class PostgresMaintenance(Maintenance):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(self, *, events_before: datetime, records_before: datetime, limit: int) -> int:
        records = stamp(records_before)
        async with self._db.transaction() as conn:
            removed = rowcount(await conn.execute(SQL["prune_events"], stamp(events_before), limit))
            removed += rowcount(await conn.execute(SQL["prune_outcomes"], records))
            return removed + rowcount(await conn.execute(SQL["prune_firings"], records))
