"""Declared HTTP ingress routes and CloudEvents publish events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.servers import BuswayServer, Sink, start_busway

from busway.api.cloudevents import to_cloudevent
from busway.api.ingress import IngressRoute

ROUTES = (
    {"path": "/cart/items", "source": "cart", "detail-type": "ItemAdded"},
    {
        "method": "PUT",
        "path": "/users/{user}/posts",
        "source": "blog",
        "detail_type": "BlogPostCreated",
        "detail_paths": {"author": "$.path.user", "title": "$.body.title", "v": "$.query.v"},
        "detail_template": '{"author": <author>, "title": <title>, "version": "<v>"}',
        "status": 201,
        "response": '{"ok": true}',
    },
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BuswayServer]:
    running = start_busway(tmp_path, ingress=ROUTES)
    yield running
    running.stop()


def route_all(server: BuswayServer, sink: Sink) -> None:
    events = server.client("events")
    events.put_rule(Name="all", EventPattern='{"source": ["cart", "blog", "shop"]}')
    events.put_targets(Rule="all", Targets=[{"Id": "t", "Arn": sink.url}])


def test_a_post_becomes_an_event_after_a_static_answer(server: BuswayServer, sink: Sink) -> None:
    route_all(server, sink)
    answer = httpx.post(server.url + "/cart/items", json={"sku": "a-1", "qty": 2})
    assert (answer.status_code, answer.json()) == (202, {"message": "message received"})
    (received,) = sink.wait_for(1)
    event = orjson.loads(received.body)
    assert (event["source"], event["detail-type"]) == ("cart", "ItemAdded")
    assert event["detail"] == {"sku": "a-1", "qty": 2}


def test_detail_from_path_body_and_query(server: BuswayServer, sink: Sink) -> None:
    route_all(server, sink)
    answer = httpx.put(server.url + "/users/ada/posts?v=3", json={"title": "Engines"})
    assert (answer.status_code, answer.json()) == (201, {"ok": True})
    (received,) = sink.wait_for(1)
    detail = orjson.loads(received.body)["detail"]
    assert detail == {"author": "ada", "title": "Engines", "version": "3"}


def test_bad_bodies_get_a_clear_400(server: BuswayServer) -> None:
    broken = httpx.post(server.url + "/cart/items", content=b"{nope")
    assert (broken.status_code, broken.json()) == (400, {"message": "The body is not valid JSON."})
    listed = httpx.post(server.url + "/cart/items", json=[1, 2])
    assert listed.json() == {"message": "The body must be a JSON object."}
    assert httpx.get(server.url + "/cart/items").status_code in (404, 405)


def test_route_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown setting"):
        IngressRoute.from_settings({"path": "/x", "source": "s", "detail_type": "d", "colour": 1})
    with pytest.raises(ValueError, match="source required"):
        IngressRoute.from_settings({"path": "/x", "detail_type": "d"})
    with pytest.raises(ValueError, match="invalid placeholder"):
        IngressRoute.from_settings(
            {"path": "/x", "source": "s", "detail_type": "d", "detail_template": "{<nope>}"}
        )


def test_cloudevents_binary_structured_and_batch(server: BuswayServer, sink: Sink) -> None:
    route_all(server, sink)
    binary = httpx.post(
        server.url + "/cloudevents/default",
        headers={
            "ce-specversion": "1.0",
            "ce-id": "1",
            "ce-source": "shop",
            "ce-type": "OrderPlaced",
            "ce-subject": "order/7",
            "ce-time": "2026-03-04T05:06:07Z",
        },
        json={"order": 7},
    )
    assert binary.status_code == 202
    structured = {"specversion": "1.0", "id": "2", "source": "shop", "type": "Paid", "data": 5}
    answer = httpx.post(
        server.url + "/cloudevents/default",
        content=orjson.dumps(structured),
        headers={"content-type": "application/cloudevents+json"},
    )
    assert answer.status_code == 202
    batch = httpx.post(
        server.url + "/cloudevents/default",
        content=orjson.dumps([structured, {**structured, "id": "3"}]),
        headers={"content-type": "application/cloudevents-batch+json"},
    )
    assert len(batch.json()["event_ids"]) == 2
    events = sorted(
        (orjson.loads(r.body) for r in sink.wait_for(4)), key=lambda e: e["detail-type"]
    )
    order = events[0]
    assert (order["detail-type"], order["resources"], order["time"]) == (
        "OrderPlaced",
        ["order/7"],
        "2026-03-04T05:06:07Z",
    )
    assert order["detail"] == {"order": 7}
    assert events[1]["detail"] == {"data": 5}


def test_cloudevents_errors(server: BuswayServer) -> None:
    missing = httpx.post(
        server.url + "/cloudevents/default",
        content=b'{"specversion": "1.0", "id": "1"}',
        headers={"content-type": "application/cloudevents+json"},
    )
    assert missing.status_code == 400
    assert missing.json()["message"] == (
        "The CloudEvent lacks required attribute(s): source, type."
    )
    plain = httpx.post(server.url + "/cloudevents/default", json={"a": 1})
    assert plain.status_code == 400


def test_an_event_as_a_cloudevent() -> None:
    event: dict[str, Any] = {
        "version": "0",
        "id": "e1",
        "detail-type": "ItemAdded",
        "source": "cart",
        "account": "000000000000",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:x"],
        "detail": {"sku": "a"},
    }
    cloud_event = to_cloudevent(event)
    assert cloud_event["type"] == "ItemAdded"
    assert (cloud_event["subject"], cloud_event["data"]) == ("arn:x", {"sku": "a"})
