"""The MoveTaskStore contract (message move tasks), on every backend."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tests.storage.backends import Store

from busway.storage.base import NewMessage, Queue
from busway.storage.move_tasks import MoveTask

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ARN = "arn:aws:sqs:us-east-1:000000000000:"
LEASE = 30

pytestmark = pytest.mark.anyio


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def task(handle: str, *, source: str = "dlq", to_move: int = 3, **kwargs: object) -> MoveTask:
    """A task moving ``source``'s messages to the queue ``other``."""
    options: dict[str, object] = {
        "destination": "other",
        "destination_arn": ARN + "other",
        "rate": None,
        "started": T0,
        **kwargs,
    }
    return MoveTask(handle, source, to_move=to_move, **options)  # type: ignore[arg-type]


async def with_messages(store: Store, count: int) -> None:
    """Queues ``dlq`` (holding ``count`` messages) and ``other``."""
    for name in ("dlq", "other"):
        await store.queues.create_queue(Queue(name, ARN + name), now=T0)
    messages = [NewMessage(id=f"m{i}", body=str(i)) for i in range(count)]
    assert await store.queues.send("dlq", messages, now=T0)


async def bodies(store: Store, queue: str) -> list[str]:
    got = await store.queues.receive(queue, now=at(1000), limit=10, visibility_seconds=0)
    return sorted(m.body for m in got)


async def create(store: Store, new: MoveTask, *, node: str = "a", now: datetime = T0) -> bool:
    return await store.queues.create_move_task(new, node=node, now=now, lease_seconds=LEASE)


async def batch(
    store: Store, handle: str, *, node: str = "a", limit: int = 100, now: datetime = T0
) -> MoveTask | None:
    return await store.queues.move_task_batch(
        handle, node=node, limit=limit, now=now, lease_seconds=LEASE
    )


async def test_a_new_task_runs_on_its_node_under_a_lease(store: Store) -> None:
    assert await create(store, task("t1"), node="a", now=at(2))
    [listed] = await store.queues.list_move_tasks("dlq", limit=10)
    assert listed == task("t1", status="RUNNING", moved=0, runner="a", lease_until=at(2 + LEASE))
    assert listed.runs_on("a") and not listed.runs_on("b")


async def test_one_active_task_per_source(store: Store) -> None:
    assert await create(store, task("t1"))
    assert not await create(store, task("t2"), node="b")
    assert await create(store, task("t3", source="other-dlq"))
    assert [t.handle for t in await store.queues.list_move_tasks("dlq", limit=10)] == ["t1"]
    assert (await store.queues.cancel_move_task("t1")) is not None
    assert not await create(store, task("t4")), "a CANCELLING task is still active"
    await batch(store, "t1")
    assert await create(store, task("t5"))


async def test_starts_at_once_let_exactly_one_task_in(store: Store) -> None:
    starts = [create(store, task(f"t{i}"), node=f"n{i}") for i in range(6)]
    assert sorted(await asyncio.gather(*starts)) == [False] * 5 + [True]
    assert len(await store.queues.list_move_tasks("dlq", limit=10)) == 1


async def test_batches_move_messages_and_count_them_together(store: Store) -> None:
    await with_messages(store, 3)
    await create(store, task("t1", to_move=3))
    first = await batch(store, "t1", limit=2, now=at(5))
    assert first is not None
    assert (first.moved, first.status, first.lease_until) == (2, "RUNNING", at(5 + LEASE))
    assert await store.queues.list_move_tasks("dlq", limit=1) == [first]
    last = await batch(store, "t1", limit=2, now=at(6))
    assert last is not None
    assert (last.moved, last.status, last.lease_until) == (3, "COMPLETED", None)
    assert not last.runs_on("a")
    assert await bodies(store, "other") == ["0", "1", "2"]
    assert await bodies(store, "dlq") == []


