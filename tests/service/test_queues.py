"""QueueService: SQS semantics over a real SQLite store, with a settable clock."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from busway.arn import Scope
from busway.clock import SettableClock
from busway.engine.senders.queue import QueueSender
from busway.errors import (
    BatchEntryIdsNotDistinctError,
    EmptyBatchRequestError,
    InvalidAttributeNameError,
    InvalidAttributeValueError,
    InvalidMessageContentsError,
    InvalidParameterValueError,
    MessageTooLongError,
    MissingParameterError,
    PurgeQueueInProgressError,
    QueueDoesNotExistError,
    QueueNameExistsError,
    ReceiptHandleIsInvalidError,
    TooManyEntriesInBatchRequestError,
)
from busway.model import Outcome
from busway.service.queues import QueueService
from busway.storage.sqlite import SqliteStore

pytestmark = pytest.mark.anyio
BASE = "http://127.0.0.1:4010"
URL = f"{BASE}/000000000000/"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "busway.db")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
async def service(store: SqliteStore, clock: SettableClock) -> AsyncIterator[QueueService]:
    yield QueueService(store.queues, scope=Scope(), clock=clock, base_url=BASE, poll_interval=0.05)


async def receive(service: QueueService, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    return await service.receive_message(URL + name, **kwargs)


# --- queues -------------------------------------------------------------------------


async def test_create_answers_the_url_and_is_idempotent(service: QueueService) -> None:
    url = await service.create_queue("orders", attributes={"VisibilityTimeout": "10"})
    assert url == URL + "orders"
    assert await service.create_queue("orders", attributes={"VisibilityTimeout": "10"}) == url
    assert await service.create_queue("orders") == url
    with pytest.raises(QueueNameExistsError) as caught:
        await service.create_queue("orders", attributes={"VisibilityTimeout": "11"})
    assert caught.value.attribute == "VisibilityTimeout"


@pytest.mark.parametrize("name", ["", "a b", "x" * 81, "a.fifo"])
async def test_queue_names_are_checked(service: QueueService, name: str) -> None:
    with pytest.raises(InvalidParameterValueError):
        await service.create_queue(name)


async def test_fifo_queue_needs_a_group_id(service: QueueService) -> None:
    url = await service.create_queue("jobs.fifo", attributes={"FifoQueue": "true"})
    with pytest.raises(MissingParameterError):
        await service.send_message(url, {"message_body": "x"})
    await service.send_message(url, {"message_body": "x", "message_group_id": "g"})
    [got] = await receive(service, "jobs.fifo", system_attribute_names=["MessageGroupId"])
    assert got["attributes"] == {"MessageGroupId": "g"}


async def test_missing_queues(service: QueueService) -> None:
    with pytest.raises(QueueDoesNotExistError):
        await service.get_queue_url("nope")
    with pytest.raises(QueueDoesNotExistError):
        await service.send_message(URL + "nope", {"message_body": "x"})
    with pytest.raises(QueueDoesNotExistError):
        await service.delete_queue(URL + "nope")


async def test_list_queues_pages_only_with_max_results(service: QueueService) -> None:
    for name in ["a1", "a2", "a3", "b1"]:
        await service.create_queue(name)
    urls, token = await service.list_queues(prefix="a")
    assert (urls, token) == ([URL + "a1", URL + "a2", URL + "a3"], None)
    urls, token = await service.list_queues(prefix="a", max_results=2)
    assert urls == [URL + "a1", URL + "a2"]
    assert token is not None
    assert await service.list_queues(prefix="a", max_results=2, next_token=token) == (
        [URL + "a3"],
        None,
    )


async def test_attributes_default_and_count(service: QueueService, clock: SettableClock) -> None:
    url = await service.create_queue("q")
    await service.send_message(url, {"message_body": "a"})
    await service.send_message(url, {"message_body": "b", "delay_seconds": 5})
    await service.send_message(url, {"message_body": "c"})
    await receive(service, "q")
    found = await service.get_queue_attributes(url, ["All"])
    assert found["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:q"
    assert found["VisibilityTimeout"] == "30"
    assert found["MessageRetentionPeriod"] == "345600"
    assert found["MaximumMessageSize"] == "262144"
    assert found["DelaySeconds"] == found["ReceiveMessageWaitTimeSeconds"] == "0"
    assert found["CreatedTimestamp"] == str(int(clock.now().timestamp()))
    counts = [found[f"ApproximateNumberOfMessages{s}"] for s in ("", "NotVisible", "Delayed")]
    assert counts == ["1", "1", "1"]
    assert await service.get_queue_attributes(url, ["DelaySeconds"]) == {"DelaySeconds": "0"}
    assert await service.get_queue_attributes(url) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [("VisibilityTimeout", "43201"), ("DelaySeconds", "-1"), ("MessageRetentionPeriod", "x")],
)
async def test_set_attributes_checks_ranges(service: QueueService, name: str, value: str) -> None:
    url = await service.create_queue("q")
    with pytest.raises(InvalidAttributeValueError) as caught:
        await service.set_queue_attributes(url, {name: value})
    assert str(caught.value) == f"Invalid value for the parameter {name}."


async def test_set_attributes_refuses_unknown_and_read_only_names(service: QueueService) -> None:
    url = await service.create_queue("q")
    for name in ["Colour", "QueueArn", "FifoQueue"]:
        with pytest.raises(InvalidAttributeNameError):
            await service.set_queue_attributes(url, {name: "1"})


async def test_set_attributes_updates_and_stamps(
    service: QueueService, clock: SettableClock
) -> None:
    url = await service.create_queue("q")
    clock.advance(100)
    await service.set_queue_attributes(url, {"VisibilityTimeout": "7"})
    found = await service.get_queue_attributes(url, ["VisibilityTimeout", "LastModifiedTimestamp"])
    assert found == {
        "VisibilityTimeout": "7",
        "LastModifiedTimestamp": str(int(clock.now().timestamp())),
    }


async def test_redrive_policy_is_normalised_and_needs_its_target(service: QueueService) -> None:
    url = await service.create_queue("q")
    arn = "arn:aws:sqs:us-east-1:000000000000:dlq"
    policy = json.dumps({"maxReceiveCount": "3", "deadLetterTargetArn": arn})
    with pytest.raises(InvalidParameterValueError):
        await service.set_queue_attributes(url, {"RedrivePolicy": policy})
    await service.create_queue("dlq")
    await service.set_queue_attributes(url, {"RedrivePolicy": policy})
    found = await service.get_queue_attributes(url, ["RedrivePolicy"])
    assert json.loads(found["RedrivePolicy"]) == {"deadLetterTargetArn": arn, "maxReceiveCount": 3}
    bad = json.dumps({"maxReceiveCount": 0, "deadLetterTargetArn": arn})
    with pytest.raises(InvalidParameterValueError, match="maxReceiveCount: 0"):
        await service.set_queue_attributes(url, {"RedrivePolicy": bad})


async def test_tags(service: QueueService) -> None:
    url = await service.create_queue("q", tags={"a": "1"})
    await service.tag_queue(url, {"b": "2"})
    await service.untag_queue(url, ["a"])
    assert await service.list_queue_tags(url) == {"b": "2"}


async def test_purge_once_a_minute(service: QueueService, clock: SettableClock) -> None:
    url = await service.create_queue("q")
    await service.send_message(url, {"message_body": "a"})
    await service.purge_queue(url)
    assert await receive(service, "q") == []
    with pytest.raises(PurgeQueueInProgressError):
        await service.purge_queue(url)
    clock.advance(60)
    await service.purge_queue(url)
    with pytest.raises(QueueDoesNotExistError):
        await service.purge_queue(URL + "missing")


async def test_purge_once_a_minute_holds_for_every_service_on_the_store(
    service: QueueService, store: SqliteStore, clock: SettableClock
) -> None:
    url = await service.create_queue("q")
    await service.purge_queue(url)
    restarted = QueueService(store.queues, scope=Scope(), clock=clock, base_url=BASE)
    clock.advance(59)
    with pytest.raises(PurgeQueueInProgressError, match="on q is allowed every 60 seconds"):
        await restarted.purge_queue(url)
    clock.advance(1)
    await restarted.purge_queue(url)


# --- messages -----------------------------------------------------------------------


def aws_attributes_md5(attributes: dict[str, tuple[str, bytes, int]]) -> str:
    """AWS's documented encoding, written out independently of the service."""
    out = b""
    for name in sorted(attributes):
        data_type, value, transport = attributes[name]
        for part in (name.encode(), data_type.encode()):
            out += struct.pack(">I", len(part)) + part
        out += bytes([transport]) + struct.pack(">I", len(value)) + value
    return hashlib.md5(out).hexdigest()


