"""The whole PostgreSQL store: one connection pool, every storage interface."""

from __future__ import annotations

from busway.storage.postgres.database import Database
from busway.storage.postgres.listener import Listener
from busway.storage.postgres.maintenance import PostgresMaintenance
from busway.storage.postgres.queues import PostgresQueueStore
from busway.storage.postgres.schedules import PostgresScheduleStore
from busway.storage.postgres.store import PostgresCatalog, PostgresEventLog


class PostgresStore:
    """The whole store in one PostgreSQL database, shared by any number of nodes.

    Open it with ``await PostgresStore.open(url)`` inside the event loop that will use
    it (the pool belongs to that loop) and close it with ``await store.close()``.

    With ``notify`` (the default), writes that other nodes should react to at once send
    a NOTIFY, and ``listen`` starts hearing other nodes' ones (see ``listener``): queue
    arrivals wake this store's long polls; ``hints.on`` wires the other topics
    (``catalog``, ``schedules``, ``deliveries``) to the engine."""

    def __init__(self, db: Database, *, flushers: int = 4) -> None:
        self.db = db
        self.catalog = PostgresCatalog(db)
        self.events = PostgresEventLog(db, flushers=flushers)
        self.schedules = PostgresScheduleStore(db)
        self.queues = PostgresQueueStore(db)
        self.maintenance = PostgresMaintenance(db)
        self.hints: Listener | None = None
        if db.notify and db.url is not None:
            self.hints = Listener(db.url)
            self.hints.on("queue", self.queues.ring)

    @classmethod
    async def open(
        cls, url: str, *, min_size: int = 1, max_size: int = 10, notify: bool = True
    ) -> PostgresStore:
        """Connect to ``url`` (``postgresql://user@host:port/db``; extra query parameters
        such as ``search_path`` become server settings) and apply pending migrations."""
        db = await Database.open(url, min_size=min_size, max_size=max_size, notify=notify)
        return cls(db, flushers=max(1, max_size // 2))

    @classmethod
    def deferred(cls, url: str, *, max_size: int = 10, notify: bool = True) -> PostgresStore:
        """A store whose pool opens later, with ``connect`` (so a server can be assembled
        before its event loop runs)."""
        return cls(Database(url=url, notify=notify), flushers=max(1, max_size // 2))

    async def connect(self) -> None:
        await self.db.connect()

    def listen(self) -> None:
        """Start hearing other nodes' notifications (nothing when ``notify`` is off)."""
        if self.hints is not None:
            self.hints.start()

    async def close(self) -> None:
        """Stop listening, finish queued appends, then close every connection."""
        if self.hints is not None:
            await self.hints.stop()
        await self.events.close()
        await self.db.close()
