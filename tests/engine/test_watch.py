"""A node notices rules and targets that another node wrote to the shared store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from busway.engine.directory import Directory
from busway.engine.router import Router
from busway.engine.watch import CatalogWatch
from busway.storage.base import Resource
from busway.storage.sqlite import SqliteStore

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_changes_behind_the_routers_back_are_picked_up(tmp_path: Path) -> None:
    async def scenario() -> list[object]:
        store = SqliteStore(tmp_path / "busway.db")
        catalog = store.catalog
        await catalog.create(Resource("bus", "", "default", "arn:bus", {}), now=NOW)
        router = Router(catalog)
        await router.load()
        watch = CatalogWatch(catalog, router=router, directory=Directory(catalog))
        seen = [await watch.sync()]
        rule = Resource("rule", "default", "r", "arn:rule", {"event_pattern": '{"a": [1]}'})
        await catalog.put(rule, now=NOW)
        target = Resource("target", "default/r", "t", "", {"id": "t", "arn": "http://x"})
        await catalog.put(target, now=NOW)
        seen.append(await watch.sync())
        routes = router.routes("default")
        seen.append(routes.route({"a": 1}) if routes else None)
        seen.append(await watch.sync())
        store.close()
        return seen

    assert asyncio.run(scenario()) == [set(), {"default"}, [("r", "t")], set()]
