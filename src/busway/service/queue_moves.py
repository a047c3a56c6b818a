"""Message move tasks (SQS's dead-letter queue redrive): StartMessageMoveTask,
ListMessageMoveTasks and CancelMessageMoveTask.

A task moves the messages of a dead-letter queue back to the queues they were
dead-lettered from, or to one destination queue, in batches: each batch is one store
transaction, so a message is never lost or doubled by a move. The task's bookkeeping
(status, counts) lives in this process, like PurgeQueue's once-a-minute guard: a task
runs on the node that started it, and only that node lists it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from busway.arn import Scope, parse_arn
from busway.clock import Clock
from busway.errors import (
    InvalidParameterValueError,
    ResourceNotFoundError,
    UnsupportedOperationError,
    ValidationError,
)
from busway.service.queue_requests import millis
from busway.storage.base import Queue, QueueStore

MAX_RATE = 500
"""AWS's ceiling for MaxNumberOfMessagesPerSecond."""
_BATCH = 100
"""Messages per transaction when no rate is given."""
_KEPT = 10
"""Tasks remembered per source queue: ListMessageMoveTasks shows at most ten."""


@dataclass
class MoveTask:
    """One message move task and how far it got."""

    handle: str
    source: Queue
    destination: Queue | None
    rate: int | None
    to_move: int
    started: datetime
    moved: int = 0
    status: str = "RUNNING"
    failure: str | None = None
    runner: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.status in ("RUNNING", "CANCELLING")

    def describe(self) -> dict[str, Any]:
        """The ListMessageMoveTasksResultEntry, snake_case; a handle only while running."""
        entry: dict[str, Any] = {
            "status": self.status,
            "source_arn": self.source.arn,
            "approximate_number_of_messages_moved": self.moved,
            "approximate_number_of_messages_to_move": self.to_move,
            "started_timestamp": millis(self.started),
        }
        if self.status == "RUNNING":
            entry["task_handle"] = self.handle
        if self.destination is not None:
            entry["destination_arn"] = self.destination.arn
        if self.rate is not None:
            entry["max_number_of_messages_per_second"] = self.rate
        if self.failure is not None:
            entry["failure_reason"] = self.failure
        return entry


