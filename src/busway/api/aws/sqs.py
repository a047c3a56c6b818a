"""The SQS JSON 1.0 protocol (``X-Amz-Target: AmazonSQS.*``) over ``QueueService``.

Errors go out as SQS sends them: ``__type`` ``com.amazonaws.sqs#<Shape>`` and the
legacy query code in ``x-amzn-query-error``, which botocore shows as
``Error.Code`` (``AWS.SimpleQueueService.NonExistentQueue``) while it still raises the
modelled exception (``QueueDoesNotExist``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from busway.api.aws.protocol import ErrorCode, Handler, ServiceApi
from busway.errors import (
    BatchEntryIdsNotDistinctError,
    BatchRequestTooLongError,
    BuswayError,
    EmptyBatchRequestError,
    InvalidAttributeNameError,
    InvalidAttributeValueError,
    InvalidBatchEntryIdError,
    InvalidMessageContentsError,
    LimitExceededError,
    MissingParameterError,
    PurgeQueueInProgressError,
    QueueDoesNotExistError,
    QueueNameExistsError,
    ReceiptHandleIsInvalidError,
    ResourceNotFoundError,
    TooManyEntriesInBatchRequestError,
    UnsupportedOperationError,
    ValidationError,
)
from busway.service.queues import BatchResult, QueueService

_LEGACY = "AWS.SimpleQueueService."


def _code(shape: str, legacy: str | None = None) -> ErrorCode:
    return ErrorCode(shape, query_code=legacy or shape)


# Most specific first: ServiceApi.error_for takes the first class that matches.
ERRORS: tuple[tuple[type[Exception], ErrorCode], ...] = (
    (QueueDoesNotExistError, _code("QueueDoesNotExist", _LEGACY + "NonExistentQueue")),
    (QueueNameExistsError, _code("QueueNameExists", "QueueAlreadyExists")),
    (ResourceNotFoundError, _code("ResourceNotFoundException")),
    (UnsupportedOperationError, _code("UnsupportedOperation", _LEGACY + "UnsupportedOperation")),
    (PurgeQueueInProgressError, _code("PurgeQueueInProgress", _LEGACY + "PurgeQueueInProgress")),
    (EmptyBatchRequestError, _code("EmptyBatchRequest", _LEGACY + "EmptyBatchRequest")),
    (
        TooManyEntriesInBatchRequestError,
        _code("TooManyEntriesInBatchRequest", _LEGACY + "TooManyEntriesInBatchRequest"),
    ),
    (
        BatchEntryIdsNotDistinctError,
        _code("BatchEntryIdsNotDistinct", _LEGACY + "BatchEntryIdsNotDistinct"),
    ),
    (InvalidBatchEntryIdError, _code("InvalidBatchEntryId", _LEGACY + "InvalidBatchEntryId")),
    (BatchRequestTooLongError, _code("BatchRequestTooLong", _LEGACY + "BatchRequestTooLong")),
    (InvalidAttributeNameError, _code("InvalidAttributeName")),
    (InvalidAttributeValueError, _code("InvalidAttributeValue")),
    (InvalidMessageContentsError, _code("InvalidMessageContents")),
    (ReceiptHandleIsInvalidError, _code("ReceiptHandleIsInvalid")),
    (MissingParameterError, _code("MissingRequiredParameterException", "MissingParameter")),
    (LimitExceededError, _code("OverLimit")),
    # InvalidParameterValueError, MessageTooLongError and the shape checks' own
    # ValidationError all reach SDKs as InvalidParameterValue.
    (ValidationError, _code("InvalidParameterValueException", "InvalidParameterValue")),
)


def sqs_api(queues: QueueService) -> ServiceApi:
    """The ``sqs`` service: handlers by operation name and SQS's error table."""
    handlers = {name: _bind(operation, queues) for name, operation in _OPERATIONS.items()}
    return ServiceApi(
        name="sqs",
        target_prefix="AmazonSQS",
        json_version="1.0",
        handlers=handlers,
        errors=ERRORS,
        error_namespace="com.amazonaws.sqs",
    )


def _bind(operation: Operation, queues: QueueService) -> Handler:
    async def handle(params: dict[str, Any]) -> Mapping[str, Any] | None:
        return await operation(queues, params)

    return handle


def batch_answer(result: BatchResult) -> dict[str, Any]:
    """A batch result as the output shape: failures with SQS's query code."""
    return {
        "successful": result.successful,
        "failed": [_failure(entry_id, error) for entry_id, error in result.failed],
    }


def _failure(entry_id: str, error: BuswayError) -> dict[str, Any]:
    code = next((c for kind, c in ERRORS if isinstance(error, kind)), _code("InternalError"))
    return {
        "id": entry_id,
        "sender_fault": code.sender_fault,
        "code": code.query_code or code.code,
        "message": getattr(error, "message", str(error)),
    }


