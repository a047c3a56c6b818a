"""The QueueStore contract, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tests.storage.backends import Store

from busway.storage.base import HandleState, NewMessage, Queue

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ARN = "arn:aws:sqs:us-east-1:000000000000:"

pytestmark = pytest.mark.anyio


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def make(store: Store, name: str, **attributes: str) -> Queue:
    queue, _ = await store.queues.create_queue(Queue(name, ARN + name, attributes), now=T0)
    return queue


def message(body: str, **kwargs: object) -> NewMessage:
    return NewMessage(id=f"id-{body}", body=body, **kwargs)  # type: ignore[arg-type]


async def test_create_is_insert_once_and_answers_the_stored_queue(store: Store) -> None:
    first, created = await store.queues.create_queue(
        Queue("q", ARN + "q", {"VisibilityTimeout": "5"}, {"team": "a"}), now=T0
    )
    again, created_again = await store.queues.create_queue(Queue("q", ARN + "q"), now=at(9))
    assert (created, created_again) == (True, False)
    assert again.attributes == {"VisibilityTimeout": "5"}
    assert again.tags == {"team": "a"}
    assert again.created == T0 == first.created


async def test_list_by_prefix_after_and_limit(store: Store) -> None:
    for name in ["b1", "a1", "b2", "b3"]:
        await make(store, name)
    found = await store.queues.list_queues(prefix="b", after="b1", limit=5)
    assert [q.name for q in found] == ["b2", "b3"]
    assert [q.name for q in await store.queues.list_queues(limit=2)] == ["a1", "b1"]


async def test_receive_hides_for_the_visibility_timeout(store: Store) -> None:
    await make(store, "q", VisibilityTimeout="10")
    assert await store.queues.send("q", [message("a"), message("b")], now=T0)
    got = await store.queues.receive("q", now=at(1), limit=10)
    assert [m.body for m in got] == ["a", "b"]
    assert [m.receive_count for m in got] == [1, 1]
    assert await store.queues.receive("q", now=at(10.9), limit=10) == []
    again = await store.queues.receive("q", now=at(11), limit=1)
    assert [(m.body, m.receive_count) for m in again] == [("a", 2)]
    assert again[0].first_received == at(1)
    assert again[0].receipt_handle != got[0].receipt_handle


async def test_send_to_a_missing_queue_stores_nothing(store: Store) -> None:
    assert not await store.queues.send("nope", [message("a")], now=T0)


async def test_delay_counts_and_retention(store: Store) -> None:
    await make(store, "q", DelaySeconds="5", MessageRetentionPeriod="60")
    await store.queues.send("q", [message("late"), message("now", delay_seconds=0)], now=T0)
    counts = await store.queues.counts("q", now=at(1))
    assert (counts.visible, counts.in_flight, counts.delayed) == (1, 0, 1)
    await store.queues.receive("q", now=at(1), limit=1, visibility_seconds=100)
    counts = await store.queues.counts("q", now=at(2))
    assert (counts.visible, counts.in_flight, counts.delayed) == (0, 1, 1)
    assert [m.body for m in await store.queues.receive("q", now=at(5), limit=5)] == ["late"]
    await store.queues.send("q", [message("old")], now=at(10))
    assert await store.queues.receive("q", now=at(70), limit=5) == []


async def test_delete_needs_the_latest_handle(store: Store) -> None:
    await make(store, "q", VisibilityTimeout="1")
    await store.queues.send("q", [message("a")], now=T0)
    [old] = await store.queues.receive("q", now=T0, limit=1)
    [new] = await store.queues.receive("q", now=at(2), limit=1)
    states = await store.queues.delete_messages(
        "q", [old.receipt_handle, "garbage", new.receipt_handle, new.receipt_handle]
    )
    assert states == [HandleState.STALE, HandleState.INVALID, HandleState.DONE, HandleState.STALE]
    assert await store.queues.receive("q", now=at(10), limit=1) == []


async def test_change_visibility(store: Store) -> None:
    await make(store, "q")
    await store.queues.send("q", [message("a")], now=T0)
    [got] = await store.queues.receive("q", now=T0, limit=1)
    changes = [(got.receipt_handle, 0)]
    assert await store.queues.change_visibility("q", changes, now=at(1)) == [HandleState.DONE]
    [again] = await store.queues.receive("q", now=at(1), limit=1)
    too_long = [(again.receipt_handle, 43_200)]
    assert await store.queues.change_visibility("q", too_long, now=at(2)) == [HandleState.TOO_LONG]
    assert await store.queues.change_visibility("q", changes, now=at(2)) == [HandleState.STALE]


async def test_redrive_moves_over_received_messages_on_the_next_receive(
    store: Store,
) -> None:
    await make(store, "dlq")
    policy = '{"deadLetterTargetArn":"' + ARN + 'dlq","maxReceiveCount":2}'
    await make(store, "q", VisibilityTimeout="1", RedrivePolicy=policy)
    attributes = {"k": {"data_type": "String", "string_value": "v"}}
    await store.queues.send("q", [message("a", attributes=attributes)], now=T0)
    assert len(await store.queues.receive("q", now=at(0), limit=1)) == 1
    assert len(await store.queues.receive("q", now=at(2), limit=1)) == 1
    assert await store.queues.receive("q", now=at(4), limit=1) == []
    [moved] = await store.queues.receive("dlq", now=at(4), limit=1)
    assert (moved.id, moved.body, moved.attributes) == ("id-a", "a", attributes)
    assert moved.sent == T0


async def purge(store: Store, name: str, seconds: float) -> bool | None:
    return await store.queues.purge(name, now=at(seconds), interval_seconds=60)


async def test_purge_and_delete_queue(store: Store) -> None:
    await make(store, "q")
    await store.queues.send("q", [message("a")], now=T0)
    assert await purge(store, "q", 0)
    assert await store.queues.receive("q", now=at(1), limit=1) == []
    assert await store.queues.delete_queue("q")
    assert await store.queues.get_queue("q") is None
    assert await purge(store, "q", 120) is None
    assert not await store.queues.delete_queue("q")


async def test_purge_at_most_once_per_interval(store: Store) -> None:
    await make(store, "q")
    await make(store, "other")
    assert await purge(store, "q", 0)
    await store.queues.send("q", [message("kept")], now=at(1))
    assert await purge(store, "q", 59.9) is False
    assert [m.body for m in await store.queues.receive("q", now=at(2), limit=1)] == ["kept"]
    assert await purge(store, "other", 30)
    assert await purge(store, "q", 60)
    assert await store.queues.receive("q", now=at(200), limit=1) == []
    assert not await purge(store, "q", 119)


async def test_purges_at_once_let_exactly_one_in(store: Store) -> None:
    await make(store, "q")
    purged = await asyncio.gather(*(purge(store, "q", 0) for _ in range(8)))
    assert sorted(purged) == [False] * 7 + [True]


async def test_a_queue_made_again_may_be_purged_at_once(store: Store) -> None:
    await make(store, "q")
    assert await purge(store, "q", 0)
    assert await store.queues.delete_queue("q")
    await make(store, "q")
    assert await purge(store, "q", 1)


async def test_set_attributes_and_tags(store: Store) -> None:
    await make(store, "q")
    assert await store.queues.set_queue_attributes("q", {"DelaySeconds": "3"}, now=at(5))
    assert await store.queues.set_queue_tags("q", {"a": "b"})
    queue = await store.queues.get_queue("q")
    assert queue is not None
    assert (queue.attributes, queue.tags, queue.modified) == (
        {"DelaySeconds": "3"},
        {"a": "b"},
        at(5),
    )
    assert not await store.queues.set_queue_attributes("x", {}, now=at(5))


async def test_watch_is_set_by_a_send(store: Store) -> None:
    await make(store, "q")
    arrival = store.queues.watch("q")
    assert not arrival.is_set()
    await store.queues.send("q", [message("a")], now=T0)
    await asyncio.wait_for(arrival.wait(), 1)
