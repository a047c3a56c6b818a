"""Notices control-plane changes made through other nodes sharing the store.

Each node keeps its routes in memory and rebuilds them when a change passes through it.
Changes made through another node reach this one by polling: per bus, the count and
latest modification time of its rules and targets; a bus whose figures moved is
rebuilt. The same for API destinations and connections. A store that can tell of
other nodes' changes (PostgreSQL's NOTIFY) calls ``poke`` to look at once; the timer
stays the guarantee.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from busway.engine.directory import Directory
from busway.engine.router import Router
from busway.errors import StorageError
from busway.storage.base import Catalog

_log = logging.getLogger("busway.watch")
# Pokes closer together than this share one look: a burst of PutRule on another node
# costs this node a few syncs, not one per change.
MIN_GAP_SECONDS = 0.05
# After a failed look (database down), wait longer each time, up to this.
MOST_BACKOFF_SECONDS = 10.0
Snapshot = dict[str, tuple[tuple[int, float], ...]]


class CatalogWatch:
    def __init__(self, catalog: Catalog, *, router: Router, directory: Directory) -> None:
        self._catalog = catalog
        self._router = router
        self._directory = directory
        self._buses: Snapshot | None = None
        self._destinations: tuple[tuple[str, tuple[int, float]], ...] | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    async def sync(self) -> set[str]:
        """Rebuild what changed since the last call; the buses that were rebuilt."""
        changed = await self._sync_buses()
        await self._sync_destinations()
        return changed

    async def run(self, *, interval_seconds: float = 1.0) -> None:
        """Sync every ``interval_seconds``, at once when poked; survive failures."""
        failures = 0
        while not self._stopping:
            try:
                await self.sync()
                failures = 0
            except Exception as exc:
                failures += 1
                if failures == 1:  # a database outage is one line, a bug its trace
                    trace = not isinstance(exc, StorageError)
                    _log.warning("checking the catalog failed (%s); retrying", exc, exc_info=trace)
            wait = min(interval_seconds * 2 ** max(0, failures - 1), MOST_BACKOFF_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()
            await asyncio.sleep(MIN_GAP_SECONDS)

    def poke(self) -> None:
        """Another node changed the catalog: look now rather than at the next tick."""
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _sync_buses(self) -> set[str]:
        current = await self._snapshot()
        previous, self._buses = self._buses, current
        if previous is None:
            return set()
        changed = {
            bus for bus in current.keys() | previous.keys() if current.get(bus) != previous.get(bus)
        }
        for bus in changed:
            if bus in current:
                await self._router.refresh(bus)
            else:
                self._router.forget(bus)
        return changed

    async def _snapshot(self) -> Snapshot:
        buses = {r.name for r in await self._catalog.list_kind("bus")}
        rules = await self._catalog.fingerprint("rule")
        targets = await self._catalog.fingerprint("target")
        per_bus: dict[str, list[tuple[int, float]]] = {bus: [] for bus in buses}
        for bus, figures in rules.items():
            per_bus.setdefault(bus, []).append(figures)
        for parent, figures in sorted(targets.items()):
            per_bus.setdefault(parent.split("/", 1)[0], []).append(figures)
        return {bus: tuple(sorted(figures)) for bus, figures in per_bus.items() if bus in buses}

    async def _sync_destinations(self) -> None:
        figures = (
            *sorted((await self._catalog.fingerprint("connection")).items()),
            *sorted((await self._catalog.fingerprint("api-destination")).items()),
        )
        previous, self._destinations = self._destinations, figures
        if previous is not None and previous != figures:
            await self._directory.load()