async def test_send_answers_aws_digests(service: QueueService) -> None:
    url = await service.create_queue("q")
    answer = await service.send_message(
        url,
        {
            "message_body": "héllo",
            "message_attributes": {
                "z": {"data_type": "Number", "string_value": "1.5"},
                "a": {"data_type": "Binary", "binary_value": b"\x00\x01"},
                "m": {"data_type": "String.custom", "string_value": "ü"},
            },
        },
    )
    assert answer["md5_of_message_body"] == hashlib.md5("héllo".encode()).hexdigest()
    expected = aws_attributes_md5(
        {
            "a": ("Binary", b"\x00\x01", 2),
            "m": ("String.custom", "ü".encode(), 1),
            "z": ("Number", b"1.5", 1),
        }
    )
    assert answer["md5_of_message_attributes"] == expected
    [got] = await receive(service, "q", message_attribute_names=["All"])
    assert got["md5_of_message_attributes"] == expected
    assert got["message_attributes"]["a"] == {"data_type": "Binary", "binary_value": b"\x00\x01"}
    assert got["message_id"] == answer["message_id"]


async def test_message_checks(service: QueueService) -> None:
    url = await service.create_queue("q", attributes={"MaximumMessageSize": "1024"})
    with pytest.raises(MessageTooLongError):
        await service.send_message(url, {"message_body": "x" * 1025})
    with pytest.raises(InvalidMessageContentsError):
        await service.send_message(url, {"message_body": "bad \x00"})
    with pytest.raises(InvalidParameterValueError):
        await service.send_message(url, {"message_body": "x", "delay_seconds": 901})
    with pytest.raises(MissingParameterError):
        await service.send_message(url, {"message_body": ""})


