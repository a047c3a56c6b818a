from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.storage.backends import Store

from busway.storage.base import Resource

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


pytestmark = pytest.mark.anyio


def bus(name: str, **doc: object) -> Resource:
    return Resource("bus", "", name, f"arn:aws:events:us-east-1:000000000000:event-bus/{name}", doc)


async def test_create_refuses_a_taken_name(store: Store) -> None:
    async def scenario() -> tuple[bool, bool, Resource | None]:
        first = await store.catalog.create(bus("orders", description="a"), now=NOW)
        second = await store.catalog.create(bus("orders", description="b"), now=NOW)
        return first, second, await store.catalog.get("bus", "", "orders")

    first, second, found = await scenario()
    assert (first, second) == (True, False)
    assert found is not None and found.doc == {"description": "a"}


async def test_put_replaces_and_keeps_creation_time(store: Store) -> None:
    later = NOW + timedelta(hours=1)

    async def scenario() -> Resource | None:
        await store.catalog.put(bus("orders", v=1), now=NOW)
        await store.catalog.put(bus("orders", v=2), now=later)
        return await store.catalog.get("bus", "", "orders")

    found = await scenario()
    assert found is not None
    assert found.doc == {"v": 2}
    assert (found.created, found.modified) == (NOW, later)


async def test_listing_is_by_name_with_prefix_and_after(store: Store) -> None:
    async def scenario() -> list[list[str]]:
        for name in ["b-2", "a-1", "b-1", "c"]:
            await store.catalog.put(bus(name), now=NOW)
        under = store.catalog.list_under
        return [
            [r.name for r in await under("bus", "")],
            [r.name for r in await under("bus", "", prefix="b-")],
            [r.name for r in await under("bus", "", after="b-1", limit=1)],
        ]

    assert await scenario() == [["a-1", "b-1", "b-2", "c"], ["b-1", "b-2"], ["b-2"]]


async def test_datetimes_in_documents_come_back_as_datetimes(store: Store) -> None:
    async def scenario() -> Resource | None:
        await store.catalog.put(bus("x", at=NOW), now=NOW)
        return await store.catalog.get("bus", "", "x")

    found = await scenario()
    assert found is not None and found.doc["at"] == NOW


async def test_delete_takes_the_tags_with_it(store: Store) -> None:
    resource = bus("orders")

    async def scenario() -> tuple[dict[str, str], bool, bool, dict[str, str]]:
        await store.catalog.put(resource, now=NOW)
        await store.catalog.tag(resource.arn, {"team": "a", "env": "dev"})
        await store.catalog.untag(resource.arn, ["env", "absent"])
        tags = await store.catalog.tags(resource.arn)
        deleted = await store.catalog.delete("bus", "", "orders")
        again = await store.catalog.delete("bus", "", "orders")
        return tags, deleted, again, await store.catalog.tags(resource.arn)

    assert await scenario() == ({"team": "a"}, True, False, {})


async def test_fingerprint_moves_with_every_change(store: Store) -> None:
    later = NOW + timedelta(seconds=1)
    rule = Resource("rule", "orders", "r", "arn:rule", {})
    await store.catalog.put(rule, now=NOW)
    first = await store.catalog.fingerprint("rule")
    await store.catalog.put(rule, now=later)
    second = await store.catalog.fingerprint("rule")
    await store.catalog.delete("rule", "orders", "r")
    third = await store.catalog.fingerprint("rule")
    assert first == {"orders": (1, NOW.timestamp())}
    assert second == {"orders": (1, later.timestamp())}
    assert third == {}
