"""PostgreSQL only: NOTIFY/LISTEN wake-ups between nodes, and a store that outlives its
database going away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import asyncpg  # type: ignore[import-untyped]
import pytest
from tests.storage.cluster import Cluster, temporary_cluster

from busway.errors import StoreUnavailableError
from busway.storage.base import NewEvent, NewMessage, Queue, Resource
from busway.storage.postgres import PostgresStore
from busway.storage.schedules import ScheduleRecord

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.anyio


async def opened(url: str, stack: AsyncExitStack, **options: bool) -> PostgresStore:
    store = await PostgresStore.open(url, **options)
    stack.push_async_callback(store.close)
    return store


async def listening(store: PostgresStore) -> PostgresStore:
    store.listen()
    assert store.hints is not None
    await asyncio.wait_for(store.hints.listening.wait(), 5)
    return store


async def test_a_send_on_one_node_wakes_a_long_poll_on_another(postgres_url: str) -> None:
    async with AsyncExitStack() as stack:
        sender = await opened(postgres_url, stack)
        receiver = await listening(await opened(postgres_url, stack))
        await sender.queues.create_queue(Queue("jobs", "arn:aws:sqs:us-east-1:0:jobs"), now=T0)
        arrival = receiver.queues.watch("jobs")
        assert await sender.queues.send("jobs", [NewMessage("m1", "hello")], now=T0)
        # Well under the 1 s a long poll re-checks on its own.
        await asyncio.wait_for(arrival.wait(), 0.5)


async def test_catalog_and_schedule_changes_reach_the_other_nodes_callbacks(
    postgres_url: str,
) -> None:
    heard: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    async with AsyncExitStack() as stack:
        writer = await opened(postgres_url, stack)
        reader = await opened(postgres_url, stack)
        assert reader.hints is not None
        for topic in ("catalog", "schedules"):
            reader.hints.on(topic, lambda name, topic=topic: heard.put_nowait((topic, name)))
        await listening(reader)
        await _drain(heard)  # the wake-up every (re)connection gives
        await writer.catalog.put(Resource("rule", "default", "r", "arn:r", {}), now=T0)
        assert await asyncio.wait_for(heard.get(), 2) == ("catalog", "rule")
        record = ScheduleRecord("g", "s", "arn:s", {}, due_at=T0, occurrence=T0)
        assert await writer.schedules.create(record, now=T0)
        assert await asyncio.wait_for(heard.get(), 2) == ("schedules", "")


async def test_poll_only_stores_send_no_notification(postgres_url: str) -> None:
    async with AsyncExitStack() as stack:
        quiet = await opened(postgres_url, stack, notify=False)
        loud = await opened(postgres_url, stack)
        assert quiet.hints is None
        for store in (quiet, loud):
            await store.queues.create_queue(Queue(f"q{id(store)}", "arn:q"), now=T0)
        spy = await asyncpg.connect(postgres_url)
        stack.push_async_callback(spy.close)
        payloads: asyncio.Queue[str] = asyncio.Queue()
        await spy.add_listener("busway", lambda *args: payloads.put_nowait(args[-1]))
        await quiet.queues.send(f"q{id(quiet)}", [NewMessage("m", "x")], now=T0)
        await loud.queues.send(f"q{id(loud)}", [NewMessage("m", "x")], now=T0)
        # Notifications arrive in commit order: the first one heard is the loud store's.
        assert await asyncio.wait_for(payloads.get(), 2) == f"queue\tq{id(loud)}"


async def _drain(queue: asyncio.Queue[tuple[str, str]]) -> None:
    await asyncio.sleep(0)
    while not queue.empty():
        queue.get_nowait()


# --- the database going away ---------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with temporary_cluster() as made:
        yield made


@pytest.fixture
async def store_on_cluster(cluster: Cluster) -> AsyncIterator[PostgresStore]:
    store = await PostgresStore.open(cluster.url)
    yield store
    await store.close()


def event(event_id: str) -> NewEvent:
    return NewEvent(event_id, "default", T0, T0, b"{}", (("r", "t"),))


async def test_a_store_fails_fast_while_the_database_is_down_and_recovers(
    cluster: Cluster, store_on_cluster: PostgresStore
) -> None:
    log = store_on_cluster.events
    await log.append([event("before")], now=T0, lease_seconds=60, node="a")
    cluster.crash()
    during = log.append([event("during")], now=T0, lease_seconds=60, node="a")
    with pytest.raises(StoreUnavailableError):
        await asyncio.wait_for(during, 10)
    with pytest.raises(StoreUnavailableError):
        await asyncio.wait_for(log.pending(), 10)
    cluster.start()
    # The pool drops the dead connections and makes new ones: no restart needed.
    await _eventually(lambda: log.append([event("after")], now=T0, lease_seconds=60, node="a"))
    assert await log.pending() == 2


async def test_the_listener_reconnects_after_the_database_restarts(
    cluster: Cluster, store_on_cluster: PostgresStore
) -> None:
    queues = store_on_cluster.queues
    await queues.create_queue(Queue("jobs", "arn:jobs"), now=T0)
    async with AsyncExitStack() as stack:
        receiver = await listening(await opened(cluster.url, stack))
        assert receiver.hints is not None
        cluster.crash()
        await _until(lambda: not receiver.hints.listening.is_set())  # type: ignore[union-attr]
        cluster.start()
        await asyncio.wait_for(receiver.hints.listening.wait(), 15)
        arrival = receiver.queues.watch("jobs")
        await _eventually(lambda: queues.send("jobs", [NewMessage("m", "x")], now=T0))
        await asyncio.wait_for(arrival.wait(), 2)


async def _eventually(attempt: object, *, seconds: float = 15) -> None:
    """Retry ``attempt()`` while the store says the database is unavailable."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            await attempt()  # type: ignore[operator]
            return
        except StoreUnavailableError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def _until(condition: object, *, seconds: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.05)
