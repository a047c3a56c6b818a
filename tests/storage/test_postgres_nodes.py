"""PostgreSQL only: several nodes (each its own PostgresStore, so its own pool) sharing
one database, and appends that share commits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from busway.errors import StorageError
from busway.storage.base import NewEvent, NewMessage, Queue
from busway.storage.postgres import PostgresStore
from busway.storage.postgres.queries import load_migrations
from busway.storage.schedules import Firing, ScheduleRecord

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=61)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def nodes(postgres_url: str) -> AsyncIterator[list[PostgresStore]]:
    """Three nodes that started at the same moment on an empty schema."""
    async with AsyncExitStack() as stack:
        opened = await asyncio.gather(*(PostgresStore.open(postgres_url) for _ in range(3)))
        for node in opened:
            stack.push_async_callback(node.close)
        yield list(opened)


def event(event_id: str, routes: int = 1) -> NewEvent:
    targets = tuple(("r", f"t{i}") for i in range(routes))
    return NewEvent(event_id, "default", T0, T0, b"{}", targets)


async def test_nodes_starting_together_migrate_once(nodes: list[PostgresStore]) -> None:
    async with nodes[0].db.connection() as conn:
        versions = [row[0] for row in await conn.fetch("SELECT version FROM schema_version")]
    assert versions == [version for version, _ in load_migrations()]


async def test_nodes_claiming_at_once_get_disjoint_deliveries(
    nodes: list[PostgresStore],
) -> None:
    events = [event(f"e{i}", routes=2) for i in range(100)]
    await nodes[0].events.append(events, now=T0, lease_seconds=60, node="gone")
    claims = [
        node.events.claim(now=LATER, limit=7, lease_seconds=60, node=f"n{i}")
        for i, node in enumerate(nodes * 12)
    ]
    claimed = [d.id for batch in await asyncio.gather(*claims) for d in batch]
    assert len(claimed) == len(set(claimed)) == 200


async def test_an_acknowledged_append_is_seen_by_every_node(
    nodes: list[PostgresStore], postgres_url: str
) -> None:
    await nodes[0].events.append([event("e1")], now=T0, lease_seconds=60, node="a")
    await nodes[0].close()
    reopened = await PostgresStore.open(postgres_url)
    try:
        assert await reopened.events.pending() == 1
        assert await nodes[1].events.pending() == 1
    finally:
        await reopened.close()


def schedule(name: str) -> ScheduleRecord:
    return ScheduleRecord("g", name, f"arn:s/{name}", {}, due_at=T0, occurrence=T0)


async def test_nodes_firing_one_occurrence_produce_its_events_once(
    nodes: list[PostgresStore],
) -> None:
    names = [f"s{i:02}" for i in range(20)]
    for name in names:
        await nodes[0].schedules.create(schedule(name), now=T0)
    due = await nodes[0].schedules.due(now=T0, limit=100)
    nxt = T0 + timedelta(minutes=1)
    firings = [Firing(r, [event(f"{r.name}-at-T0")], nxt, nxt) for r in due]
    # Overlapping batches in different orders: the store must not deadlock on them.
    batches = [firings, firings[::-1], firings[5:], firings[:12]]
    fired = await asyncio.gather(
        *(
            node.schedules.fire(batch, now=T0, lease_seconds=60, node=f"n{i}")
            for i, (node, batch) in enumerate(zip(nodes * 2, batches * 2, strict=False))
        )
    )
    produced = sorted(d.event_id for deliveries in fired for d in deliveries)
    assert produced == sorted(f"{name}-at-T0" for name in names)
    assert await nodes[1].events.pending() == 20
    assert await nodes[2].schedules.due(now=T0, limit=100) == []


async def test_nodes_receiving_from_one_queue_get_disjoint_messages(
    nodes: list[PostgresStore],
) -> None:
    await nodes[0].queues.create_queue(Queue("q", "arn:aws:sqs:us-east-1:0:q"), now=T0)
    messages = [NewMessage(id=f"m{i}", body=str(i)) for i in range(60)]
    assert await nodes[0].queues.send("q", messages, now=T0)
    receives = [node.queues.receive("q", now=T0, limit=4) for node in nodes * 6]
    got = [m.id for batch in await asyncio.gather(*receives) for m in batch]
    assert len(got) == len(set(got)) == 60


async def test_nodes_purging_one_queue_at_once_purge_it_once(nodes: list[PostgresStore]) -> None:
    await nodes[0].queues.create_queue(Queue("q", "arn:aws:sqs:us-east-1:0:q"), now=T0)
    purges = [node.queues.purge("q", now=T0, interval_seconds=60) for node in nodes * 4]
    assert sorted(await asyncio.gather(*purges)) == [False] * 11 + [True]
    assert not await nodes[1].queues.purge("q", now=T0 + timedelta(seconds=59), interval_seconds=60)
    assert await nodes[2].queues.purge("q", now=T0 + timedelta(seconds=60), interval_seconds=60)


async def test_appends_sharing_a_commit_keep_their_own_deliveries(
    nodes: list[PostgresStore],
) -> None:
    log = nodes[0].events
    calls = [
        log.append(
            [event(f"c{i}-a", routes=i % 3), event(f"c{i}-b", 1)],
            now=T0,
            lease_seconds=60,
            node=f"n{i % 4}",
        )
        for i in range(200)
    ]
    results = await asyncio.gather(*calls)
    for i, deliveries in enumerate(results):
        expected = [f"c{i}-a"] * (i % 3) + [f"c{i}-b"]
        assert [d.event_id for d in deliveries] == expected
    released = [await log.release(f"n{k}", now=T0) for k in range(4)]
    assert released == [sum(i % 3 + 1 for i in range(200) if i % 4 == k) for k in range(4)]


async def test_a_bad_append_fails_alone(nodes: list[PostgresStore]) -> None:
    log = nodes[0].events
    good = [log.append([event(f"e{i}")], now=T0, lease_seconds=60, node="a") for i in range(20)]
    bad = log.append([event("nul\x00")], now=T0, lease_seconds=60, node="a")
    *landed, failed = await asyncio.gather(*good, bad, return_exceptions=True)
    assert isinstance(failed, StorageError)
    assert all(isinstance(result, list) for result in landed)
    assert await log.pending() == 20
