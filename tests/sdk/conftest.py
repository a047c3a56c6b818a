from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import BuswayServer, Sink, start_busway, start_sink


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
