"""HTTP targets that emit CloudEvents, end to end: boto3 makes the rule and target, a
real ``busway serve`` delivers to a real HTTP sink."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.servers import BuswayServer, Sink, start_busway

from busway import Client
from busway.engine.senders.webhook import verify_webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STRUCTURED = {"Content-Type": "application/cloudevents+json"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BuswayServer]:
    running = start_busway(tmp_path, webhook_secret=SECRET)
    yield running
    running.stop()


def put_order(events: Any) -> str:
    entry = {
        "Source": "shop",
        "DetailType": "OrderPlaced",
        "Detail": '{"order": 7}',
        "Resources": ["arn:aws:shop:order/7"],
    }
    answer = events.put_events(Entries=[entry])
    return str(answer["Entries"][0]["EventId"])


def route(events: Any, arn: str, **target: Any) -> None:
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="orders", Targets=[{"Id": "t", "Arn": arn, **target}])


def test_a_webhook_sends_a_signed_structured_cloudevent(server: BuswayServer, sink: Sink) -> None:
    events = server.client("events")
    route(events, f"{sink.url}/ce", HttpParameters={"HeaderParameters": STRUCTURED})
    event_id = put_order(events)

    (received,) = sink.wait_for(1)
    body = json.loads(received.body)
    assert received.headers["content-type"].startswith("application/cloudevents+json")
    assert (body["specversion"], body["id"], body["type"]) == ("1.0", event_id, "OrderPlaced")
    assert (body["source"], body["subject"], body["data"]) == (
        "shop",
        "arn:aws:shop:order/7",
        {"order": 7},
    )
    now = datetime.now(UTC)
    assert verify_webhook(secret=SECRET, headers=received.headers, body=received.body, now=now)


def test_a_webhook_in_binary_mode_sends_the_transformed_input_as_data(
    server: BuswayServer, sink: Sink
) -> None:
    events = server.client("events")
    route(
        events,
        sink.url,
        HttpParameters={"HeaderParameters": {"ce-specversion": "1.0", "X-Team": "orders"}},
        InputTransformer={
            "InputPathsMap": {"order": "$.detail.order"},
            "InputTemplate": '{"orderId": <order>}',
        },
    )
    event_id = put_order(events)

    (received,) = sink.wait_for(1)
    headers = received.headers
    assert json.loads(received.body) == {"orderId": 7}
    assert (headers["ce-id"], headers["ce-type"], headers["ce-source"]) == (
        event_id,
        "OrderPlaced",
        "shop",
    )
    assert (headers["ce-specversion"], headers["x-team"]) == ("1.0", "orders")
    assert headers["content-type"] == "application/json"


def test_an_api_destination_sends_a_structured_cloudevent(server: BuswayServer, sink: Sink) -> None:
    events = server.client("events")
    connection = events.create_connection(
        Name="sink",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "k"}},
    )
    destination = events.create_api_destination(
        Name="sink",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=f"{sink.url}/in",
        HttpMethod="POST",
    )
    route(
        events,
        destination["ApiDestinationArn"],
        HttpParameters={"HeaderParameters": STRUCTURED},
    )
    event_id = put_order(events)

    (received,) = sink.wait_for(1)
    body = json.loads(received.body)
    assert received.headers["x-key"] == "k"
    assert received.headers["content-type"].startswith("application/cloudevents+json")
    assert (body["id"], body["data"]) == (event_id, {"order": 7})


def test_without_opting_in_a_webhook_gets_the_plain_event(server: BuswayServer, sink: Sink) -> None:
    events = server.client("events")
    route(events, sink.url)
    event_id = put_order(events)
    (received,) = sink.wait_for(1)
    assert json.loads(received.body)["id"] == event_id
    assert received.headers["content-type"] == "application/json"
    assert not any(name.startswith("ce-") for name in received.headers)


def test_a_topic_subscriber_can_take_cloudevents_too(server: BuswayServer, sink: Sink) -> None:
    with Client(server.url) as client:
        arn = client.create_topic("orders")
        client.subscribe(
            "orders", sink.url, http_parameters={"header_parameters": {"ce-specversion": "1.0"}}
        )
    events = server.client("events")
    route(events, arn)
    event_id = put_order(events)

    (received,) = sink.wait_for(1)
    assert (received.headers["ce-id"], received.headers["ce-type"]) == (event_id, "OrderPlaced")
    assert json.loads(received.body) == {"order": 7}
