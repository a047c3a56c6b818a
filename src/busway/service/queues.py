"""Built-in queues with SQS's semantics: queues, send, receive with long polling,
visibility, delete and redrive to a dead-letter queue.

Requests and answers are snake_case dicts shaped like the SQS operations' members
(``message_body``, ``md5_of_message_body``, ...), so the API layer only renames. Batch
operations answer ``BatchResult``: failed entries carry the exception, which the API
layer turns into AWS's code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

from busway.arn import Scope
from busway.clock import Clock
from busway.errors import (
    BatchRequestTooLongError,
    BuswayError,
    InvalidParameterValueError,
    PurgeQueueInProgressError,
    QueueDoesNotExistError,
    QueueNameExistsError,
    ReceiptHandleIsInvalidError,
)
from busway.service import queue_attributes as attrs
from busway.service import queue_messages as msgs
from busway.service import queue_requests as checks
from busway.service.paging import decode_token, encode_token
from busway.service.queue_moves import MessageMoves
from busway.service.queue_requests import BatchResult

__all__ = ["BatchResult", "QueueService"]
from busway.storage.base import (
    HandleState,
    NewMessage,
    Queue,
    QueueStore,
    ReceivedMessage,
)


class QueueService:
    """The SQS operations over a ``QueueStore``; queue URLs are
    ``{base_url}/{account}/{queue_name}``."""

    def __init__(
        self,
        store: QueueStore,
        *,
        scope: Scope,
        clock: Clock,
        base_url: str,
        poll_interval: float = 1.0,
        node: str = "local",
        lease_seconds: float = 120.0,
    ) -> None:
        self._store = store
        self._scope = scope
        self._clock = clock
        self._base_url = base_url.rstrip("/")
        self._poll_interval = poll_interval
        self.moves = MessageMoves(
            store, scope=scope, clock=clock, node=node, lease_seconds=lease_seconds
        )
        """Message move tasks (dead-letter queue redrive), run by ``node`` under leases."""

    # --- queues ----------------------------------------------------------------------

    def url_of(self, name: str) -> str:
        return f"{self._base_url}/{self._scope.account}/{name}"

    async def create_queue(
        self,
        name: str,
        *,
        attributes: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create the queue, or find the same one; ``QueueNameExists`` when an attribute
        given differs from the existing queue's. Answers the queue URL."""
        given = dict(attributes or {})
        fifo = checks.check_queue_name(name, given.get("FifoQueue", "false").lower() == "true")
        checked = attrs.check_attributes(given, fifo=fifo, creating=True)
        await self._check_redrive(checked, fifo=fifo)
        checked = {k: v for k, v in checked.items() if v != ""}
        queue = Queue(name, self._scope.queue_arn(name), checked, dict(tags or {}))
        stored, created = await self._store.create_queue(queue, now=self._clock.now())
        if not created:
            for key, value in checked.items():
                if stored.setting(key) != value:
                    raise QueueNameExistsError(name, key)
        return self.url_of(name)

    async def get_queue_url(self, name: str) -> str:
        if await self._store.get_queue(name) is None:
            raise QueueDoesNotExistError(name)
        return self.url_of(name)

    async def list_queues(
        self, *, prefix: str = "", max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[str], str | None]:
        """Queue URLs by name; a NextToken only when ``max_results`` is given."""
        if max_results is not None and not 1 <= max_results <= checks.LIST_LIMIT:
            raise InvalidParameterValueError(
                "MaxResults", max_results, f"MaxResults must be between 1 and {checks.LIST_LIMIT}."
            )
        size = max_results or checks.LIST_LIMIT
        after = decode_token(next_token)
        found = await self._store.list_queues(prefix=prefix, after=after, limit=size + 1)
        urls = [self.url_of(queue.name) for queue in found[:size]]
        more = max_results is not None and len(found) > size
        return urls, encode_token(found[size - 1].name) if more else None

    async def delete_queue(self, url: str) -> None:
        name = checks.name_of(url)
        if not await self._store.delete_queue(name):
            raise QueueDoesNotExistError(name)

    async def purge_queue(self, url: str) -> None:
        """Delete every message; at most once per 60 seconds per queue, counted in the
        store, so across every node sharing it and across restarts."""
        name = checks.name_of(url)
        interval = checks.PURGE_INTERVAL_SECONDS
        purged = await self._store.purge(name, now=self._clock.now(), interval_seconds=interval)
        if purged is None:
            raise QueueDoesNotExistError(name)
        if not purged:
            raise PurgeQueueInProgressError(name)

    async def get_queue_attributes(self, url: str, names: Sequence[str] = ()) -> dict[str, str]:
        queue = await self._queue(url)
        if not names:
            return {}
        counts = await self._store.counts(queue.name, now=self._clock.now())
        return attrs.report(queue, counts, names)

    async def set_queue_attributes(self, url: str, attributes: Mapping[str, str]) -> None:
        queue = await self._queue(url)
        fifo = queue.attributes.get("FifoQueue") == "true"
        checked = attrs.check_attributes(attributes, fifo=fifo, creating=False)
        await self._check_redrive(checked, fifo=fifo)
        merged = {k: v for k, v in {**queue.attributes, **checked}.items() if v != ""}
        if not await self._store.set_queue_attributes(queue.name, merged, now=self._clock.now()):
            raise QueueDoesNotExistError(queue.name)

    async def list_queue_tags(self, url: str) -> dict[str, str]:
        return dict((await self._queue(url)).tags)

    async def tag_queue(self, url: str, tags: Mapping[str, str]) -> None:
        queue = await self._queue(url)
        await self._store.set_queue_tags(queue.name, {**queue.tags, **tags})

    async def untag_queue(self, url: str, keys: Sequence[str]) -> None:
        queue = await self._queue(url)
        kept = {k: v for k, v in queue.tags.items() if k not in set(keys)}
        await self._store.set_queue_tags(queue.name, kept)

    async def _queue(self, url: str) -> Queue:
        name = checks.name_of(url)
        queue = await self._store.get_queue(name)
        if queue is None:
            raise QueueDoesNotExistError(name)
        return queue

    async def _check_redrive(self, checked: Mapping[str, str], *, fifo: bool) -> None:
        policy = checked.get("RedrivePolicy")
        if not policy:
            return
        target = await self._store.get_queue(attrs.dead_letter_name(policy))
        if target is None or (target.attributes.get("FifoQueue") == "true") != fifo:
            raise InvalidParameterValueError(
                "RedrivePolicy", policy, "Dead-letter target does not exist."
            )

    # --- sending ---------------------------------------------------------------------

    async def send_message(self, url: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Enqueue one message: ``entry`` holds ``message_body`` and optionally
        ``delay_seconds``, ``message_attributes``, ``message_group_id``."""
        queue = await self._queue(url)
        message, answer = checks.new_message(queue, entry)
        await self._send(queue, [message])
        return answer

    async def send_message_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> BatchResult:
        """Up to 10 entries with distinct ``id``s, stored in one write; an entry that
        fails its checks fails alone."""
        checks.check_batch(entries, "SendMessageBatchRequestEntry")
        queue = await self._queue(url)
        total = sum(len(str(e.get("message_body", "")).encode()) for e in entries)
        if total > checks.MAX_BATCH_BYTES:
            raise BatchRequestTooLongError(total, checks.MAX_BATCH_BYTES)
        result, messages = BatchResult(), []
        for entry in entries:
            try:
                message, answer = checks.new_message(queue, entry)
            except BuswayError as error:
                result.failed.append((entry["id"], error))
                continue
            messages.append(message)
            result.successful.append({"id": entry["id"], **answer})
        if messages:
            await self._send(queue, messages)
        return result

    async def _send(self, queue: Queue, messages: Sequence[NewMessage]) -> None:
        if not await self._store.send(queue.name, messages, now=self._clock.now()):
            raise QueueDoesNotExistError(queue.name)

    # --- receiving -------------------------------------------------------------------

    async def receive_message(
        self,
        url: str,
        *,
        max_number_of_messages: int | None = None,
        visibility_timeout: int | None = None,
        wait_time_seconds: int | None = None,
        system_attribute_names: Sequence[str] = (),
        message_attribute_names: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Up to ``max_number_of_messages`` (1-10) messages; waits up to
        ``wait_time_seconds`` (default: the queue's ReceiveMessageWaitTimeSeconds) for
        the first to arrive, answering as soon as one does."""
        queue = await self._queue(url)
        limit = checks.check_receive(max_number_of_messages, visibility_timeout, wait_time_seconds)
        wait = wait_time_seconds
        if wait is None:
            wait = queue.seconds("ReceiveMessageWaitTimeSeconds")
        got = await self._claim(queue.name, limit, visibility_timeout, float(wait))
        system = set(system_attribute_names)
        return [self._render(m, system, message_attribute_names) for m in got]

    async def _claim(
        self, name: str, limit: int, visibility: int | None, wait: float
    ) -> list[ReceivedMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            # Taken before looking, so a send between the look and the wait still wakes.
            arrival = self._store.watch(name)
            got = await self._store.receive(
                name, now=self._clock.now(), limit=limit, visibility_seconds=visibility
            )
            remaining = deadline - loop.time()
            if got or remaining <= 0:
                return got
            with suppress(TimeoutError):
                await asyncio.wait_for(arrival.wait(), min(remaining, self._poll_interval))

    def _render(
        self, message: ReceivedMessage, system: set[str], names: Sequence[str]
    ) -> dict[str, Any]:
        chosen = msgs.select(message.attributes, names)
        out: dict[str, Any] = {
            "message_id": message.id,
            "receipt_handle": message.receipt_handle,
            "md5_of_body": msgs.md5_hex(message.body),
            "body": message.body,
        }
        shown = self._system_attributes(message, system)
        if shown:
            out["attributes"] = shown
        if chosen:
            out["md5_of_message_attributes"] = msgs.attributes_md5(chosen)
            out["message_attributes"] = msgs.wire_attributes(chosen)
        return out

    def _system_attributes(self, message: ReceivedMessage, wanted: set[str]) -> dict[str, str]:
        values = {
            "SenderId": self._scope.account,
            "SentTimestamp": str(checks.millis(message.sent)),
            "ApproximateReceiveCount": str(message.receive_count),
            "ApproximateFirstReceiveTimestamp": str(checks.millis(message.first_received)),
            "MessageGroupId": message.group_id,
            "MessageDeduplicationId": message.dedup_id,
        }
        every = "All" in wanted
        return {
            name: value
            for name, value in values.items()
            if value is not None and (every or name in wanted)
        }

    # --- deleting and visibility -----------------------------------------------------

    async def delete_message(self, url: str, receipt_handle: str) -> None:
        """Delete by the latest receipt handle; an older handle succeeds and deletes
        nothing, as on AWS."""
        queue = await self._queue(url)
        [state] = await self._store.delete_messages(queue.name, [receipt_handle])
        if state == HandleState.INVALID:
            raise ReceiptHandleIsInvalidError(receipt_handle)

    async def delete_message_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> BatchResult:
        checks.check_batch(entries, "DeleteMessageBatchRequestEntry")
        queue = await self._queue(url)
        handles = [e["receipt_handle"] for e in entries]
        states = await self._store.delete_messages(queue.name, handles)
        return checks.batch_result(entries, states, checks.delete_error)

    async def change_message_visibility(
        self, url: str, receipt_handle: str, visibility_timeout: int
    ) -> None:
        queue = await self._queue(url)
        checks.check_visibility(visibility_timeout)
        changes = [(receipt_handle, visibility_timeout)]
        [state] = await self._store.change_visibility(queue.name, changes, now=self._clock.now())
        error = checks.visibility_error(state, receipt_handle, visibility_timeout)
        if error is not None:
            raise error

    async def change_message_visibility_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> BatchResult:
        checks.check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        queue = await self._queue(url)
        result, changes, valid = BatchResult(), [], []
        for entry in entries:
            timeout = int(entry.get("visibility_timeout") or 0)
            try:
                checks.check_visibility(timeout)
            except BuswayError as error:
                result.failed.append((entry["id"], error))
                continue
            changes.append((entry["receipt_handle"], timeout))
            valid.append(entry)
        states = await self._store.change_visibility(queue.name, changes, now=self._clock.now())
        done = checks.batch_result(valid, states, checks.change_error)
        result.successful = done.successful
        result.failed += done.failed
        return result
