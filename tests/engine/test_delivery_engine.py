"""The engine driven with a settable clock: no sleeping, no polling loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.engine.harness import Engine, scenario
from tests.servers import Sink

from busway.engine.dispatcher import Dispatcher


def test_a_retry_waits_for_its_backoff(tmp_path: Path, sink: Sink) -> None:
    answers = iter([500])
    sink.respond = lambda _: (next(answers, 200), {}, b"")

    async def body(engine: Engine) -> list[int]:
        await engine.route(sink.url)
        await engine.put()
        await engine.drain()
        counts = [len(sink.requests)]
        await engine.drain()
        counts.append(len(sink.requests))
        engine.clock.advance(1.0)
        await engine.drain()
        counts.append(len(sink.requests))
        counts.append(await engine.runtime.store.events.pending())
        return counts

    assert scenario(tmp_path, body) == [1, 1, 2, 0]


def test_an_event_too_old_is_given_up(tmp_path: Path, sink: Sink) -> None:
    sink.respond = lambda _: (503, {}, b"")

    async def body(engine: Engine) -> list[Any]:
        await engine.route(sink.url, retry_policy={"maximum_event_age_in_seconds": 60})
        await engine.put()
        await engine.drain()
        for _ in range(12):
            engine.clock.advance(30)
            await engine.drain()
        outcomes = await engine.runtime.store.events.outcomes()
        return [len(sink.requests) > 1, [o.outcome for o in outcomes]]

    tried_again, outcomes = scenario(tmp_path, body)
    assert tried_again
    assert outcomes == ["dropped"]


def test_a_removed_target_cancels_its_deliveries(tmp_path: Path, sink: Sink) -> None:
    sink.respond = lambda _: (503, {}, b"")

    async def body(engine: Engine) -> tuple[int, list[str]]:
        await engine.route(sink.url)
        await engine.put()
        await engine.drain()
        await engine.runtime.events.targets.remove(rule="r", ids=["t"])
        engine.clock.advance(5)
        await engine.drain()
        outcomes = await engine.runtime.store.events.outcomes()
        return len(sink.requests), [o.outcome for o in outcomes]

    assert scenario(tmp_path, body) == (1, ["cancelled"])


def test_deliveries_beyond_the_waiting_room_are_deferred_and_sent_once(
    tmp_path: Path, sink: Sink
) -> None:
    async def body(engine: Engine) -> tuple[int, list[str], int]:
        runtime = engine.runtime
        runtime.dispatcher = Dispatcher(
            log=runtime.store.events,
            router=runtime.router,
            senders=runtime.senders,
            clock=engine.clock,
            node=runtime.node,
            max_waiting=3,
        )
        await engine.route(sink.url)
        await engine.put(10)
        # The store now holds 7 of the 10 first attempts, given back unclaimed.
        await runtime.dispatcher.flush()
        unclaimed = await runtime.store.events.claim(
            now=engine.clock.now(), limit=100, lease_seconds=0, node="peek"
        )
        await runtime.store.events.defer([d.id for d in unclaimed], now=engine.clock.now())
        await engine.drain()
        ids = sorted(request.headers["webhook-id"] for request in sink.requests)
        return len(unclaimed), ids, await runtime.store.events.pending()

    deferred, ids, pending = scenario(tmp_path, body)
    assert deferred == 7
    assert len(ids) == len(set(ids)) == 10
    assert pending == 0
