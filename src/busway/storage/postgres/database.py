"""The connection pool of the PostgreSQL store, and its migrations.

Every operation takes a pooled connection for one statement or one transaction; the
database does the rest (row locks, ``SKIP LOCKED``), so any number of nodes may share
it. Driver errors surface as ``StorageError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from busway.errors import StorageError
from busway.storage.postgres.queries import load_migrations, load_queries

# A fixed key for pg_advisory_lock: nodes starting together migrate one at a time.
_MIGRATION_LOCK = 0x6275_7377_6179  # "busway"
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

SQL = load_queries()


class Database:
    """A pool of connections to one PostgreSQL database (or schema, by search_path)."""

    def __init__(self, pool: Any = None, *, url: str | None = None) -> None:
        self.pool = pool
        self._url = url

    async def connect(self, *, min_size: int = 1, max_size: int = 10) -> None:
        """Open the pool of a database made with only its ``url`` (see ``deferred``)."""
        if self.pool is None:
            assert self._url is not None
            self.pool = (await Database.open(self._url, min_size=min_size, max_size=max_size)).pool

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> Database:
        """Connect, migrate to the newest schema, and return the pool."""
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
        except _FAILURES as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled connection in autocommit mode."""
        try:
            async with self.pool.acquire() as conn:
                yield conn
        except _FAILURES as exc:
            raise StorageError(f"the database failed: {exc}") from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A pooled connection inside a transaction committed when the block ends."""
        async with self.connection() as conn, conn.transaction():
            yield conn

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