async def test_a_task_moves_no_more_than_it_counted_at_the_start(store: Store) -> None:
    await with_messages(store, 4)
    await create(store, task("t1", to_move=2))
    done = await batch(store, "t1", limit=100)
    assert done is not None and (done.moved, done.status) == (2, "COMPLETED")
    assert await bodies(store, "dlq") == ["2", "3"]


async def test_a_source_that_runs_dry_completes_the_task(store: Store) -> None:
    await with_messages(store, 1)
    await create(store, task("t1", to_move=5))
    done = await batch(store, "t1", limit=3)
    assert done is not None and (done.moved, done.status) == (1, "COMPLETED")


async def test_without_destination_messages_go_back_where_they_came_from(store: Store) -> None:
    await store.queues.create_queue(Queue("dlq", ARN + "dlq"), now=T0)
    policy = '{"deadLetterTargetArn":"' + ARN + 'dlq","maxReceiveCount":1}'
    await store.queues.create_queue(Queue("q", ARN + "q", {"RedrivePolicy": policy}), now=T0)
    await store.queues.send("q", [NewMessage(id="m", body="again")], now=T0)
    await store.queues.receive("q", now=T0, limit=1, visibility_seconds=0)
    assert await store.queues.receive("q", now=at(1), limit=1) == []  # now in the DLQ
    await create(store, task("t1", to_move=1, destination=None, destination_arn=None))
    done = await batch(store, "t1", now=at(2))
    assert done is not None and (done.moved, done.status) == (1, "COMPLETED")
    assert await bodies(store, "q") == ["again"]


async def test_cancel_is_honoured_by_the_runner_at_its_next_batch(store: Store) -> None:
    await with_messages(store, 3)
    await create(store, task("t1"))
    await batch(store, "t1", limit=1)
    before = await store.queues.cancel_move_task("t1")
    assert before is not None and (before.status, before.moved) == ("RUNNING", 1)
    [cancelling] = await store.queues.list_move_tasks("dlq", limit=1)
    assert cancelling.status == "CANCELLING" and cancelling.runs_on("a")
    assert await batch(store, "t1", node="b") == cancelling, "not b's to run"
    after = await batch(store, "t1", limit=1)
    assert after is not None and (after.status, after.moved, after.lease_until) == (
        "CANCELLED",
        1,
        None,
    )
    again = await store.queues.cancel_move_task("t1")
    assert again is not None and again.status == "CANCELLED"
    assert await bodies(store, "dlq") == ["1", "2"]
    assert await store.queues.cancel_move_task("nope") is None


async def test_a_node_that_does_not_hold_the_task_moves_nothing(store: Store) -> None:
    await with_messages(store, 2)
    await create(store, task("t1"), node="a")
    untouched = await batch(store, "t1", node="b")
    assert untouched is not None and (untouched.moved, untouched.runner) == (0, "a")
    assert await bodies(store, "dlq") == ["0", "1"]
    assert await batch(store, "unknown") is None


async def test_an_expired_lease_lets_another_node_take_the_task_over(store: Store) -> None:
    await with_messages(store, 3)
    await create(store, task("t1"), node="a")
    claim = store.queues.claim_move_tasks
    assert await claim(node="b", now=at(LEASE - 1), lease_seconds=LEASE) == []
    [taken] = await claim(node="b", now=at(LEASE), lease_seconds=LEASE)
    assert (taken.handle, taken.runner, taken.lease_until) == ("t1", "b", at(2 * LEASE))
    late = await batch(store, "t1", node="a", now=at(LEASE + 1))
    assert late is not None and (late.runner, late.moved) == ("b", 0)
    done = await batch(store, "t1", node="b", now=at(LEASE + 1))
    assert done is not None and (done.status, done.moved) == ("COMPLETED", 3)
    assert await claim(node="c", now=at(10 * LEASE), lease_seconds=LEASE) == []


