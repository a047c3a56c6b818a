"""``busway put-event`` and ``busway queues`` against a running server."""

from __future__ import annotations

import json
import re

from tests.cli.conftest import Busway, ok
from tests.servers import BuswayServer, Sink

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:orders"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n")


def route_to_queue(cli: Busway) -> None:
    ok(cli("queues", "create", "orders"))
    ok(cli("rules", "put", "placed", "--pattern", '{"detail-type": ["OrderPlaced"]}'))
    ok(cli("targets", "put", "placed", "q", QUEUE_ARN))


def test_a_put_event_arrives_in_a_queue(cli: Busway) -> None:
    route_to_queue(cli)
    put = ["put-event", "--source", "shop", "--detail-type", "OrderPlaced"]
    event_id = ok(cli(*put, "--detail", "@-", "--resource", "arn:x", stdin='{"order": "o-1"}'))
    assert UUID.fullmatch(event_id)
    received = json.loads(ok(cli("queues", "receive", "orders", "--wait", "5", "--delete")))
    assert received["id"] == event_id.strip()
    assert (received["source"], received["detail-type"]) == ("shop", "OrderPlaced")
    assert (received["detail"], received["resources"]) == ({"order": "o-1"}, ["arn:x"])
    empty = cli("queues", "receive", "orders")  # deleted: nothing left
    assert (empty.exit_code, empty.stdout) == (1, "")


def test_a_refused_event_prints_awss_error(cli: Busway) -> None:
    base = ["put-event", "--source", "shop", "--detail-type", "T"]
    malformed = cli(*base, "--detail", "[1, 2")
    assert (malformed.exit_code, malformed.stdout) == (2, "")
    assert malformed.stderr == "MalformedDetail: Detail is malformed.\n"
    reserved = cli("put-event", "--source", "aws.ec2", "--detail-type", "T", "--detail", "{}")
    assert reserved.exit_code == 2
    assert reserved.stderr == "NotAuthorizedForSourceException: Not authorized for the source.\n"


def test_an_http_target_gets_the_put_event(cli: Busway, sink: Sink) -> None:
    ok(cli("rules", "put", "placed", "--pattern", '{"source": ["shop"]}'))
    target = ["targets", "put", "placed", "hook", f"{sink.url}/orders"]
    ok(cli(*target, "--input-path", "$.detail"))
    ok(cli("put-event", "--source", "shop", "--detail-type", "T", "--detail", '{"n": 1}'))
    (request,) = sink.wait_for(1)
    assert (request.path, json.loads(request.body)) == ("/orders", {"n": 1})


def test_a_target_with_input_sends_that_instead(cli: Busway) -> None:
    route_to_queue(cli)
    ok(cli("targets", "put", "placed", "q", QUEUE_ARN, "--input", '{"fixed": true}'))
    ok(cli("put-event", "--source", "shop", "--detail-type", "OrderPlaced", "--detail", "{}"))
    assert ok(cli("queues", "receive", "orders", "--wait", "5")) == '{"fixed": true}\n'


def test_queues_are_created_listed_sent_to_and_deleted(cli: Busway, busway: BuswayServer) -> None:
    assert ok(cli("queues", "create", "orders", "--attribute", "VisibilityTimeout=0")) == (
        f"{QUEUE_ARN}\n"
    )
    assert ok(cli("queues", "list")) == f"orders  {QUEUE_ARN}\n"
    (listed,) = json.loads(ok(cli("queues", "list", "--json")))
    assert listed == {
        "name": "orders",
        "url": f"{busway.url}/000000000000/orders",
        "arn": QUEUE_ARN,
    }
    for body in ("one", "two"):
        assert UUID.fullmatch(ok(cli("queues", "send", "orders", body)))
    got = ok(cli("queues", "receive", "orders", "--max", "10", "--wait", "1")).splitlines()
    assert sorted(got) == ["one", "two"]
    again = [
        json.loads(line)
        for line in ok(cli("queues", "receive", "orders", "--json", "--max", "10")).splitlines()
    ]
    assert sorted(m["body"] for m in again) == ["one", "two"]  # not deleted, timeout 0
    assert all(m["attributes"]["ApproximateReceiveCount"] == "2" for m in again)
    ok(cli("queues", "delete", "orders"))
    assert ok(cli("queues", "list")) == ""


def test_queue_errors(cli: Busway) -> None:
    missing = cli("queues", "send", "ghost", "hi")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("AWS.SimpleQueueService.NonExistentQueue: ")
    bad = cli("queues", "create", "orders", "--attribute", "VisibilityTimeout")
    assert bad.exit_code == 2
    assert "is not NAME=VALUE" in bad.stderr
