"""The SDK against a real server."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from tests.servers import BuswayServer, Sink

import busway as busway_module
from busway.errors import RemoteError


def test_publish_route_and_deliver(busway: BuswayServer, sink: Sink) -> None:
    with busway_client(busway) as client:
        client.create_bus("shop")
        assert client.buses() == ["default", "shop"]
        client.put_rule("added", {"detail-type": ["ItemAdded"]}, bus="shop")
        client.put_target("added", "hook", sink.url, bus="shop", InputPath="$.detail")
        event_id = client.put_event("cart", "ItemAdded", {"sku": "a-1"}, bus="shop")
        assert len(event_id) == 36
        (received,) = sink.wait_for(1)
        assert orjson.loads(received.body) == {"sku": "a-1"}
        assert [r["Name"] for r in client.rules(bus="shop")] == ["added"]
        client.delete_rule("added", bus="shop", force=True)
        assert client.rules(bus="shop") == []


def test_put_events_batches_and_reports_each_entry(busway: BuswayServer) -> None:
    with busway_client(busway) as client:
        entries = [{"Source": "s", "DetailType": "d", "Detail": "{}"} for _ in range(23)] + [
            {"Source": "aws.ec2", "DetailType": "d", "Detail": "{}"}
        ]
        results = client.put_events(entries)
        assert [r.ok for r in results] == [True] * 23 + [False]
        assert results[-1].error_code == "NotAuthorizedForSourceException"
        with pytest.raises(RemoteError) as raised:
            client.put_event("aws.ec2", "d", {})
        assert raised.value.code == "NotAuthorizedForSourceException"


def test_errors_carry_awss_code_and_message(busway: BuswayServer) -> None:
    with busway_client(busway) as client, pytest.raises(RemoteError) as raised:
        client.put_rule("r", '{"source": "not a list"}')
    assert raised.value.code == "InvalidEventPatternException"
    assert raised.value.message.startswith("Event pattern is not valid. Reason:")


def test_queues_and_schedules(busway: BuswayServer) -> None:
    with busway_client(busway) as client:
        url = client.create_queue("jobs", VisibilityTimeout=5)
        client.send_message(url, "hello")
        (message,) = client.receive_messages(url)
        assert message["Body"] == "hello"
        client.delete_message(url, message["ReceiptHandle"])
        arn = client.create_schedule(
            "nightly",
            "cron(0 3 * * ? *)",
            {"Arn": client.queue_arn(url), "Input": "{}"},
            timezone="Europe/Amsterdam",
        )
        assert arn.endswith(":schedule/default/nightly")
        assert [s["Name"] for s in client.schedules()] == ["nightly"]


def test_async_client(busway: BuswayServer) -> None:
    async def scenario() -> tuple[str, bool]:
        async with busway_module.AsyncClient(server.url) as client:
            event_id = await client.put_event("s", "d", {"a": 1})
            matched = await client.test_pattern(
                {"source": ["s"]},
                {
                    "id": "1",
                    "account": "1",
                    "source": "s",
                    "time": "2026-01-01T00:00:00Z",
                    "region": "us-east-1",
                    "detail-type": "d",
                    "detail": {},
                },
            )
            return event_id, matched

    server = busway
    event_id, matched = asyncio.run(scenario())
    assert len(event_id) == 36 and matched


def busway_client(server: BuswayServer) -> busway_module.Client:
    return busway_module.Client(server.url)
