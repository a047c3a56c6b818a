"""Notices control-plane changes made through other nodes sharing the store.

Each node keeps its routes in memory and rebuilds them when a change passes through it.
Changes made through another node reach this one by polling: per bus, the count and
latest modification time of its rules and targets; a bus whose figures moved is
rebuilt. The same for API destinations and connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from busway.engine.directory import Directory
from busway.engine.router import Router
from busway.storage.base import Catalog

_log = logging.getLogger("busway.watch")
Snapshot = dict[str, tuple[tuple[int, float], ...]]


class CatalogWatch:
    def __init__(self, catalog: Catalog, *, router: Router, directory: Directory) -> None:
        self._catalog = catalog
        self._router = router
        self._directory = directory
        self._buses: Snapshot | None = None
        self._destinations: tuple[tuple[str, tuple[int, float]], ...] | None = None
        self._stop = asyncio.Event()

    async def sync(self) -> set[str]:
        """Rebuild what changed since the last call; the buses that were rebuilt."""
        changed = await self._sync_buses()
        await self._sync_destinations()
        return changed

    async def run(self, *, interval_seconds: float = 1.0) -> None:
        while not self._stop.is_set():
            try:
                await self.sync()
            except Exception:
                _log.exception("checking the catalog for changes failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval_seconds)

    async def stop(self) -> None:
        self._stop.set()

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
