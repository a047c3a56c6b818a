from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.storage.backends import Store

from busway.model import Delivery
from busway.storage.base import Finished, NewEvent, RetryLater
from busway.storage.sqlite import SqliteStore

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


pytestmark = pytest.mark.anyio


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def event(event_id: str, *routes: tuple[str, str]) -> NewEvent:
    return NewEvent(event_id, "default", NOW, NOW, b'{"id":"%s"}' % event_id.encode(), routes)


async def append(store: Store, *events: NewEvent, node: str = "a") -> list[Delivery]:
    return await store.events.append(list(events), now=NOW, lease_seconds=60, node=node)


async def test_append_returns_first_attempts_already_claimed(store: Store) -> None:
    async def scenario() -> tuple[list[Delivery], list[Delivery], int]:
        claimed = await append(store, event("e1", ("r", "t1"), ("r", "t2")), event("e2"))
        again = await store.events.claim(now=NOW, limit=10, lease_seconds=60, node="b")
        return claimed, again, await store.events.pending()

    claimed, again, pending = await scenario()
    assert [(d.event_id, d.target_id, d.attempt) for d in claimed] == [
        ("e1", "t1", 1),
        ("e1", "t2", 1),
    ]
    assert claimed[0].body == b'{"id":"e1"}'
    assert again == []
    assert pending == 2


async def test_an_expired_lease_lets_another_node_claim(store: Store) -> None:
    async def scenario() -> list[Delivery]:
        await append(store, event("e1", ("r", "t")))
        return await store.events.claim(
            now=NOW + timedelta(seconds=61), limit=10, lease_seconds=60, node="b"
        )

    (reclaimed,) = await scenario()
    assert (reclaimed.event_id, reclaimed.attempt) == ("e1", 2)


async def test_release_makes_a_dead_nodes_claims_due_now(store: Store) -> None:
    async def scenario() -> tuple[int, list[Delivery]]:
        await append(store, event("e1", ("r", "t")), node="a")
        released = await store.events.release("a", now=NOW)
        return released, await store.events.claim(now=NOW, limit=10, lease_seconds=60, node="a")

    released, claimed = await scenario()
    assert released == 1
    assert [d.event_id for d in claimed] == ["e1"]


async def test_retry_waits_until_its_time(store: Store) -> None:
    later = NOW + timedelta(seconds=30)

    async def scenario() -> tuple[list[Delivery], list[Delivery]]:
        (first,) = await append(store, event("e1", ("r", "t")))
        await store.events.retry([RetryLater(first.id, later, "THROTTLING: slow down")])
        early = await store.events.claim(
            now=later - timedelta(seconds=1), limit=10, lease_seconds=60, node="a"
        )
        due = await store.events.claim(now=later, limit=10, lease_seconds=60, node="a")
        return early, due

    early, due = await scenario()
    assert early == []
    assert [d.attempt for d in due] == [2]


async def test_finish_removes_and_records_what_failed(store: Store) -> None:
    async def scenario() -> tuple[int, list[Finished]]:
        ok, bad = await append(store, event("e1", ("r", "t1"), ("r", "t2")))
        await store.events.finish(
            [Finished(ok.id, "delivered"), Finished(bad.id, "dead-lettered", "TIMEOUT: slow")],
            now=NOW,
        )
        return await store.events.pending(), await store.events.outcomes()

    pending, outcomes = await scenario()
    assert pending == 0
    assert [(o.outcome, o.error) for o in outcomes] == [("dead-lettered", "TIMEOUT: slow")]


def test_an_acknowledged_append_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "busway.db"
    first = SqliteStore(path)
    run(append(first, event("e1", ("r", "t"))))
    first.close()
    second = SqliteStore(path)
    try:
        assert run(second.events.pending()) == 1
    finally:
        second.close()


async def test_concurrent_appends_share_commits_and_all_land(store: Store) -> None:
    async def scenario() -> int:
        await asyncio.gather(*(append(store, event(f"e{i}", ("r", "t"))) for i in range(300)))
        return await store.events.pending()

    assert await scenario() == 300


async def test_deferred_claims_come_back_as_their_first_attempt(store: Store) -> None:
    later = NOW + timedelta(seconds=5)

    async def scenario() -> tuple[list[Delivery], list[Delivery]]:
        first, _ = await append(store, event("e1", ("r", "t1"), ("r", "t2")))
        await store.events.defer([first.id], now=later)
        early = await store.events.claim(now=NOW, limit=10, lease_seconds=60, node="b")
        due = await store.events.claim(now=later, limit=10, lease_seconds=60, node="b")
        return early, due

    early, due = await scenario()
    assert early == []
    assert [(d.event_id, d.target_id, d.attempt) for d in due] == [("e1", "t1", 1)]
    assert due[0].body == b'{"id":"e1"}'


async def test_appends_made_together_each_get_their_own_deliveries(store: Store) -> None:
    async def scenario() -> list[list[Delivery]]:
        return list(
            await asyncio.gather(
                *(append(store, event(f"e{i}", ("r", "t1"), ("r", "t2"))) for i in range(60))
            )
        )

    results = await scenario()
    for i, deliveries in enumerate(results):
        assert [(d.event_id, d.target_id, d.attempt) for d in deliveries] == [
            (f"e{i}", "t1", 1),
            (f"e{i}", "t2", 1),
        ]
    assert len({d.id for deliveries in results for d in deliveries}) == 120


def test_appends_to_a_closed_store_fail_and_never_hang(tmp_path: Path) -> None:
    from busway.errors import StorageError

    store = SqliteStore(tmp_path / "busway.db")
    store.close()

    async def scenario() -> list[BaseException | list[Delivery]]:
        calls = [append(store, event(f"e{i}", ("r", "t"))) for i in range(3)]
        return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)

    outcomes = run(scenario())
    assert all(isinstance(outcome, StorageError) for outcome in outcomes), outcomes
