"""The SQS JSON protocol as boto3 sees it, against a real loopback server."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.servers import start_busway


@pytest.fixture(scope="module")
def sqs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    server = start_busway(tmp_path_factory.mktemp("sqs"))
    client = server.client("sqs", config=Config(retries={"max_attempts": 1}, read_timeout=30))
    yield client
    client.close()
    server.stop()


@pytest.fixture
def queue_url(sqs: Any, request: pytest.FixtureRequest) -> str:
    name = request.node.name.replace("[", "-").replace("]", "")[:80]
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_queue_lifecycle(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="life", Attributes={"DelaySeconds": "2"})["QueueUrl"]
    assert url.endswith("/000000000000/life")
    assert sqs.get_queue_url(QueueName="life")["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix="li")["QueueUrls"]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="life")
    assert error_of(caught) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
    )


def test_create_with_other_attributes_is_refused(sqs: Any) -> None:
    sqs.create_queue(QueueName="twice", Attributes={"VisibilityTimeout": "5"})
    with pytest.raises(sqs.exceptions.QueueNameExists) as caught:
        sqs.create_queue(QueueName="twice", Attributes={"VisibilityTimeout": "6"})
    assert error_of(caught)[0] == "QueueAlreadyExists"


def test_list_queues_pages(sqs: Any) -> None:
    for n in range(3):
        sqs.create_queue(QueueName=f"page-{n}")
    first = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2)
    assert len(first["QueueUrls"]) == 2
    rest = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=first["NextToken"])
    assert [u.rsplit("/", 1)[1] for u in rest["QueueUrls"]] == ["page-2"]
    assert "NextToken" not in rest


def test_attributes(sqs: Any, queue_url: str) -> None:
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "45"})
    found = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert found["VisibilityTimeout"] == "45"
    assert found["ApproximateNumberOfMessages"] == "0"
    assert found["QueueArn"].endswith(":000000000000:test_attributes")
    with pytest.raises(sqs.exceptions.InvalidAttributeValue) as caught:
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"DelaySeconds": "901"})
    assert error_of(caught) == (
        "InvalidAttributeValue",
        "Invalid value for the parameter DelaySeconds.",
    )


def test_send_receive_delete(sqs: Any, queue_url: str) -> None:
    sent = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody="hello",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "greeting"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        },
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    got = sqs.receive_message(
        QueueUrl=queue_url,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
    )
    [message] = got["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "hello"
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"]["raw"] == {"DataType": "Binary", "BinaryValue": b"\x00\xff"}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert abs(int(message["Attributes"]["SentTimestamp"]) - time.time() * 1000) < 60_000
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)


def test_batches(sqs: Any, queue_url: str) -> None:
    answer = sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": "a", "MessageBody": "one"},
            {"Id": "b", "MessageBody": "two", "DelaySeconds": 901},
        ],
    )
    assert [e["Id"] for e in answer["Successful"]] == ["a"]
    [failed] = answer["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "b",
        "InvalidParameterValue",
        True,
    )
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    handle = message["ReceiptHandle"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=queue_url, Entries=[{"Id": "x", "ReceiptHandle": handle, "VisibilityTimeout": 0}]
    )
    assert [e["Id"] for e in changed["Successful"]] == ["x"]
    [again] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    deleted = sqs.delete_message_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": "old", "ReceiptHandle": handle},
            {"Id": "new", "ReceiptHandle": again["ReceiptHandle"]},
            {"Id": "bad", "ReceiptHandle": "junk"},
        ],
    )
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["new", "old"]
    assert [(e["Id"], e["Code"]) for e in deleted["Failed"]] == [("bad", "ReceiptHandleIsInvalid")]


def test_batch_errors(sqs: Any, queue_url: str) -> None:
    entry = {"Id": "same", "MessageBody": "x"}
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct) as caught:
        sqs.send_message_batch(QueueUrl=queue_url, Entries=[entry, entry])
    assert error_of(caught) == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "Id same repeated.",
    )
    many = [{"Id": str(n), "MessageBody": "x"} for n in range(11)]
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(QueueUrl=queue_url, Entries=many)


def test_invalid_parameters(sqs: Any, queue_url: str) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=11)
    assert error_of(caught) == (
        "InvalidParameterValue",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
        "and 10, if provided.",
    )
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle="junk")
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=queue_url, MessageBody="bad \x01")


def test_long_poll_returns_when_a_message_arrives(sqs: Any, queue_url: str) -> None:
    answers: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: answers.append(sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10))
    )
    started = time.monotonic()
    poller.start()
    time.sleep(0.3)
    assert not answers
    sqs.send_message(QueueUrl=queue_url, MessageBody="wake up")
    poller.join(timeout=5)
    assert [m["Body"] for m in answers[0]["Messages"]] == ["wake up"]
    assert time.monotonic() - started < 3


def test_binary_attribute_digest_matches_aws_encoding(sqs: Any, queue_url: str) -> None:
    raw = base64.b64decode("AAE=")
    sent = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody="b",
        MessageAttributes={"bin": {"DataType": "Binary", "BinaryValue": raw}},
    )
    framed = b"".join(len(p).to_bytes(4, "big") + p for p in (b"bin", b"Binary"))
    expected = hashlib.md5(framed + b"\x02" + len(raw).to_bytes(4, "big") + raw).hexdigest()
    assert sent["MD5OfMessageAttributes"] == expected


def test_purge_and_redrive(sqs: Any) -> None:
    dead = sqs.create_queue(QueueName="redrive-dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "1"})
    work = sqs.create_queue(
        QueueName="redrive-work", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=work, MessageBody="poison")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=work)["Messages"]] == ["poison"]
    assert sqs.receive_message(QueueUrl=work).get("Messages", []) == []
    moved = sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]
    sqs.send_message(QueueUrl=work, MessageBody="doomed")
    sqs.purge_queue(QueueUrl=work)
    assert sqs.receive_message(QueueUrl=work).get("Messages", []) == []
