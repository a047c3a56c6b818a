"""The ScheduleStore contract, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.storage.backends import Store

from busway.storage.base import NewEvent
from busway.storage.schedules import Firing, ScheduleRecord

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ARN = "arn:aws:scheduler:us-east-1:000000000000:schedule/"

pytestmark = pytest.mark.anyio


def schedule(group: str, name: str, due: datetime | None = T0, **doc: object) -> ScheduleRecord:
    return ScheduleRecord(group, name, f"{ARN}{group}/{name}", doc, due_at=due, occurrence=due)


def event(event_id: str) -> NewEvent:
    return NewEvent(event_id, "scheduler", T0, T0, b"{}", (("g/s", "t"),))


async def test_create_get_and_replace_keep_creation_time(store: Store) -> None:
    assert await store.schedules.create(schedule("g", "s", at=T0), now=T0)
    assert not await store.schedules.create(schedule("g", "s"), now=T0)
    later = T0 + timedelta(hours=1)
    assert await store.schedules.replace(schedule("g", "s", v=2), now=later)
    assert not await store.schedules.replace(schedule("g", "absent"), now=later)
    found = await store.schedules.get("g", "s")
    assert found is not None
    assert (found.doc, found.created, found.modified) == ({"v": 2}, T0, later)
    assert await store.schedules.count() == 1


async def test_find_by_group_prefix_enabled_and_after(store: Store) -> None:
    for group, name in [("b", "x1"), ("a", "x2"), ("a", "y"), ("a", "x1")]:
        await store.schedules.create(schedule(group, name), now=T0)
    await store.schedules.replace(
        ScheduleRecord("a", "x2", ARN, {}, enabled=False, due_at=T0, occurrence=T0), now=T0
    )
    find = store.schedules.find
    assert [r.key for r in await find()] == ["a/x1", "a/x2", "a/y", "b/x1"]
    assert [r.key for r in await find(group="a", prefix="x")] == ["a/x1", "a/x2"]
    assert [r.key for r in await find(enabled=True, after="a/x1", limit=2)] == ["a/y", "b/x1"]


async def test_due_is_earliest_first_and_skips_disabled_and_finished(store: Store) -> None:
    await store.schedules.create(schedule("g", "late", T0 + timedelta(seconds=5)), now=T0)
    await store.schedules.create(schedule("g", "early", T0 - timedelta(seconds=5)), now=T0)
    await store.schedules.create(schedule("g", "never", None), now=T0)
    off = ScheduleRecord("g", "off", ARN, {}, enabled=False, due_at=T0, occurrence=T0)
    await store.schedules.create(off, now=T0)
    due = await store.schedules.due(now=T0 + timedelta(seconds=5), limit=10)
    assert [r.name for r in due] == ["early", "late"]
    assert await store.schedules.due(now=T0, limit=1) == [due[0]]
    assert await store.schedules.next_due() == T0 - timedelta(seconds=5)


async def test_fire_appends_once_per_occurrence_and_moves_on(store: Store) -> None:
    await store.schedules.create(schedule("g", "s"), now=T0)
    (record,) = await store.schedules.due(now=T0, limit=10)
    following = T0 + timedelta(minutes=1)
    firing = Firing(record, [event("e1")], following, following)
    claimed = await store.schedules.fire([firing], now=T0, lease_seconds=60, node="a")
    again = await store.schedules.fire([firing], now=T0, lease_seconds=60, node="a")
    assert [(d.event_id, d.attempt) for d in claimed] == [("e1", 1)]
    assert again == []
    assert await store.events.pending() == 1
    moved = await store.schedules.get("g", "s")
    assert moved is not None and (moved.due_at, moved.occurrence) == (following, following)


async def test_fire_leaves_a_schedule_changed_since_it_was_read(store: Store) -> None:
    await store.schedules.create(schedule("g", "s"), now=T0)
    await store.schedules.create(schedule("g", "done"), now=T0)
    done, stale = sorted(await store.schedules.due(now=T0, limit=10), key=lambda r: r.name)
    await store.schedules.replace(schedule("g", "s", v=2), now=T0 + timedelta(seconds=1))
    firings = [
        Firing(stale, [], T0 + timedelta(hours=1), T0 + timedelta(hours=1)),
        Firing(done, [], delete=True),
    ]
    await store.schedules.fire(firings, now=T0, lease_seconds=60, node="a")
    kept = await store.schedules.get("g", "s")
    assert kept is not None and (kept.doc, kept.due_at) == ({"v": 2}, T0)
    assert await store.schedules.get("g", "done") is None


async def test_delete_and_delete_group(store: Store) -> None:
    for group, name in [("a", "1"), ("a", "2"), ("b", "1")]:
        await store.schedules.create(schedule(group, name), now=T0)
    assert await store.schedules.delete("b", "1")
    assert not await store.schedules.delete("b", "1")
    assert await store.schedules.delete_group("a") == 2
    assert await store.schedules.count() == 0
    assert await store.schedules.next_due() is None
