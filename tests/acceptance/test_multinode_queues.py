"""A ReceiveMessage long poll on one node returns as soon as a message is sent through
another (NOTIFY/LISTEN), and still returns, on the next poll, with notifications off."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.servers import BuswayServer, start_busway


@contextlib.contextmanager
def two_nodes(folder: Path, url: str, *, notify: bool) -> Iterator[list[BuswayServer]]:
    servers: list[BuswayServer] = []
    try:
        for name in ("a", "b"):
            options = {"database_url": url, "node_name": name, "postgres_notify": notify}
            servers.append(start_busway(folder / name, **options))
        yield servers
    finally:
        for server in servers:
            server.stop()


def wait_in_long_poll(sqs: Any, url: str) -> tuple[threading.Thread, dict[str, Any]]:
    """Start a 10 s long poll in a thread; once its request is in, return."""
    got: dict[str, Any] = {}

    def receive() -> None:
        got.update(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10))
        got["at"] = time.monotonic()

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    time.sleep(0.3)  # no condition to wait on: the request must be inside the server
    return thread, got


@pytest.mark.parametrize(("notify", "within"), [(True, 0.4), (False, 2.0)])
def test_a_long_poll_on_one_node_hears_a_send_through_another(
    tmp_path: Path, database_url: str, notify: bool, within: float
) -> None:
    with two_nodes(tmp_path, database_url, notify=notify) as (first, second):
        through_a: Any = first.client("sqs")
        url = through_a.create_queue(QueueName="jobs")["QueueUrl"]
        through_b: Any = second.client("sqs")
        thread, got = wait_in_long_poll(through_b, url)
        sent = time.monotonic()
        through_a.send_message(QueueUrl=url, MessageBody="hello")
        thread.join(12)
        assert [m["Body"] for m in got["Messages"]] == ["hello"]
        # With NOTIFY, well before the 1 s re-check a long poll makes on its own.
        print(f"\nnotify={notify}: received {got['at'] - sent:.3f} s after the send")
        assert got["at"] - sent < within
