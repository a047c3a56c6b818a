"""Fixtures every test folder may use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from tests.storage.backends import postgres_schema


@pytest.fixture
def database_url() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a fresh schema, dropped after the test
    (skipped when no PostgreSQL is reachable, except under CI=true)."""
    schema = postgres_schema()
    loop = asyncio.new_event_loop()
    try:
        url = loop.run_until_complete(schema.__aenter__())
        yield url
        loop.run_until_complete(schema.__aexit__(None, None, None))
    finally:
        loop.close()


@pytest.fixture
async def postgres_url(anyio_backend: str) -> AsyncIterator[str]:
    """The same, for async tests (anyio): a URL to a fresh schema."""
    async with postgres_schema() as url:
        yield url
