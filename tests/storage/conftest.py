"""One storage suite for every backend: each ``store`` test runs on SQLite and on
PostgreSQL (see tests/storage/backends.py for how PostgreSQL is reached)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.storage.backends import Store, postgres_schema

from busway.storage.postgres import PostgresStore
from busway.storage.sqlite import SqliteStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgres"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, anyio_backend: str
) -> AsyncIterator[Store]:
    """A fresh store, opened in the test's event loop."""
    if request.param == "sqlite":
        opened = SqliteStore(tmp_path / "busway.db")
        yield opened
        opened.close()
        return
    async with postgres_schema() as url:
        pg = await PostgresStore.open(url)
        yield pg
        await pg.close()
