"""Message move tasks (SQS's dead-letter queue redrive): StartMessageMoveTask,
ListMessageMoveTasks and CancelMessageMoveTask.

A task moves the messages of a dead-letter queue back to the queues they were
dead-lettered from, or to one destination queue, in batches: each batch is one store
transaction that also records the batch in the task, so a message is never lost or
doubled by a move and the counts never drift from what moved. The task itself lives in
the store (``MoveTaskStore``): every node sharing the store lists and cancels the same
tasks. The node that started a task runs it under a lease, renewed by each batch; a
restarted node resumes its own tasks at once, and any node takes over a task whose
runner's lease ran out (a node that died), checking every few seconds. A node that
stops gracefully finishes its batches and then lets go of its leases, so that another
node takes its tasks over at its next look instead of after the lease. Whichever node
runs a task turns a cancel (CANCELLING) into CANCELLED at its next batch.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from busway.arn import Scope, parse_arn
from busway.clock import Clock
from busway.errors import (
    InvalidParameterValueError,
    ResourceNotFoundError,
    StorageError,
    StoreUnavailableError,
    UnsupportedOperationError,
    ValidationError,
)
from busway.service.queue_requests import millis
from busway.storage.base import Queue, QueueStore
from busway.storage.move_tasks import KEPT_PER_SOURCE, RUNNING, MoveTask

MAX_RATE = 500
"""AWS's ceiling for MaxNumberOfMessagesPerSecond."""
_BATCH = 100
"""Messages per transaction when no rate is given."""
_RETRY_SECONDS = 1.0
"""Pause before trying a batch again when the database was out of reach."""
_STOP_SECONDS = 5.0
"""How long a stopping node waits for its batches in flight to end."""
_log = logging.getLogger("busway.queues")


def describe(task: MoveTask, source_arn: str) -> dict[str, Any]:
    """The ListMessageMoveTasksResultEntry, snake_case; a handle only while running."""
    entry: dict[str, Any] = {
        "status": task.status,
        "source_arn": source_arn,
        "approximate_number_of_messages_moved": task.moved,
        "approximate_number_of_messages_to_move": task.to_move,
        "started_timestamp": millis(task.started),
    }
    if task.status == RUNNING:
        entry["task_handle"] = task.handle
    if task.destination_arn is not None:
        entry["destination_arn"] = task.destination_arn
    if task.rate is not None:
        entry["max_number_of_messages_per_second"] = task.rate
    if task.failure is not None:
        entry["failure_reason"] = task.failure
    return entry