async def test_batch_entries_fail_alone(service: QueueService) -> None:
    url = await service.create_queue("q")
    result = await service.send_message_batch(
        url,
        [
            {"id": "ok", "message_body": "a"},
            {"id": "bad", "message_body": "a", "delay_seconds": 1000},
        ],
    )
    assert [entry["id"] for entry in result.successful] == ["ok"]
    [(entry_id, error)] = result.failed
    assert entry_id == "bad"
    assert isinstance(error, InvalidParameterValueError)


async def test_batch_shape_errors(service: QueueService) -> None:
    url = await service.create_queue("q")
    with pytest.raises(EmptyBatchRequestError):
        await service.send_message_batch(url, [])
    entries = [{"id": str(n), "message_body": "a"} for n in range(11)]
    with pytest.raises(TooManyEntriesInBatchRequestError):
        await service.send_message_batch(url, entries)
    with pytest.raises(BatchEntryIdsNotDistinctError):
        await service.send_message_batch(url, [entries[0], entries[0]])


async def test_receive_attributes_and_selection(
    service: QueueService, clock: SettableClock
) -> None:
    url = await service.create_queue("q")
    attributes = {
        name: {"data_type": "String", "string_value": "v"} for name in ["a.x", "a.y", "b"]
    }
    await service.send_message(url, {"message_body": "m", "message_attributes": attributes})
    sent = int(clock.now().timestamp() * 1000)
    clock.advance(2)
    [got] = await receive(
        service,
        "q",
        system_attribute_names=["All"],
        message_attribute_names=["a.*"],
        visibility_timeout=0,
    )
    assert sorted(got["message_attributes"]) == ["a.x", "a.y"]
    assert got["attributes"] == {
        "SenderId": "000000000000",
        "SentTimestamp": str(sent),
        "ApproximateReceiveCount": "1",
        "ApproximateFirstReceiveTimestamp": str(sent + 2000),
    }
    [again] = await receive(service, "q", message_attribute_names=["b"])
    assert list(again["message_attributes"]) == ["b"]
    assert "attributes" not in again


async def test_receive_limits(service: QueueService) -> None:
    url = await service.create_queue("q")
    for kwargs in [{"max_number_of_messages": 11}, {"wait_time_seconds": 21}]:
        with pytest.raises(InvalidParameterValueError):
            await service.receive_message(url, **kwargs)  # type: ignore[arg-type]
    await service.send_message_batch(
        url, [{"id": str(n), "message_body": str(n)} for n in range(10)]
    )
    got = await receive(service, "q", max_number_of_messages=10)
    assert sorted(m["body"] for m in got) == [str(n) for n in range(10)]


