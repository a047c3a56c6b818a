from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.servers import BuswayServer, Sink, start_busway, start_sink


@pytest.fixture
def busway(tmp_path: Path) -> Iterator[BuswayServer]:
    server = start_busway(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def events(busway: BuswayServer) -> Any:
    return busway.client("events")


@pytest.fixture
def sqs(busway: BuswayServer) -> Any:
    return busway.client("sqs")


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = start_sink()
    yield server
    server.stop()
