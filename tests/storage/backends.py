"""The backends the storage suite runs on, and how a test reaches PostgreSQL.

PostgreSQL tests use ``BUSWAY_TEST_POSTGRES_URL`` (default: trust auth on 127.0.0.1,
database ``test``), each in a fresh schema dropped afterwards. They skip when the server
is unreachable, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

from busway.storage.postgres import PostgresStore
from busway.storage.sqlite import SqliteStore

Store = SqliteStore | PostgresStore

POSTGRES_URL = os.environ.get(
    "BUSWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


# Why PostgreSQL was unreachable, once known: later tests skip without waiting again.
_unreachable: list[str] = []


async def _admin() -> asyncpg.Connection:
    if not _unreachable:
        try:
            return await asyncpg.connect(POSTGRES_URL, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _unreachable.append(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{_unreachable[0]} (required when CI=true)")
    pytest.skip(_unreachable[0])


@contextlib.asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A URL whose search_path is a new, empty schema; the schema is dropped after."""
    admin = await _admin()
    schema = f"busway_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


async def event_ids(store: Store) -> list[str]:
    """The ids of the events in the log, oldest first (read behind the store's back)."""
    if isinstance(store, SqliteStore):
        with contextlib.closing(sqlite3.connect(store.db.path)) as db:
            return [row[0] for row in db.execute("SELECT id FROM events ORDER BY seq")]
    async with store.db.connection() as conn:
        return [row[0] for row in await conn.fetch("SELECT id FROM events ORDER BY seq")]
