"""The engine driven with a settable clock: no sleeping, no polling loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.servers import Sink, start_sink

from busway.clock import SettableClock
from busway.config import Settings
from busway.runtime import Runtime


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = start_sink()
    yield server
    server.stop()


class Engine:
    def __init__(self, folder: Path) -> None:
        self.clock = SettableClock(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
        self.runtime = Runtime(Settings(database_url=str(folder / "busway.db")), clock=self.clock)

    async def prepare(self) -> None:
        await self.runtime.buses.ensure_default()
        await self.runtime.router.load()
        await self.runtime.directory.load()
        self.runtime.senders.webhook_secret = None

    async def route(self, url: str, **target: Any) -> None:
        services = self.runtime.events
        await services.rules.put(name="r", event_pattern='{"source": ["shop"]}')
        await services.targets.put(rule="r", targets=[{"id": "t", "arn": url, **target}])

    async def put(self) -> None:
        entry = {"source": "shop", "detail_type": "x", "detail": "{}"}
        answer = await self.runtime.events.events.put(entries=[entry])
        assert answer["failed_entry_count"] == 0

    async def drain(self) -> None:
        await self.runtime.dispatcher.run_until_idle()

    async def close(self) -> None:
        await self.runtime.http.aclose()
        self.runtime.store.close()


def scenario(folder: Path, body: Any) -> Any:
    async def run() -> Any:
        engine = Engine(folder)
        await engine.prepare()
        try:
            return await body(engine)
        finally:
            await engine.close()

    return asyncio.run(run())


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
