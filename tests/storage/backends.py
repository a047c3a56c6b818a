"""The backends the storage suite runs on, and how a test reaches PostgreSQL.

PostgreSQL tests use ``BUSWAY_TEST_POSTGRES_URL`` (default: trust auth on 127.0.0.1,
database ``test``), each in a fresh schema dropped afterwards. They skip when the server
is unreachable, except under ``CI=true``, where they fail.

``BUSWAY_TEST_DATABASE=postgres`` runs the servers and engines of the API, engine and
scheduler suites on PostgreSQL too (``database_url_for``); the default is SQLite.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import pytest

from busway.storage.postgres import PostgresStore
from busway.storage.sqlite import SqliteStore

Store = SqliteStore | PostgresStore

POSTGRES_URL = os.environ.get(
    "BUSWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


TEST_DATABASE = os.environ.get("BUSWAY_TEST_DATABASE", "sqlite")
T = TypeVar("T")
# The schema of each test folder under BUSWAY_TEST_DATABASE=postgres.
_folder_schemas: dict[Path, str] = {}


def database_url_for(folder: Path) -> str:
    """The store of the server or engine a test runs in ``folder``: a SQLite file there,
    or under ``BUSWAY_TEST_DATABASE=postgres`` a schema of its own (the same one when the
    test starts a server on the folder again), dropped when the test run ends."""
    if TEST_DATABASE != "postgres":
        return str(folder / "busway.db")
    schema = _folder_schemas.get(folder)
    if schema is None:
        schema = f"busway_test_{secrets.token_hex(6)}"
        _run_aside(_execute(f"CREATE SCHEMA {schema}"))
        if not _folder_schemas:
            atexit.register(_drop_folder_schemas)
        _folder_schemas[folder] = schema
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}search_path={schema}"


def _drop_folder_schemas() -> None:
    for schema in _folder_schemas.values():
        _run_aside(_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _execute(statement: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _run_aside(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to the end on a thread of its own: callers may be inside a loop."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(work))
        except BaseException as exc:  # the skip or failure of _admin, re-raised below
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


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
