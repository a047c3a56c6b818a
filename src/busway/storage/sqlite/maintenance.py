"""SQLite housekeeping: the event log's retention."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from busway.storage.base import Maintenance
from busway.storage.sqlite.database import Database
from busway.storage.sqlite.queries import load_queries

_SQL = load_queries()


class SqliteMaintenance(Maintenance):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(self, *, events_before: datetime, records_before: datetime, limit: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            events = {"before": events_before.timestamp(), "limit": limit}
            records = {"before": records_before.timestamp()}
            removed = conn.execute(_SQL["prune_events"], events).rowcount
            removed += conn.execute(_SQL["prune_outcomes"], records).rowcount
            return removed + conn.execute(_SQL["prune_firings"], records).rowcount

        return await self._db.write(work)
