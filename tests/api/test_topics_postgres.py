"""Topics on PostgreSQL: two ``busway serve`` nodes sharing one store."""

from __future__ import annotations

import json
from pathlib import Path

from tests.servers import Sink, start_busway

from busway import Client


def test_a_topic_made_on_one_node_fans_out_from_another(
    tmp_path: Path, database_url: str, sink: Sink
) -> None:
    a = start_busway(tmp_path / "a", database_url=database_url, node_name="a")
    b = start_busway(tmp_path / "b", database_url=database_url, node_name="b")
    try:
        with Client(a.url) as on_a, Client(b.url) as on_b:
            on_a.create_topic("orders")
            on_a.subscribe("orders", sink.url, filter_pattern={"n": [{"numeric": [">", 1]}]})
            on_b.publish("orders", {"n": 1})
            on_b.publish("orders", {"n": 2})
            assert [t["name"] for t in on_b.topics()] == ["orders"]
        (received,) = sink.wait_for(1)
        assert json.loads(received.body) == {"n": 2}
    finally:
        b.stop()
        a.stop()
