"""The whole PostgreSQL store: one connection pool, every storage interface."""

from __future__ import annotations

from busway.storage.postgres.database import Database
from busway.storage.postgres.maintenance import PostgresMaintenance
from busway.storage.postgres.queues import PostgresQueueStore
from busway.storage.postgres.schedules import PostgresScheduleStore
from busway.storage.postgres.store import PostgresCatalog, PostgresEventLog


class PostgresStore:
    """The whole store in one PostgreSQL database, shared by any number of nodes.

    Open it with ``await PostgresStore.open(url)`` inside the event loop that will use
    it (the pool belongs to that loop) and close it with ``await store.close()``."""

    def __init__(self, db: Database, *, flushers: int = 4) -> None:
        self.db = db
        self.catalog = PostgresCatalog(db)
        self.events = PostgresEventLog(db, flushers=flushers)
        self.schedules = PostgresScheduleStore(db)
        self.queues = PostgresQueueStore(db)
        self.maintenance = PostgresMaintenance(db)

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresStore:
        """Connect to ``url`` (``postgresql://user@host:port/db``; extra query parameters
        such as ``search_path`` become server settings) and apply pending migrations."""
        db = await Database.open(url, min_size=min_size, max_size=max_size)
        return cls(db, flushers=max(1, max_size // 2))

    @classmethod
    def deferred(cls, url: str, *, max_size: int = 10) -> PostgresStore:
        """A store whose pool opens later, with ``connect`` (so a server can be assembled
        before its event loop runs)."""
        return cls(Database(url=url), flushers=max(1, max_size // 2))

    async def connect(self) -> None:
        await self.db.connect()

    async def close(self) -> None:
        """Finish queued appends, then close every connection."""
        await self.events.close()
        await self.db.close()
