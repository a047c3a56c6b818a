"""Keeps the store's size bounded: old events, outcomes and firings are pruned."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from busway.clock import Clock
from busway.errors import StorageError
from busway.storage.base import Maintenance

_log = logging.getLogger("busway.janitor")


class Janitor:
    """Prunes in small batches, so no write holds the store for long."""

    def __init__(
        self,
        maintenance: Maintenance,
        *,
        clock: Clock,
        event_retention: timedelta,
        record_retention: timedelta = timedelta(days=7),
        interval_seconds: float = 60.0,
        batch: int = 5000,
    ) -> None:
        self._maintenance = maintenance
        self._clock = clock
        self._events = event_retention
        self._records = record_retention
        self._interval = interval_seconds
        self._batch = batch
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.sweep()
            except StorageError as exc:
                _log.warning("pruning the store failed (%s); trying again later", exc)
            except Exception:
                _log.exception("pruning the store failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    async def stop(self) -> None:
        self._stop.set()

    async def sweep(self) -> int:
        """Prune until nothing is left to prune; return how many rows went."""
        total = 0
        while True:
            now = self._clock.now()
            removed = await self._maintenance.prune(
                events_before=now - self._events,
                records_before=now - self._records,
                limit=self._batch,
            )
            total += removed
            if removed < self._batch:
                return total
            await asyncio.sleep(0)
