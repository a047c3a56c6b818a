"""Dead-letter queue redrive (StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask) as boto3 sees it, against a real loopback server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.servers import start_busway


def make_queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    """(url, arn) of a new queue."""
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def with_dead_letter_queue(sqs: Any, source: str, dlq_arn: str) -> tuple[str, str]:
    """A queue whose messages go to ``dlq_arn`` after one receive."""
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    return make_queue(sqs, source, RedrivePolicy=policy, VisibilityTimeout="0")


def dead_letter(sqs: Any, url: str, bodies: list[str]) -> None:
    """Send ``bodies`` to ``url`` and receive each once, so that the next receive moves
    them to the dead-letter queue."""
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen = 0
    while seen < len(bodies):
        seen += len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None


def bodies_in(sqs: Any, url: str) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
    return sorted(m["Body"] for m in got.get("Messages", []))


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def last_task(sqs: Any, arn: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = sqs.list_message_move_tasks(SourceArn=arn)["Results"]
    return results[0]


def finished(sqs: Any, arn: str) -> bool:
    return bool(last_task(sqs, arn)["Status"] != "RUNNING")


def test_redrive_moves_messages_back_to_their_source_queues(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs, "orders-dlq")
    orders_url, _ = with_dead_letter_queue(sqs, "orders", dlq_arn)
    mails_url, _ = with_dead_letter_queue(sqs, "mails", dlq_arn)
    dead_letter(sqs, orders_url, ["order-1", "order-2"])
    dead_letter(sqs, mails_url, ["mail-1"])
    before = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert before["ApproximateNumberOfMessages"] == "3"

    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]

    assert handle
    wait_for(lambda: finished(sqs, dlq_arn))
    task = last_task(sqs, dlq_arn)
    assert task["Status"] == "COMPLETED"
    assert task["SourceArn"] == dlq_arn
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert abs(task["StartedTimestamp"] / 1000 - time.time()) < 60
    assert "TaskHandle" not in task and "DestinationArn" not in task
    assert bodies_in(sqs, orders_url) == ["order-1", "order-2"]
    assert bodies_in(sqs, mails_url) == ["mail-1"]
    assert bodies_in(sqs, dlq_url) == []


def test_a_redriven_message_is_a_new_one(sqs: Any) -> None:
    _, dlq_arn = make_queue(sqs, "fresh-dlq")
    url, _ = with_dead_letter_queue(sqs, "fresh", dlq_arn)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="again",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "reminder"}},
    )
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None

    sqs.start_message_move_task(SourceArn=dlq_arn)
    wait_for(lambda: finished(sqs, dlq_arn))

    [moved] = sqs.receive_message(
        QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    assert moved["Body"] == "again"
    assert moved["MessageId"] != first["MessageId"]
    assert moved["Attributes"]["ApproximateReceiveCount"] == "1"
    assert moved["MessageAttributes"]["kind"]["StringValue"] == "reminder"


def test_redrive_to_a_destination_at_a_fixed_rate(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs, "rate-dlq")
    url, _ = with_dead_letter_queue(sqs, "rate", dlq_arn)
    other_url, other_arn = make_queue(sqs, "rate-elsewhere")
    dead_letter(sqs, url, ["a", "b", "c"])

    sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=other_arn, MaxNumberOfMessagesPerSecond=2
    )

    running = last_task(sqs, dlq_arn)
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"]
    assert running["DestinationArn"] == other_arn
    assert running["MaxNumberOfMessagesPerSecond"] == 2
    wait_for(lambda: finished(sqs, dlq_arn))
    assert last_task(sqs, dlq_arn)["ApproximateNumberOfMessagesMoved"] == 3
    assert bodies_in(sqs, other_url) == ["a", "b", "c"]
    assert bodies_in(sqs, url) == bodies_in(sqs, dlq_url) == []


def test_cancel_stops_a_running_task(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs, "slow-dlq")
    url, _ = with_dead_letter_queue(sqs, "slow", dlq_arn)
    dead_letter(sqs, url, ["1", "2", "3", "4"])
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]

    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]

    assert moved < 4
    wait_for(lambda: last_task(sqs, dlq_arn)["Status"] == "CANCELLED")
    time.sleep(1.2)  # a task still moving would have moved another message by now
    task = last_task(sqs, dlq_arn)
    assert task["ApproximateNumberOfMessagesMoved"] in (moved, moved + 1)  # batch in flight
    attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])
    left = 4 - task["ApproximateNumberOfMessagesMoved"]
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == str(left)
    with pytest.raises(sqs.exceptions.UnsupportedOperation):
        sqs.cancel_message_move_task(TaskHandle=handle)


def test_only_one_task_runs_per_source_queue(sqs: Any) -> None:
    _, dlq_arn = make_queue(sqs, "busy-dlq")
    url, _ = with_dead_letter_queue(sqs, "busy", dlq_arn)
    dead_letter(sqs, url, ["1", "2", "3"])
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]

    with pytest.raises(sqs.exceptions.UnsupportedOperation) as caught:
        sqs.start_message_move_task(SourceArn=dlq_arn)

    assert "Only one active task is allowed" in caught.value.response["Error"]["Message"]
    sqs.cancel_message_move_task(TaskHandle=handle)


def test_the_source_must_be_a_dead_letter_queue(sqs: Any) -> None:
    _, arn = make_queue(sqs, "plain")
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=arn)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert "Source queue must be configured as a Dead Letter Queue." in error["Message"]


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        ({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:nowhere"}, "SourceArn"),
        ({"DestinationArn": "arn:aws:sqs:us-east-1:000000000000:nowhere"}, "DestinationArn"),
    ],
)
def test_unknown_queues_are_not_found(sqs: Any, call: dict[str, str], parameter: str) -> None:
    _, dlq_arn = make_queue(sqs, "known-dlq")
    with_dead_letter_queue(sqs, "known", dlq_arn)
    with pytest.raises(sqs.exceptions.ResourceNotFoundException) as caught:
        sqs.start_message_move_task(**{"SourceArn": dlq_arn, **call})
    message = caught.value.response["Error"]["Message"]
    assert (
        message == f"The resource that you specified for the {parameter} parameter doesn't exist."
    )


def test_an_unknown_task_handle_is_not_found(sqs: Any) -> None:
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.cancel_message_move_task(TaskHandle="bm90LWEtdGFzaw==")


def test_the_rate_is_limited_to_500(sqs: Any) -> None:
    _, dlq_arn = make_queue(sqs, "fast-dlq")
    with_dead_letter_queue(sqs, "fast", dlq_arn)
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=501)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_list_shows_the_most_recent_tasks_first(sqs: Any) -> None:
    _, dlq_arn = make_queue(sqs, "history-dlq")
    url, _ = with_dead_letter_queue(sqs, "history", dlq_arn)
    for body in ("first", "second"):
        dead_letter(sqs, url, [body])
        sqs.start_message_move_task(SourceArn=dlq_arn)
        wait_for(lambda: finished(sqs, dlq_arn))

    results = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]

    assert [r["Status"] for r in results] == ["COMPLETED", "COMPLETED"]
    assert results[0]["StartedTimestamp"] >= results[1]["StartedTimestamp"]
    assert len(sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]) == 1


def test_a_task_survives_a_restart_and_completes_after_it(tmp_path: Path) -> None:
    # A fixed node name: under PostgreSQL the default one has the port, new each start.
    first = start_busway(tmp_path, node_name="restarted")
    try:
        sqs = first.client("sqs")
        dlq_url, dlq_arn = make_queue(sqs, "restart-dlq")
        url, _ = with_dead_letter_queue(sqs, "restart", dlq_arn)
        dead_letter(sqs, url, ["1", "2", "3", "4"])
        handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
    finally:
        first.stop()

    second = start_busway(tmp_path, node_name="restarted")
    try:
        sqs = second.client("sqs")
        task = last_task(sqs, dlq_arn)
        assert (task["Status"], task["TaskHandle"]) == ("RUNNING", handle["TaskHandle"])
        assert task["ApproximateNumberOfMessagesMoved"] < 4
        wait_for(lambda: finished(sqs, dlq_arn))
        done = last_task(sqs, dlq_arn)
        assert (done["Status"], done["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 4)
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        assert sorted(m["Body"] for m in got["Messages"]) == ["1", "2", "3", "4"]
        assert bodies_in(sqs, dlq_url) == []
    finally:
        second.stop()
