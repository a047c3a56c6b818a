from __future__ import annotations

from typing import Any

import pytest
from tests.servers import BuswayServer


@pytest.fixture
def events(busway: BuswayServer) -> Any:
    return busway.client("events")


@pytest.fixture
def sqs(busway: BuswayServer) -> Any:
    return busway.client("sqs")
