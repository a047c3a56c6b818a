from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.storage.backends import Store, event_ids

from busway.storage.base import Finished, NewEvent

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def event(event_id: str, at: datetime, *routes: tuple[str, str]) -> NewEvent:
    return NewEvent(event_id, "default", at, at, b"{}", routes)


async def test_prune_keeps_what_pending_deliveries_need(store: Store) -> None:
    async def scenario() -> int:
        old = NOW - timedelta(days=2)
        append = store.events.append
        (done,) = await append([event("e1", old, ("r", "t"))], now=old, lease_seconds=60, node="a")
        await append([event("e2", old)], now=old, lease_seconds=60, node="a")
        await append([event("e3", old, ("r", "t"))], now=old, lease_seconds=60, node="a")
        await append([event("e4", old)], now=old, lease_seconds=60, node="a")
        await append([event("e5", NOW)], now=NOW, lease_seconds=60, node="a")
        await store.events.finish([Finished(done.id, "failed", "x")], now=old)
        return await store.maintenance.prune(
            events_before=NOW - timedelta(days=1), records_before=NOW, limit=100
        )

    removed = await scenario()
    assert await event_ids(store) == ["e3", "e4", "e5"]
    assert removed == 3  # e1, e2 and e1's recorded outcome
