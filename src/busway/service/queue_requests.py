"""Checks of SQS requests that need no store: queue names, message entries, batches,
receive parameters, and what each receipt-handle state means to the caller."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from busway.errors import (
    BatchEntryIdsNotDistinctError,
    BuswayError,
    EmptyBatchRequestError,
    InvalidBatchEntryIdError,
    InvalidParameterValueError,
    MessageTooLongError,
    MissingParameterError,
    ReceiptHandleIsInvalidError,
    TooManyEntriesInBatchRequestError,
)
from busway.service import queue_attributes as attrs
from busway.service import queue_messages as msgs
from busway.storage.base import MAX_VISIBILITY_SECONDS, HandleState, NewMessage, Queue

QUEUE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
MAX_WAIT_SECONDS = 20
LIST_LIMIT = 1000
PURGE_INTERVAL_SECONDS = 60
_SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "MessageGroupId",
    "MessageDeduplicationId",
)


@dataclass
class BatchResult:
    """Per-entry outcome of a batch: answers by entry, and failures with their error."""

    successful: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[str, BuswayError]] = field(default_factory=list)


def check_queue_name(name: str, fifo: bool) -> bool:
    """Whether the (valid) name is a FIFO queue's; ``fifo``: FifoQueue was set."""
    if name.endswith(".fifo") or fifo:
        if not (name.endswith(".fifo") and fifo and QUEUE_NAME_RE.match(name[:-5] or "!")):
            raise InvalidParameterValueError(
                "QueueName",
                name,
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                "or underscores, must end with .fifo suffix and be 1 to 80 in length.",
            )
        return True
    if not QUEUE_NAME_RE.match(name):
        raise InvalidParameterValueError(
            "QueueName",
            name,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    return False


def name_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def new_message(queue: Queue, entry: Mapping[str, Any]) -> tuple[NewMessage, dict[str, Any]]:
    body = entry.get("message_body")
    if not body:
        raise MissingParameterError("MessageBody")
    msgs.check_body(body)
    attributes = msgs.stored_attributes(entry.get("message_attributes") or {})
    limit = queue.seconds("MaximumMessageSize")
    if msgs.size_of(body, attributes) > limit:
        raise MessageTooLongError(limit)
    delay = entry.get("delay_seconds")
    if delay is not None and not 0 <= delay <= attrs.RANGES["DelaySeconds"][1]:
        raise InvalidParameterValueError(
            "DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900."
        )
    group = entry.get("message_group_id")
    if group is None and queue.attributes.get("FifoQueue") == "true":
        raise MissingParameterError("MessageGroupId")
    message = NewMessage(str(uuid.uuid4()), body, attributes, delay, group)
    answer = {
        "message_id": message.id,
        "md5_of_message_body": msgs.md5_hex(body),
        "md5_of_message_attributes": msgs.attributes_md5(attributes),
    }
    return message, answer


def check_batch(entries: Sequence[Mapping[str, Any]], kind: str) -> None:
    if not entries:
        raise EmptyBatchRequestError(kind)
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequestError(len(entries), MAX_BATCH_ENTRIES)
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("id", ""))
        if not _ENTRY_ID.match(entry_id):
            raise InvalidBatchEntryIdError(entry_id)
        if entry_id in seen:
            raise BatchEntryIdsNotDistinctError(entry_id)
        seen.add(entry_id)


def check_receive(limit: int | None, visibility: int | None, wait: int | None) -> int:
    if limit is not None and not 1 <= limit <= MAX_BATCH_ENTRIES:
        raise InvalidParameterValueError(
            "MaxNumberOfMessages", limit, "Must be between 1 and 10, if provided."
        )
    if wait is not None and not 0 <= wait <= MAX_WAIT_SECONDS:
        raise InvalidParameterValueError(
            "WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided."
        )
    if visibility is not None:
        check_visibility(visibility)
    return limit or 1


def check_visibility(seconds: int) -> None:
    if not 0 <= seconds <= MAX_VISIBILITY_SECONDS:
        raise InvalidParameterValueError(
            "VisibilityTimeout",
            seconds,
            f"Must be >= 0 and <= {MAX_VISIBILITY_SECONDS}, if provided.",
        )


def visibility_error(state: HandleState, handle: str, seconds: int) -> BuswayError | None:
    if state == HandleState.INVALID:
        return ReceiptHandleIsInvalidError(handle)
    if state == HandleState.STALE:
        return InvalidParameterValueError(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    if state == HandleState.TOO_LONG:
        return InvalidParameterValueError(
            "VisibilityTimeout",
            seconds,
            f"Total VisibilityTimeout for the message is beyond the limit "
            f"[{MAX_VISIBILITY_SECONDS} seconds]",
        )
    return None


def delete_error(state: HandleState, entry: Mapping[str, Any]) -> BuswayError | None:
    if state == HandleState.INVALID:
        return ReceiptHandleIsInvalidError(entry["receipt_handle"])
    return None


def change_error(state: HandleState, entry: Mapping[str, Any]) -> BuswayError | None:
    return visibility_error(state, entry["receipt_handle"], entry.get("visibility_timeout") or 0)


def batch_result(
    entries: Sequence[Mapping[str, Any]],
    states: Sequence[HandleState],
    explain: Callable[[HandleState, Mapping[str, Any]], BuswayError | None],
) -> BatchResult:
    result = BatchResult()
    for entry, state in zip(entries, states, strict=True):
        error = explain(state, entry)
        if error is None:
            result.successful.append({"id": entry["id"]})
        else:
            result.failed.append((entry["id"], error))
    return result
