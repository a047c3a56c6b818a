"""The engine driven in-process with a settable clock: no sleeping, no polling loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tests.storage.backends import database_url_for

from busway.clock import SettableClock
from busway.config import Settings
from busway.runtime import Runtime

START = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)
ROLE = "arn:aws:iam::000000000000:role/r"
T = TypeVar("T")


class Engine:
    def __init__(self, folder: Path) -> None:
        self.clock = SettableClock(START)
        settings = Settings(database_url=database_url_for(folder), http_process="off")
        self.runtime = Runtime(settings, clock=self.clock)

    async def prepare(self) -> None:
        runtime = self.runtime
        await runtime.store.connect()
        await runtime.buses.ensure_default()
        await runtime.schedule_groups.ensure_default()
        await runtime.router.load()
        await runtime.directory.load()
        runtime.senders.webhook_secret = None

    async def route(self, url: str, **target: Any) -> None:
        """Rule ``r`` for source ``shop`` with one target ``t`` at ``url``."""
        services = self.runtime.events
        await services.rules.put(name="r", event_pattern='{"source": ["shop"]}')
        await services.targets.put(rule="r", targets=[{"id": "t", "arn": url, **target}])

    async def put(self, count: int = 1) -> None:
        entry = {"source": "shop", "detail_type": "x", "detail": "{}"}
        answer = await self.runtime.events.events.put(entries=[entry] * count)
        assert answer["failed_entry_count"] == 0

    async def drain(self) -> None:
        await self.runtime.dispatcher.run_until_idle()

    async def tick(self, seconds: float) -> None:
        """Move the clock, fire what is due, deliver what that produced."""
        self.clock.advance(seconds)
        await self.runtime.scheduler.run_until_idle()
        await self.runtime.dispatcher.run_until_idle()

    async def schedule(
        self, name: str, expression: str, target: dict[str, Any], **extra: Any
    ) -> None:
        await self.runtime.schedules.create(
            name=name,
            schedule_expression=expression,
            flexible_time_window={"mode": "OFF"},
            target={"role_arn": ROLE, **target},
            **extra,
        )

    async def close(self) -> None:
        await self.runtime.http.aclose()
        closed = self.runtime.store.close()
        if closed is not None:
            await closed


def scenario(folder: Path, body: Callable[[Engine], Awaitable[T]]) -> T:
    """Run ``body`` against a prepared engine on a fresh store in ``folder``."""

    async def run() -> T:
        engine = Engine(folder)
        await engine.prepare()
        try:
            return await body(engine)
        finally:
            await engine.close()

    return asyncio.run(run())
