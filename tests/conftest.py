"""Fixtures every test folder may use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tests.mail import Mailbox, running_mailbox
from tests.servers import BuswayServer, Sink, start_busway, start_sink
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


# A real Busway server on loopback (SQLite file in the test's folder, or a PostgreSQL
# schema under BUSWAY_TEST_DATABASE=postgres), and an HTTP sink for its targets.
@pytest.fixture
def busway(tmp_path: Path) -> Iterator[BuswayServer]:
    server = start_busway(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = start_sink()
    yield server
    server.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback that keeps the mail it gets (tests/mail.py)."""
    with running_mailbox() as box:
        yield box
