"""Topics and subscriptions as catalog documents, on every backend: what the topic
service and the fan-out rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.storage.backends import Store

from busway.engine.topics import SUBSCRIPTION_KIND, TOPIC_KIND
from busway.storage.base import Resource

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TOPIC_ARN = "arn:aws:sns:us-east-1:000000000000:orders"

pytestmark = pytest.mark.anyio


def subscription(key: str, **doc: object) -> Resource:
    return Resource(SUBSCRIPTION_KIND, "orders", key, f"{TOPIC_ARN}:{key}", doc)


async def test_subscriptions_are_listed_under_their_topic_only(store: Store) -> None:
    catalog = store.catalog
    await catalog.create(Resource(TOPIC_KIND, "", "orders", TOPIC_ARN, {}), now=NOW)
    await catalog.create(subscription("b", endpoint="mailto:b@example.com"), now=NOW)
    await catalog.create(subscription("a", endpoint="https://a.example/"), now=NOW)
    other = Resource(SUBSCRIPTION_KIND, "billing", "c", f"{TOPIC_ARN}x:c", {"endpoint": "x"})
    await catalog.create(other, now=NOW)

    listed = await catalog.list_under(SUBSCRIPTION_KIND, "orders")
    topics = await catalog.list_under(TOPIC_KIND, "")

    assert [(s.name, s.doc["endpoint"]) for s in listed] == [
        ("a", "https://a.example/"),
        ("b", "mailto:b@example.com"),
    ]
    assert [(t.name, t.arn) for t in topics] == [("orders", TOPIC_ARN)]


async def test_a_subscription_keeps_its_filter_and_settings_verbatim(store: Store) -> None:
    pattern = '{"detail": {"total": [{"numeric": [">=", 100]}]}}'
    settings = {"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 600}
    sub = subscription("a", endpoint="mailto:a@example.com", filter_pattern=pattern)
    sub = Resource(sub.kind, sub.parent, sub.name, sub.arn, {**sub.doc, "retry_policy": settings})
    await store.catalog.create(sub, now=NOW)

    found = await store.catalog.get(SUBSCRIPTION_KIND, "orders", "a")

    assert found is not None
    assert found.doc["filter_pattern"] == pattern
    assert found.doc["retry_policy"] == settings
    assert found.created == NOW


async def test_removing_a_subscription_leaves_the_others(store: Store) -> None:
    catalog = store.catalog
    for key in ("a", "b"):
        await catalog.create(subscription(key, endpoint="x"), now=NOW)
    await catalog.tag(f"{TOPIC_ARN}:a", {"team": "ops"})

    removed = await catalog.delete(SUBSCRIPTION_KIND, "orders", "a")
    again = await catalog.delete(SUBSCRIPTION_KIND, "orders", "a")

    assert (removed, again) == (True, False)
    assert [s.name for s in await catalog.list_under(SUBSCRIPTION_KIND, "orders")] == ["b"]
    assert await catalog.tags(f"{TOPIC_ARN}:a") == {}


async def test_a_topic_name_is_taken_once(store: Store) -> None:
    catalog = store.catalog
    topic = Resource(TOPIC_KIND, "", "orders", TOPIC_ARN, {"description": "first"})
    later = NOW + timedelta(minutes=1)
    first = await catalog.create(topic, now=NOW)
    second = await catalog.create(
        Resource(TOPIC_KIND, "", "orders", TOPIC_ARN, {"description": "second"}), now=later
    )
    found = await catalog.get(TOPIC_KIND, "", "orders")
    assert (first, second) == (True, False)
    assert found is not None and found.doc == {"description": "first"}


async def test_deleting_a_topic_takes_its_subscriptions_and_their_tags(store: Store) -> None:
    catalog = store.catalog
    await catalog.create(Resource(TOPIC_KIND, "", "orders", TOPIC_ARN, {}), now=NOW)
    for key in ("a", "b"):
        await catalog.create(subscription(key, endpoint="x"), now=NOW)
    other = Resource(SUBSCRIPTION_KIND, "billing", "c", f"{TOPIC_ARN}x:c", {"endpoint": "x"})
    await catalog.create(other, now=NOW)
    await catalog.tag(TOPIC_ARN, {"team": "ops"})
    await catalog.tag(f"{TOPIC_ARN}:a", {"team": "ops"})

    deleted = await catalog.delete_tree(TOPIC_KIND, "", "orders", child_kind=SUBSCRIPTION_KIND)
    again = await catalog.delete_tree(TOPIC_KIND, "", "orders", child_kind=SUBSCRIPTION_KIND)

    assert (deleted, again) == (True, False)
    assert await catalog.get(TOPIC_KIND, "", "orders") is None
    assert await catalog.list_under(SUBSCRIPTION_KIND, "orders") == []
    assert [s.name for s in await catalog.list_under(SUBSCRIPTION_KIND, "billing")] == ["c"]
    assert await catalog.tags(TOPIC_ARN) == {}
    assert await catalog.tags(f"{TOPIC_ARN}:a") == {}


async def test_delete_tree_of_a_missing_resource_leaves_orphans_alone(store: Store) -> None:
    catalog = store.catalog
    await catalog.create(subscription("a", endpoint="x"), now=NOW)
    deleted = await catalog.delete_tree(TOPIC_KIND, "", "orders", child_kind=SUBSCRIPTION_KIND)
    assert not deleted
    assert [s.name for s in await catalog.list_under(SUBSCRIPTION_KIND, "orders")] == ["a"]
