"""PurgeQueue's "once every 60 seconds", as boto3 sees it: kept in the store, so it holds
across a restart and across nodes sharing one PostgreSQL database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.servers import BuswayServer, start_busway

from busway.clock import SettableClock


@contextlib.contextmanager
def node(folder: Path, clock: SettableClock, **settings: Any) -> Iterator[Any]:
    """The SQS client of a server on ``folder`` reading time from ``clock``."""
    server: BuswayServer = start_busway(folder, clock=clock, **settings)
    client = server.client("sqs")
    try:
        yield client
    finally:
        client.close()
        server.stop()


def assert_refused(sqs: Any, url: str, name: str) -> None:
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as caught:
        sqs.purge_queue(QueueUrl=url)
    error = caught.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert (
        error["Message"] == f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def bodies(sqs: Any, url: str) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted(m["Body"] for m in got.get("Messages", []))


def test_a_second_purge_within_a_minute_is_refused(tmp_path: Path) -> None:
    clock = SettableClock()
    with node(tmp_path, clock) as sqs:
        url = sqs.create_queue(QueueName="orders")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="old")
        sqs.purge_queue(QueueUrl=url)
        sqs.send_message(QueueUrl=url, MessageBody="new")
        clock.advance(59)
        assert_refused(sqs, url, "orders")
        assert bodies(sqs, url) == ["new"]
        clock.advance(1)
        sqs.purge_queue(QueueUrl=url)
        assert bodies(sqs, url) == []


def test_a_restarted_server_remembers_the_last_purge(tmp_path: Path) -> None:
    clock = SettableClock()
    with node(tmp_path, clock) as sqs:
        url = sqs.create_queue(QueueName="orders")["QueueUrl"]
        sqs.purge_queue(QueueUrl=url)
    with node(tmp_path, clock) as sqs:
        assert_refused(sqs, url, "orders")


def test_a_purge_through_one_node_holds_off_the_other(tmp_path: Path, database_url: str) -> None:
    clock = SettableClock()
    with (
        node(tmp_path / "a", clock, database_url=database_url, node_name="a") as through_a,
        node(tmp_path / "b", clock, database_url=database_url, node_name="b") as through_b,
    ):
        url = through_a.create_queue(QueueName="orders")["QueueUrl"]
        through_a.send_message(QueueUrl=url, MessageBody="old")
        through_a.purge_queue(QueueUrl=url)
        through_b.send_message(QueueUrl=url, MessageBody="new")
        assert_refused(through_b, url, "orders")
        assert bodies(through_b, url) == ["new"]
        clock.advance(60)
        through_b.purge_queue(QueueUrl=url)
        assert_refused(through_a, url, "orders")
        assert bodies(through_a, url) == []