async def test_visibility_and_delete(service: QueueService, clock: SettableClock) -> None:
    url = await service.create_queue("q", attributes={"VisibilityTimeout": "5"})
    await service.send_message(url, {"message_body": "a"})
    [first] = await receive(service, "q")
    assert await receive(service, "q") == []
    clock.advance(5)
    [second] = await receive(service, "q")
    await service.delete_message(url, first["receipt_handle"])
    await service.change_message_visibility(url, second["receipt_handle"], 0)
    [third] = await receive(service, "q", system_attribute_names=["ApproximateReceiveCount"])
    assert third["attributes"] == {"ApproximateReceiveCount": "3"}
    with pytest.raises(InvalidParameterValueError, match="not available for visibility"):
        await service.change_message_visibility(url, second["receipt_handle"], 10)
    with pytest.raises(ReceiptHandleIsInvalidError):
        await service.delete_message(url, "not-a-handle")
    result = await service.delete_message_batch(
        url,
        [
            {"id": "a", "receipt_handle": third["receipt_handle"]},
            {"id": "b", "receipt_handle": "nope"},
        ],
    )
    assert result.successful == [{"id": "a"}]
    assert [(i, type(e)) for i, e in result.failed] == [("b", ReceiptHandleIsInvalidError)]
    clock.advance(60)
    assert await receive(service, "q") == []


async def test_redrive_to_the_dead_letter_queue(
    service: QueueService, clock: SettableClock
) -> None:
    dlq = await service.create_queue("dlq")
    arn = "arn:aws:sqs:us-east-1:000000000000:dlq"
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1})
    url = await service.create_queue(
        "q", attributes={"RedrivePolicy": policy, "VisibilityTimeout": "1"}
    )
    attributes = {"k": {"data_type": "String", "string_value": "v"}}
    sent = await service.send_message(url, {"message_body": "a", "message_attributes": attributes})
    assert len(await receive(service, "q")) == 1
    clock.advance(1)
    assert await receive(service, "q") == []
    [moved] = await service.receive_message(dlq, message_attribute_names=["All"])
    assert (moved["message_id"], moved["body"]) == (sent["message_id"], "a")
    assert moved["message_attributes"] == attributes


async def test_retention(service: QueueService, clock: SettableClock) -> None:
    url = await service.create_queue("q", attributes={"MessageRetentionPeriod": "60"})
    await service.send_message(url, {"message_body": "a"})
    clock.advance(60)
    assert await receive(service, "q") == []


async def test_long_poll_answers_when_a_message_arrives(service: QueueService) -> None:
    url = await service.create_queue("q")
    waiting = asyncio.create_task(service.receive_message(url, wait_time_seconds=20))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    started = asyncio.get_running_loop().time()
    await service.send_message(url, {"message_body": "hi"})
    [got] = await asyncio.wait_for(waiting, 2)
    assert got["body"] == "hi"
    assert asyncio.get_running_loop().time() - started < 1


async def test_long_poll_sees_a_message_turn_visible(
    service: QueueService, clock: SettableClock
) -> None:
    url = await service.create_queue("q")
    await service.send_message(url, {"message_body": "later", "delay_seconds": 30})
    waiting = asyncio.create_task(service.receive_message(url, wait_time_seconds=20))
    await asyncio.sleep(0.1)
    clock.advance(30)
    [got] = await asyncio.wait_for(waiting, 2)
    assert got["body"] == "later"


# --- the engine's sender ------------------------------------------------------------


async def test_queue_sender_stores_string_attributes(
    service: QueueService, store: SqliteStore, clock: SettableClock
) -> None:
    url = await service.create_queue("dlq")
    sender = QueueSender(store.queues, scope=Scope())
    result = await sender.send(
        queue_arn="arn:aws:sqs:us-east-1:000000000000:dlq",
        body='{"id":"1"}',
        now=clock.now(),
        attributes={"ERROR_CODE": "TIMEOUT", "RETRY_ATTEMPTS": "3"},
    )
    assert result.outcome == Outcome.DELIVERED
    [got] = await service.receive_message(url, message_attribute_names=["All"])
    assert got["body"] == '{"id":"1"}'
    assert got["message_attributes"] == {
        "ERROR_CODE": {"data_type": "String", "string_value": "TIMEOUT"},
        "RETRY_ATTEMPTS": {"data_type": "String", "string_value": "3"},
    }


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sqs:us-east-1:000000000000:missing",
        "arn:aws:sqs:eu-west-1:000000000000:dlq",
        "not an arn",
    ],
)
async def test_queue_sender_reports_a_missing_queue(
    service: QueueService, store: SqliteStore, clock: SettableClock, arn: str
) -> None:
    await service.create_queue("dlq")
    sender = QueueSender(store.queues, scope=Scope())
    result = await sender.send(queue_arn=arn, body="x", now=clock.now())
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "NO_RESOURCE")