class MessageMoves:
    """Start, list and cancel message move tasks over a ``QueueStore``, and run this
    node's share of them. ``node`` names this process in the tasks' leases (as in
    deliveries'), which last ``lease_seconds`` past each batch."""

    def __init__(
        self,
        store: QueueStore,
        *,
        scope: Scope,
        clock: Clock,
        node: str = "local",
        lease_seconds: float = 120.0,
    ) -> None:
        self._store = store
        self._scope = scope
        self._clock = clock
        self._node = node
        self._lease_seconds = lease_seconds
        # Looking for abandoned tasks is one small query: often enough that a dead
        # node's task moves on soon after its lease, and within the lease when short.
        self.poll_seconds = max(0.5, min(lease_seconds / 2, 5.0))
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()
        # Held while claiming, so that a stopping node lets go only after any claim
        # in flight, and claims nothing after.
        self._claiming = asyncio.Lock()

    async def start_task(
        self, source_arn: str, *, destination_arn: str | None = None, rate: int | None = None
    ) -> str:
        """Start moving the messages of ``source_arn``, a queue that is some queue's
        dead-letter queue; answer the task handle. One active task per source."""
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
        now = self._clock.now()
        counts = await self._store.counts(source.name, now=now)
        task = MoveTask(
            _new_handle(source.arn),
            source.name,
            None if destination is None else destination.name,
            None if destination is None else destination.arn,
            rate,
            counts.visible,
            now,
        )
        if not await self._store.create_move_task(
            task, node=self._node, now=now, lease_seconds=self._lease_seconds
        ):
            raise UnsupportedOperationError(
                "There is already a task running. Only one active task is allowed for a "
                "source queue arn at a given time."
            )
        self._launch(task)
        return task.handle

    async def list_tasks(
        self, source_arn: str, *, max_results: int | None = None
    ) -> list[dict[str, Any]]:
        """The most recent tasks of ``source_arn``, newest first (1 by default, 10 at most)."""
        if max_results is not None and not 1 <= max_results <= KEPT_PER_SOURCE:
            raise InvalidParameterValueError(
                "MaxResults", max_results, f"Must be between 1 and {KEPT_PER_SOURCE}."
            )
        source = await self._queue_named(source_arn, "SourceArn")
        tasks = await self._store.list_move_tasks(source.name, limit=max_results or 1)
        return [describe(task, source.arn) for task in tasks]

    async def cancel_task(self, handle: str) -> int:
        """Stop a running task after its current batch; answer how many it moved."""
        before = await self._store.cancel_move_task(handle)
        if before is None:
            raise ResourceNotFoundError("Task does not exist.")
        if before.status != RUNNING:
            raise UnsupportedOperationError("Only active tasks can be cancelled.")
        return before.moved

    async def resume(self, *, own: bool = False) -> int:
        """Run the tasks whose runner's lease ran out and, with ``own``, those this node
        held in a previous life; return how many this node took (none once stopping)."""
        async with self._claiming:
            if self._stopping.is_set():
                return 0
            claimed = await self._store.claim_move_tasks(
                node=self._node, now=self._clock.now(), lease_seconds=self._lease_seconds, own=own
            )
        for task in claimed:
            self._launch(task)
        return len(claimed)

    async def run(self) -> None:
        """Resume this node's own tasks, then look for abandoned ones every
        ``poll_seconds`` until ``close``."""
        own = True
        while not self._stopping.is_set():
            try:
                await self.resume(own=own)
                own = False
            except StorageError as exc:
                _log.warning("looking for message move tasks failed (%s); trying again", exc)
            except Exception:
                _log.exception("looking for message move tasks failed; trying again later")
            await self._pause()

    def wake(self) -> None:
        """Look for tasks to take over now rather than at the next poll: another node
        said it let go of some (a hint; the poll is the guarantee)."""
        self._woken.set()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), self.poll_seconds)
        self._woken.clear()

    async def close(self) -> None:
        """Stop running tasks (the server is stopping gracefully) after the batch each
        has in flight, then let go of their leases: they stay RUNNING in the store, and
        another node takes them over at its next look (or this one when it starts
        again). A node that stops without ``close`` (a crash) keeps its leases until
        they run out."""
        self._stopping.set()
        self._woken.set()
        async with self._claiming:
            pass  # a claim in flight has ended; none starts now
        runners = list(self._runners.values())
        if runners:
            _, late = await asyncio.wait(runners, timeout=_STOP_SECONDS)
            # A batch stuck past that (the database hanging) is abandoned: the release
            # below waits for its transaction to end (row lock, or SQLite's one writer).
            for runner in late:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
        await self._release()

    async def _release(self) -> None:
        try:
            released = await self._store.release_move_tasks(node=self._node)
        except StorageError as exc:
            _log.warning(
                "could not let go of message move tasks (%s): they wait for their lease", exc
            )
            return
        if released:
            _log.info("let go of %d message move task(s) for another node to take over", released)

    def _launch(self, task: MoveTask) -> None:
        if task.handle in self._runners or self._stopping.is_set():
            # Running here already (its next batch renews the lease), or stopping: the
            # release at the end of ``close`` lets go of it.
            return
        runner = asyncio.create_task(self._run(task))
        self._runners[task.handle] = runner
        runner.add_done_callback(lambda _: self._runners.pop(task.handle, None))

    async def _run(self, task: MoveTask) -> None:
        try:
            while not self._stopping.is_set() and await self._step(task):
                # A fixed rate moves one batch a second; otherwise let requests in.
                if task.rate:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), 1.0)
                else:
                    await asyncio.sleep(0)
        except Exception as error:  # the task reports it as its FailureReason
            await self._fail(task, f"{type(error).__name__}: {error}")

    async def _step(self, task: MoveTask) -> bool:
        """Run the task's next batch; answer whether this node goes on running it. When
        the database is out of reach for now, the batch is tried again a little later
        (if that outlasts the lease, another node takes the task over and this one
        stops at its next batch)."""
        try:
            current = await self._store.move_task_batch(
                task.handle,
                node=self._node,
                limit=task.rate or _BATCH,
                now=self._clock.now(),
                lease_seconds=self._lease_seconds,
            )
        except StoreUnavailableError as error:
            _log.warning("a message move batch failed, tried again shortly: %s", error)
            await asyncio.sleep(_RETRY_SECONDS)
            return True
        return current is not None and current.runs_on(self._node)

    async def _fail(self, task: MoveTask, reason: str) -> None:
        try:
            await self._store.fail_move_task(task.handle, node=self._node, reason=reason)
        except StorageError as exc:
            _log.warning("could not record a move task's failure (%s): %s", reason, exc)

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