class MessageMoves:
    """Start, list and cancel message move tasks over a ``QueueStore``."""

    def __init__(self, store: QueueStore, *, scope: Scope, clock: Clock) -> None:
        self._store = store
        self._scope = scope
        self._clock = clock
        self._tasks: dict[str, list[MoveTask]] = {}

    async def start_task(
        self, source_arn: str, *, destination_arn: str | None = None, rate: int | None = None
    ) -> str:
        """Start moving the messages of ``source_arn``, a queue that is some queue's
        dead-letter queue; answer the task handle. One running task per source."""
        source = await self._queue_named(source_arn, "SourceArn")
        if not await self._is_dead_letter_queue(source):
            raise InvalidParameterValueError(
                "SourceArn", source_arn, "Source queue must be configured as a Dead Letter Queue."
            )
        destination = None
        if destination_arn is not None:
            destination = await self._queue_named(destination_arn, "DestinationArn")
            _check_destination(source, destination)
        if rate is not None and not 1 <= rate <= MAX_RATE:
            raise InvalidParameterValueError(
                "MaxNumberOfMessagesPerSecond", rate, f"Must be between 1 and {MAX_RATE}."
            )
        counts = await self._store.counts(source.name, now=self._clock.now())
        # No await from this check to _remember: two starts at once cannot both pass.
        if any(task.active for task in self._tasks.get(source.name, ())):
            raise UnsupportedOperationError(
                "There is already a task running. Only one active task is allowed for a "
                "source queue arn at a given time."
            )
        task = MoveTask(
            _new_handle(source.arn), source, destination, rate, counts.visible, self._clock.now()
        )
        self._remember(task)
        task.runner = asyncio.create_task(self._run(task))
        return task.handle

    async def list_tasks(
        self, source_arn: str, *, max_results: int | None = None
    ) -> list[dict[str, Any]]:
        """The most recent tasks of ``source_arn``, newest first (1 by default, 10 at most)."""
        if max_results is not None and not 1 <= max_results <= _KEPT:
            raise InvalidParameterValueError(
                "MaxResults", max_results, f"Must be between 1 and {_KEPT}."
            )
        source = await self._queue_named(source_arn, "SourceArn")
        tasks = self._tasks.get(source.name, [])
        return [task.describe() for task in reversed(tasks)][: max_results or 1]

    async def cancel_task(self, handle: str) -> int:
        """Stop a running task after its current batch; answer how many it moved."""
        task = self._find(handle)
        if task.status != "RUNNING":
            raise UnsupportedOperationError("Only active tasks can be cancelled.")
        # CANCELLED once the batch in flight (if any) has committed.
        task.status = "CANCELLING"
        return task.moved

    async def close(self) -> None:
        """Stop every running task (the server is stopping)."""
        for tasks in self._tasks.values():
            for task in tasks:
                if task.runner is not None and not task.runner.done():
                    task.runner.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task.runner

    async def _run(self, task: MoveTask) -> None:
        destination = None if task.destination is None else task.destination.name
        try:
            while task.status == "RUNNING" and task.moved < task.to_move:
                batch = min(task.rate or _BATCH, task.to_move - task.moved)
                moved = await self._store.move_messages(
                    task.source.name, destination=destination, limit=batch, now=self._clock.now()
                )
                task.moved += moved
                if moved < batch:
                    break
                # A fixed rate moves one batch a second; otherwise let requests in.
                await asyncio.sleep(1.0 if task.rate else 0)
        except Exception as error:  # the task reports it as its FailureReason
            task.status, task.failure = "FAILED", f"{type(error).__name__}: {error}"
            return
        task.status = "CANCELLED" if task.status == "CANCELLING" else "COMPLETED"

    async def _queue_named(self, arn: str, parameter: str) -> Queue:
        try:
            parsed = parse_arn(arn)
        except ValidationError:
            parsed = None
        queue = None
        if parsed is not None and parsed.service == "sqs" and parsed.account == self._scope.account:
            queue = await self._store.get_queue(parsed.resource)
        if queue is None:
            raise ResourceNotFoundError(
                f"The resource that you specified for the {parameter} parameter doesn't exist."
            )
        return queue

    async def _is_dead_letter_queue(self, queue: Queue) -> bool:
        after = ""
        while True:
            found = await self._store.list_queues(after=after, limit=1000)
            if any(q.redrive is not None and q.redrive.dead_letter_arn == queue.arn for q in found):
                return True
            if len(found) < 1000:
                return False
            after = found[-1].name

    def _remember(self, task: MoveTask) -> None:
        tasks = self._tasks.setdefault(task.source.name, [])
        tasks.append(task)
        del tasks[:-_KEPT]

    def _find(self, handle: str) -> MoveTask:
        for tasks in self._tasks.values():
            for task in tasks:
                if task.handle == handle:
                    return task
        raise ResourceNotFoundError("Task does not exist.")


def _check_destination(source: Queue, destination: Queue) -> None:
    if destination.name == source.name:
        raise InvalidParameterValueError(
            "DestinationArn", destination.arn, "Source and destination queues must differ."
        )
    if _is_fifo(source) != _is_fifo(destination):
        raise InvalidParameterValueError(
            "DestinationArn",
            destination.arn,
            "Source and destination queues must be the same type.",
        )


def _is_fifo(queue: Queue) -> bool:
    return queue.attributes.get("FifoQueue") == "true"


def _new_handle(source_arn: str) -> str:
    """An opaque handle naming the task and its source, as AWS's do."""
    doc: Mapping[str, str] = {"taskId": str(uuid.uuid4()), "sourceArn": source_arn}
    return base64.b64encode(orjson.dumps(doc)).decode()
