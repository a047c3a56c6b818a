"""``busway serve`` on PostgreSQL: the same API and delivery, a store shared by nodes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tests.servers import BuswayServer, Sink, start_busway


@contextlib.contextmanager
def node(folder: Path, url: str, name: str) -> Iterator[BuswayServer]:
    server = start_busway(folder, database_url=url, node_name=name)
    try:
        yield server
    finally:
        server.stop()


def test_a_server_on_postgres_routes_and_delivers(
    tmp_path: Path, database_url: str, sink: Sink
) -> None:
    with node(tmp_path, database_url, "a") as server:
        events: Any = server.client("events")
        events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
        events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": sink.url}])
        answer = events.put_events(
            Entries=[{"Source": "shop", "DetailType": "x", "Detail": '{"n": 1}'}]
        )
        (received,) = sink.wait_for(1)
        assert orjson.loads(received.body)["id"] == answer["Entries"][0]["EventId"]


def test_two_nodes_share_one_store(tmp_path: Path, database_url: str, sink: Sink) -> None:
    with node(tmp_path / "a", database_url, "a") as first:
        events: Any = first.client("events")
        events.create_event_bus(Name="shared")
        sqs: Any = first.client("sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        with node(tmp_path / "b", database_url, "b") as second:
            names = [b["Name"] for b in second.client("events").list_event_buses()["EventBuses"]]
            assert names == ["default", "shared"]
            other: Any = second.client("sqs")
            got = other.receive_message(QueueUrl=other.get_queue_url(QueueName="jobs")["QueueUrl"])
            assert [m["Body"] for m in got["Messages"]] == ["hello"]


def test_a_rule_put_through_one_node_routes_on_the_other(
    tmp_path: Path, database_url: str, sink: Sink
) -> None:
    with (
        node(tmp_path / "a", database_url, "a") as first,
        node(tmp_path / "b", database_url, "b") as second,
    ):
        through_b: Any = second.client("events")
        through_b.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
        through_b.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": sink.url}])
        through_a: Any = first.client("events")
        entry = {"Source": "shop", "DetailType": "x", "Detail": "{}"}
        deadline = time.monotonic() + 5
        while not sink.requests and time.monotonic() < deadline:
            through_a.put_events(Entries=[entry])
            time.sleep(0.25)
        assert sink.requests, "node a never routed the rule put through node b"
