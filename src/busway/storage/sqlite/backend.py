"""The whole SQLite store: one file, one writer thread, every storage interface."""

from __future__ import annotations

from pathlib import Path

from busway.storage.sqlite.database import Database
from busway.storage.sqlite.maintenance import SqliteMaintenance
from busway.storage.sqlite.queues import SqliteQueueStore
from busway.storage.sqlite.schedules import SqliteScheduleStore
from busway.storage.sqlite.store import SqliteCatalog, SqliteEventLog


class SqliteStore:
    """The whole store on one SQLite file."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.db = Database(path, synchronous=synchronous)
        self.catalog = SqliteCatalog(self.db)
        self.events = SqliteEventLog(self.db)
        self.schedules = SqliteScheduleStore(self.db)
        self.queues = SqliteQueueStore(self.db)
        self.maintenance = SqliteMaintenance(self.db)

    async def connect(self) -> None:
        """Nothing to do: the file is open from the start (a store interface shared with
        PostgreSQL, whose pool opens inside the server's event loop)."""

    def close(self) -> None:
        self.db.close()
