"""Message move tasks with two nodes on one PostgreSQL database: a task started through
one node is listed and cancelled through the other, and when its node stops, the other
takes it over and finishes it: at once when the node stopped gracefully (it let go of
its lease), once the lease has run out otherwise."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.test_sqs_redrive import (
    bodies_in,
    dead_letter,
    finished,
    last_task,
    make_queue,
    wait_for,
    with_dead_letter_queue,
)
from tests.servers import BuswayServer, start_busway


@contextlib.contextmanager
def two_nodes(folder: Path, url: str, **settings: Any) -> Iterator[list[BuswayServer]]:
    servers: list[BuswayServer] = []
    try:
        for name in ("a", "b"):
            servers.append(
                start_busway(folder / name, database_url=url, node_name=name, **settings)
            )
        yield servers
    finally:
        for server in servers:
            server.stop()


def dead_letters(sqs: Any, prefix: str, count: int) -> tuple[str, str, str]:
    """(dlq url, dlq arn, source url) with ``count`` messages in the dead-letter queue."""
    dlq_url, dlq_arn = make_queue(sqs, f"{prefix}-dlq")
    url, _ = with_dead_letter_queue(sqs, prefix, dlq_arn)
    dead_letter(sqs, url, [str(n) for n in range(count)])
    return dlq_url, dlq_arn, url


def test_a_task_started_on_one_node_is_listed_and_cancelled_on_the_other(
    tmp_path: Path, database_url: str
) -> None:
    with two_nodes(tmp_path, database_url) as (a, b):
        through_a, through_b = a.client("sqs"), b.client("sqs")
        dlq_url, dlq_arn, _ = dead_letters(through_a, "orders", 4)
        handle = through_a.start_message_move_task(
            SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1
        )["TaskHandle"]

        seen_on_b = last_task(through_b, dlq_arn)
        assert (seen_on_b["Status"], seen_on_b["TaskHandle"]) == ("RUNNING", handle)
        moved = through_b.cancel_message_move_task(TaskHandle=handle)[
            "ApproximateNumberOfMessagesMoved"
        ]

        assert moved < 4
        wait_for(lambda: last_task(through_a, dlq_arn)["Status"] == "CANCELLED")
        assert last_task(through_b, dlq_arn) == last_task(through_a, dlq_arn)
        left = 4 - last_task(through_b, dlq_arn)["ApproximateNumberOfMessagesMoved"]
        assert len(bodies_in(through_b, dlq_url)) == left > 0


def test_another_node_finishes_the_task_of_a_node_that_stopped(
    tmp_path: Path, database_url: str
) -> None:
    # A short lease, so that b takes the task over within the test.
    with two_nodes(tmp_path, database_url, delivery_lease_seconds=1) as (a, b):
        through_a, through_b = a.client("sqs"), b.client("sqs")
        dlq_url, dlq_arn, url = dead_letters(through_a, "mails", 3)
        through_a.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
        a.stop()
        left_behind = last_task(through_b, dlq_arn)
        assert left_behind["Status"] == "RUNNING"
        assert left_behind["ApproximateNumberOfMessagesMoved"] < 3

        wait_for(lambda: finished(through_b, dlq_arn))
        done = last_task(through_b, dlq_arn)
        assert (done["Status"], done["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 3)
        assert bodies_in(through_b, url) == ["0", "1", "2"]
        assert bodies_in(through_b, dlq_url) == []


@pytest.mark.parametrize("notify", [True, False], ids=["hinted", "polled"])
def test_a_node_that_stops_gracefully_hands_its_task_over_at_once(
    tmp_path: Path, database_url: str, notify: bool
) -> None:
    # The default lease (120 s): only the release lets b take over within the test.
    with two_nodes(tmp_path, database_url, postgres_notify=notify) as (a, b):
        through_a, through_b = a.client("sqs"), b.client("sqs")
        dlq_url, dlq_arn, url = dead_letters(through_a, "carts", 4)
        through_a.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
        wait_for(lambda: last_task(through_b, dlq_arn)["ApproximateNumberOfMessagesMoved"] > 0)
        stopping = time.monotonic()
        a.stop()
        assert not finished(through_b, dlq_arn)

        wait_for(lambda: finished(through_b, dlq_arn), timeout=15)
        # b looks every 5 s at the most, then moves what is left at one a second.
        assert time.monotonic() - stopping < 12
        done = last_task(through_b, dlq_arn)
        assert (done["Status"], done["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 4)
        assert bodies_in(through_b, url) == ["0", "1", "2", "3"]
        assert bodies_in(through_b, dlq_url) == []
