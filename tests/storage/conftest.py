"""One storage suite for every backend (only SQLite so far)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from busway.storage.sqlite import SqliteStore


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "busway.db")
    yield opened
    opened.close()