async def test_a_restarted_node_takes_back_its_own_tasks_at_once(store: Store) -> None:
    await create(store, task("mine"), node="a")
    await create(store, task("theirs", source="dlq2"), node="b")
    claim = store.queues.claim_move_tasks
    assert await claim(node="a", now=at(1), lease_seconds=LEASE) == []
    [own] = await claim(node="a", now=at(1), lease_seconds=LEASE, own=True)
    assert (own.handle, own.runner, own.lease_until) == ("mine", "a", at(1 + LEASE))


async def test_a_failure_is_recorded_by_the_runner_only(store: Store) -> None:
    await create(store, task("t1"), node="a")
    fail = store.queues.fail_move_task
    assert not await fail("t1", node="b", reason="ValueError: no")
    assert await fail("t1", node="a", reason="StorageError: gone")
    [failed] = await store.queues.list_move_tasks("dlq", limit=1)
    assert (failed.status, failed.failure, failed.lease_until) == (
        "FAILED",
        "StorageError: gone",
        None,
    )
    assert not await fail("t1", node="a", reason="again")
    assert await store.queues.claim_move_tasks(node="b", now=at(LEASE), lease_seconds=1) == []


async def test_the_latest_ten_tasks_are_kept_newest_first(store: Store) -> None:
    for i in range(12):
        assert await create(store, task(f"t{i:02}", to_move=0, started=at(i)), now=at(i))
        done = await batch(store, f"t{i:02}", now=at(i))
        assert done is not None and done.status == "COMPLETED"
    listed = await store.queues.list_move_tasks("dlq", limit=10)
    assert [t.handle for t in listed] == [f"t{i:02}" for i in range(11, 1, -1)]
    newest = await store.queues.list_move_tasks("dlq", limit=2)
    assert [t.started for t in newest] == [at(11), at(10)]
    assert await store.queues.list_move_tasks("elsewhere", limit=10) == []


async def test_a_stopping_node_lets_go_of_its_active_tasks_only(store: Store) -> None:
    await create(store, task("running"), node="a")
    await create(store, task("cancelling", source="dlq2"), node="a")
    await store.queues.cancel_move_task("cancelling")
    await create(store, task("theirs", source="dlq3"), node="b")
    await create(store, task("completed", source="dlq4", to_move=0), node="a")
    await batch(store, "completed")
    await create(store, task("cancelled", source="dlq5"), node="a")
    await store.queues.cancel_move_task("cancelled")
    await batch(store, "cancelled")
    await create(store, task("failed", source="dlq6"), node="a")
    await store.queues.fail_move_task("failed", node="a", reason="ValueError: no")
    before = await all_tasks(store)

    assert await store.queues.release_move_tasks(node="a") == 2

    after = await all_tasks(store)
    for handle in ("running", "cancelling"):
        assert after[handle] == replace(before[handle], runner=None, lease_until=None)
        assert not after[handle].runs_on("a")
    for handle in ("theirs", "completed", "cancelled", "failed"):
        assert after[handle] == before[handle]
    assert await store.queues.release_move_tasks(node="a") == 0


async def test_a_released_task_is_taken_over_before_its_lease_would_end(store: Store) -> None:
    await with_messages(store, 3)
    await create(store, task("t1"), node="a")
    await batch(store, "t1", limit=1)
    await store.queues.release_move_tasks(node="a")
    claim = store.queues.claim_move_tasks
    [taken] = await claim(node="b", now=at(1), lease_seconds=LEASE)
    assert (taken.handle, taken.runner, taken.moved) == ("t1", "b", 1)
    late = await batch(store, "t1", node="a", now=at(2))
    assert late is not None and (late.runner, late.moved) == ("b", 1)
    done = await batch(store, "t1", node="b", now=at(2))
    assert done is not None and (done.status, done.moved) == ("COMPLETED", 3)
    assert await bodies(store, "other") == ["0", "1", "2"]


async def all_tasks(store: Store) -> dict[str, MoveTask]:
    sources = ["dlq", *(f"dlq{n}" for n in range(2, 7))]
    found = [t for s in sources for t in await store.queues.list_move_tasks(s, limit=10)]
    return {t.handle: t for t in found}
