"""Two nodes' schedulers, each with its own pool on one PostgreSQL database, racing over
the same 1,000 schedules: every occurrence fires exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from busway.arn import Scope
from busway.clock import SettableClock
from busway.engine.invocation import SCHEDULER_BUS
from busway.engine.router import Router
from busway.engine.scheduler import Scheduler
from busway.model import Delivery
from busway.storage.postgres import PostgresStore
from busway.storage.schedules import ScheduleRecord

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
# Each firing's invocation: an event on the scheduler's bus with one delivery, whose
# "rule" is the schedule's group/name.
INVOCATIONS = """
SELECT d.rule FROM deliveries AS d JOIN events AS e ON e.seq = d.event_seq WHERE e.bus = $1
"""
SCHEDULES = 1000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def record(i: int) -> ScheduleRecord:
    doc = {"schedule_expression": "rate(1 minute)", "target": {"arn": "http://127.0.0.1:9/"}}
    arn = f"arn:aws:scheduler:us-east-1:000000000000:schedule/g/s{i:04}"
    return ScheduleRecord("g", f"s{i:04}", arn, doc, due_at=T0, occurrence=T0, created=T0)


def scheduler(store: PostgresStore, clock: SettableClock, node: str) -> Scheduler:
    def hand_off(claimed: list[Delivery]) -> None:
        pass  # the deliveries stay in the log, where the test counts them

    return Scheduler(
        store=store.schedules,
        router=Router(store.catalog),
        scope=Scope(account="000000000000", region="us-east-1"),
        clock=clock,
        hand_off=hand_off,
        node=node,
        batch=100,  # small batches, so the two nodes interleave over the same rows
    )


async def test_two_nodes_fire_each_of_1000_occurrences_exactly_once(postgres_url: str) -> None:
    clock = SettableClock(T0)
    async with AsyncExitStack() as stack:
        stores = [await PostgresStore.open(postgres_url) for _ in range(2)]
        for store in stores:
            stack.push_async_callback(store.close)
        creates = (stores[0].schedules.create(record(i), now=T0) for i in range(SCHEDULES))
        await asyncio.gather(*creates)
        nodes = [scheduler(store, clock, f"n{i}") for i, store in enumerate(stores)]
        for minute in (1, 2):  # two occurrences of each schedule: T0 and T0 + 1 min
            await asyncio.gather(*(node.run_until_idle() for node in nodes))
            clock.set(T0 + timedelta(minutes=minute))
        async with stores[1].db.connection() as conn:
            rows = await conn.fetch(INVOCATIONS, SCHEDULER_BUS)
            firings = await conn.fetchval("SELECT count(*) FROM schedule_firings")
    fired = Counter(row[0] for row in rows)  # by schedule (group/name)
    assert firings == 2 * SCHEDULES
    assert len(fired) == SCHEDULES
    assert set(fired.values()) == {2}
