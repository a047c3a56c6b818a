"""The connection pool of the PostgreSQL store, and its migrations.

Every operation takes a pooled connection for one statement or one transaction; the
database does the rest (row locks, ``SKIP LOCKED``), so any number of nodes may share
it. Driver errors surface as ``StorageError``; those that say the database is out of
reach for now (connection lost, server restarting, too many connections) as
``StoreUnavailableError``, so callers can answer "try again". A lost connection is
dropped from the pool and a new one is made on next use: nothing needs restarting
when the database comes back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from busway.errors import StorageError, StoreUnavailableError
from busway.storage.postgres.queries import load_migrations, load_queries

# A fixed key for pg_advisory_lock: nodes starting together migrate one at a time.
_MIGRATION_LOCK = 0x6275_7377_6179  # "busway"
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
# SQLSTATE classes that pass: connection exceptions, insufficient resources (too many
# connections), operator intervention (shutdown, starting up), transaction rollback
# (serialization failure, deadlock). Anything else is this request's own fault.
_TRANSIENT_STATES = ("08", "53", "57P", "40")
# A host that drops packets must not hold a request for asyncpg's default 60 s.
CONNECT_TIMEOUT_SECONDS = 5.0
# Nor may a server that stopped answering mid-query, or a pool whose every connection is
# held by such queries, hold it for ever: the caller gets StoreUnavailableError (503).
COMMAND_TIMEOUT_SECONDS = 15.0
CHANNEL = "busway"

SQL = load_queries()
_log = logging.getLogger("busway.postgres")


class Database:
    """A pool of connections to one PostgreSQL database (or schema, by search_path)."""

    def __init__(self, pool: Any = None, *, url: str | None = None, notify: bool = True) -> None:
        self.pool = pool
        self.url = url
        self.notify = notify

    async def connect(self, *, min_size: int = 1, max_size: int = 10) -> None:
        """Open the pool of a database made with only its ``url`` (see ``deferred``)."""
        if self.pool is None:
            assert self.url is not None
            opened = await Database.open(self.url, min_size=min_size, max_size=max_size)
            self.pool = opened.pool

    @classmethod
    async def open(
        cls, url: str, *, min_size: int = 1, max_size: int = 10, notify: bool = True
    ) -> Database:
        """Connect, migrate to the newest schema, and return the pool."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
            )
        except _FAILURES as exc:
            raise storage_error(exc, doing="cannot connect to PostgreSQL") from exc
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except _FAILURES as exc:
            await pool.close()
            raise storage_error(exc, doing="cannot migrate the database") from exc
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url=url, notify=notify)

    async def close(self) -> None:
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled connection in autocommit mode."""
        try:
            async with self.pool.acquire(timeout=COMMAND_TIMEOUT_SECONDS) as conn:
                yield conn
        except _FAILURES as exc:
            raise storage_error(exc) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A pooled connection inside a transaction committed when the block ends."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    @contextlib.asynccontextmanager
    async def hinting(self) -> AsyncIterator[tuple[Any, Hints]]:
        """A transaction, and the hints to send once it has committed.

        Hints go out as one NOTIFY right after the commit, on the same connection, not
        inside the transaction: PostgreSQL holds one cluster-wide lock from a notifying
        transaction's commit until it is flushed, which would queue every notifying
        write of every node behind each other's disk flush; a statement that only
        notifies flushes nothing. A node that dies between the two sends no hint:
        polling covers that, as it covers every missed hint (see ``listener``)."""
        hints = Hints()
        async with self.connection() as conn:
            async with conn.transaction():
                yield conn, hints
            if hints.payloads and self.notify:
                await _send_hints(conn, hints.payloads)

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        async with self.connection() as conn:
            return list(await conn.fetch(SQL[query], *args))

    async def fetchrow(self, query: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchrow(SQL[query], *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchval(SQL[query], *args)

    async def execute(self, query: str, *args: Any) -> int:
        """Run one statement; return how many rows it changed."""
        async with self.connection() as conn:
            return rowcount(await conn.execute(SQL[query], *args))


class Hints:
    """What a transaction changed that other nodes may want to hear of at once."""

    def __init__(self) -> None:
        self.payloads: set[str] = set()

    def add(self, topic: str, name: str = "") -> None:
        self.payloads.add(f"{topic}\t{name}")


async def _send_hints(conn: Any, payloads: set[str]) -> None:
    try:
        await conn.execute(SQL["notify"], CHANNEL, sorted(payloads))
    except _FAILURES as exc:  # committed already: a lost hint only costs a poll's delay
        _log.info("could not notify other nodes: %s", exc)


def storage_error(exc: BaseException, *, doing: str = "the database failed") -> StorageError:
    """The ``StorageError`` a driver failure becomes: ``StoreUnavailableError`` when
    trying again later may work."""
    if _transient(exc):
        return StoreUnavailableError(f"{doing}: {exc}")
    return StorageError(f"{doing}: {exc}")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, OSError | asyncpg.InterfaceError):
        return True
    state = getattr(exc, "sqlstate", None) or ""
    return state.startswith(_TRANSIENT_STATES)


def rolled_back(exc: BaseException) -> bool:
    """Whether ``exc`` (a ``storage_error``) is PostgreSQL aborting the transaction to
    break a deadlock or a serialization conflict: running it again is the remedy."""
    return str(getattr(exc.__cause__, "sqlstate", None) or "").startswith("40")


def rowcount(status: str) -> int:
    """The row count of a command status such as ``UPDATE 3``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def migrate(conn: Any) -> int:
    """Apply every migration newer than the recorded version, holding an advisory lock
    so that concurrent starts apply each one once; return the version."""
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY)"
        )
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        for version, script in load_migrations():
            if version > current:
                async with conn.transaction():
                    await conn.execute(script)
                    await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
                current = version
        return int(current)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
