from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from busway.storage.base import Resource
from busway.storage.sqlite import SqliteStore

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def bus(name: str, **doc: object) -> Resource:
    return Resource("bus", "", name, f"arn:aws:events:us-east-1:000000000000:event-bus/{name}", doc)


def test_create_refuses_a_taken_name(store: SqliteStore) -> None:
    async def scenario() -> tuple[bool, bool, Resource | None]:
        first = await store.catalog.create(bus("orders", description="a"), now=NOW)
        second = await store.catalog.create(bus("orders", description="b"), now=NOW)
        return first, second, await store.catalog.get("bus", "", "orders")

    first, second, found = run(scenario())
    assert (first, second) == (True, False)
    assert found is not None and found.doc == {"description": "a"}


def test_put_replaces_and_keeps_creation_time(store: SqliteStore) -> None:
    later = NOW + timedelta(hours=1)

    async def scenario() -> Resource | None:
        await store.catalog.put(bus("orders", v=1), now=NOW)
        await store.catalog.put(bus("orders", v=2), now=later)
        return await store.catalog.get("bus", "", "orders")

    found = run(scenario())
    assert found is not None
    assert found.doc == {"v": 2}
    assert (found.created, found.modified) == (NOW, later)


def test_listing_is_by_name_with_prefix_and_after(store: SqliteStore) -> None:
    async def scenario() -> list[list[str]]:
        for name in ["b-2", "a-1", "b-1", "c"]:
            await store.catalog.put(bus(name), now=NOW)
        under = store.catalog.list_under
        return [
            [r.name for r in await under("bus", "")],
            [r.name for r in await under("bus", "", prefix="b-")],
            [r.name for r in await under("bus", "", after="b-1", limit=1)],
        ]

    assert run(scenario()) == [["a-1", "b-1", "b-2", "c"], ["b-1", "b-2"], ["b-2"]]


def test_datetimes_in_documents_come_back_as_datetimes(store: SqliteStore) -> None:
    async def scenario() -> Resource | None:
        await store.catalog.put(bus("x", at=NOW), now=NOW)
        return await store.catalog.get("bus", "", "x")

    found = run(scenario())
    assert found is not None and found.doc["at"] == NOW


def test_delete_takes_the_tags_with_it(store: SqliteStore) -> None:
    resource = bus("orders")

    async def scenario() -> tuple[dict[str, str], bool, bool, dict[str, str]]:
        await store.catalog.put(resource, now=NOW)
        await store.catalog.tag(resource.arn, {"team": "a", "env": "dev"})
        await store.catalog.untag(resource.arn, ["env", "absent"])
        tags = await store.catalog.tags(resource.arn)
        deleted = await store.catalog.delete("bus", "", "orders")
        again = await store.catalog.delete("bus", "", "orders")
        return tags, deleted, again, await store.catalog.tags(resource.arn)

    assert run(scenario()) == ({"team": "a"}, True, False, {})
