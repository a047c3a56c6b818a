from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.servers import Sink, start_sink


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = start_sink()
    yield server
    server.stop()