async def _create_queue(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    url = await q.create_queue(p["queue_name"], attributes=p.get("attributes"), tags=p.get("tags"))
    return {"queue_url": url}


async def _get_queue_url(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    return {"queue_url": await q.get_queue_url(p["queue_name"])}


async def _list_queues(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    urls, token = await q.list_queues(
        prefix=p.get("queue_name_prefix", ""),
        max_results=p.get("max_results"),
        next_token=p.get("next_token"),
    )
    return {"queue_urls": urls or None, "next_token": token}


async def _delete_queue(q: QueueService, p: dict[str, Any]) -> None:
    await q.delete_queue(p["queue_url"])


async def _purge_queue(q: QueueService, p: dict[str, Any]) -> None:
    await q.purge_queue(p["queue_url"])


async def _get_queue_attributes(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    found = await q.get_queue_attributes(p["queue_url"], p.get("attribute_names") or ())
    return {"attributes": found or None}


async def _set_queue_attributes(q: QueueService, p: dict[str, Any]) -> None:
    await q.set_queue_attributes(p["queue_url"], p["attributes"])


async def _list_queue_tags(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": await q.list_queue_tags(p["queue_url"]) or None}


async def _tag_queue(q: QueueService, p: dict[str, Any]) -> None:
    await q.tag_queue(p["queue_url"], p["tags"])


async def _untag_queue(q: QueueService, p: dict[str, Any]) -> None:
    await q.untag_queue(p["queue_url"], p["tag_keys"])


async def _send_message(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    return await q.send_message(p["queue_url"], p)


async def _send_message_batch(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    return batch_answer(await q.send_message_batch(p["queue_url"], p["entries"]))


async def _receive_message(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    names = [*p.get("attribute_names", ()), *p.get("message_system_attribute_names", ())]
    messages = await q.receive_message(
        p["queue_url"],
        max_number_of_messages=p.get("max_number_of_messages"),
        visibility_timeout=p.get("visibility_timeout"),
        wait_time_seconds=p.get("wait_time_seconds"),
        system_attribute_names=names,
        message_attribute_names=p.get("message_attribute_names", ()),
    )
    return {"messages": messages or None}


async def _delete_message(q: QueueService, p: dict[str, Any]) -> None:
    await q.delete_message(p["queue_url"], p["receipt_handle"])


async def _delete_message_batch(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    return batch_answer(await q.delete_message_batch(p["queue_url"], p["entries"]))


async def _change_message_visibility(q: QueueService, p: dict[str, Any]) -> None:
    await q.change_message_visibility(p["queue_url"], p["receipt_handle"], p["visibility_timeout"])


async def _change_message_visibility_batch(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    return batch_answer(await q.change_message_visibility_batch(p["queue_url"], p["entries"]))


async def _start_message_move_task(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    handle = await q.moves.start_task(
        p["source_arn"],
        destination_arn=p.get("destination_arn"),
        rate=p.get("max_number_of_messages_per_second"),
    )
    return {"task_handle": handle}


async def _list_message_move_tasks(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    found = await q.moves.list_tasks(p["source_arn"], max_results=p.get("max_results"))
    return {"results": found or None}


async def _cancel_message_move_task(q: QueueService, p: dict[str, Any]) -> dict[str, Any]:
    moved = await q.moves.cancel_task(p["task_handle"])
    return {"approximate_number_of_messages_moved": moved}


Operation = Callable[[QueueService, dict[str, Any]], Awaitable[Mapping[str, Any] | None]]
_OPERATIONS: dict[str, Operation] = {
    "CreateQueue": _create_queue,
    "GetQueueUrl": _get_queue_url,
    "ListQueues": _list_queues,
    "DeleteQueue": _delete_queue,
    "PurgeQueue": _purge_queue,
    "GetQueueAttributes": _get_queue_attributes,
    "SetQueueAttributes": _set_queue_attributes,
    "ListQueueTags": _list_queue_tags,
    "TagQueue": _tag_queue,
    "UntagQueue": _untag_queue,
    "SendMessage": _send_message,
    "SendMessageBatch": _send_message_batch,
    "ReceiveMessage": _receive_message,
    "DeleteMessage": _delete_message,
    "DeleteMessageBatch": _delete_message_batch,
    "ChangeMessageVisibility": _change_message_visibility,
    "ChangeMessageVisibilityBatch": _change_message_visibility_batch,
    "StartMessageMoveTask": _start_message_move_task,
    "ListMessageMoveTasks": _list_message_move_tasks,
    "CancelMessageMoveTask": _cancel_message_move_task,
}
