"""The storage interface of message move tasks (SQS's dead-letter queue redrive).

A task lives in the store, so every node sharing it lists the same tasks and any node
can cancel one. The node that runs a task (``runner``) holds it with a lease, renewed by
every batch; once the lease has run out, or its runner let go of it as it stopped
(``release_move_tasks``), any node may take the task over and carry on
(``claim_move_tasks``), as with deliveries. Each batch moves its messages and records
them in the task in ONE transaction, so the counts never drift from what moved.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta

RUNNING = "RUNNING"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
ACTIVE = (RUNNING, CANCELLING)
"""The statuses of a task someone still has to run (at most one per source)."""
KEPT_PER_SOURCE = 10
"""Finished tasks kept per source queue: ListMessageMoveTasks shows at most ten."""


@dataclass(frozen=True, slots=True)
class MoveTask:
    """One message move task and how far it got. ``destination`` None means each
    message goes back to the queue it was dead-lettered from."""

    handle: str
    source: str
    destination: str | None
    destination_arn: str | None
    rate: int | None
    to_move: int
    started: datetime
    moved: int = 0
    status: str = RUNNING
    failure: str | None = None
    runner: str | None = None
    lease_until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def runs_on(self, node: str) -> bool:
        """Whether ``node`` holds the task and must go on running it."""
        return self.active and self.runner == node


def batch_size(task: MoveTask, limit: int) -> int:
    """How many messages the task's next batch may move: ``limit``, or what is left."""
    return max(0, min(limit, task.to_move - task.moved))


def after_batch(
    task: MoveTask, *, moved: int, size: int, now: datetime, lease_seconds: float
) -> MoveTask:
    """The task once a batch of ``size`` moved ``moved`` messages: COMPLETED when the
    source ran dry or everything counted at the start has moved, else RUNNING with its
    lease renewed."""
    total = task.moved + moved
    if moved < size or total >= task.to_move:
        return dataclasses.replace(task, moved=total, status=COMPLETED, lease_until=None)
    lease_until = now + timedelta(seconds=lease_seconds)
    return dataclasses.replace(task, moved=total, lease_until=lease_until)


def cancelled(task: MoveTask) -> MoveTask:
    """A CANCELLING task once its runner has seen the cancel: CANCELLED, lease let go."""
    return dataclasses.replace(task, status=CANCELLED, lease_until=None)


class MoveTaskStore(ABC):
    """Message move tasks and their batches. Methods that compare times take ``now``."""

    @abstractmethod
    async def create_move_task(
        self, task: MoveTask, *, node: str, now: datetime, lease_seconds: float
    ) -> bool:
        """Insert ``task`` RUNNING with nothing moved, run by ``node`` under a lease until
        ``now + lease_seconds``, unless its source has an active task (RUNNING or
        CANCELLING): then store nothing and return False. The check and the insert are
        atomic across nodes. The source's finished tasks beyond the newest
        ``KEPT_PER_SOURCE`` are deleted in the same transaction."""

    @abstractmethod
    async def list_move_tasks(self, source: str, *, limit: int) -> list[MoveTask]:
        """The latest ``limit`` tasks of the queue ``source``, newest first."""

    @abstractmethod
    async def cancel_move_task(self, handle: str) -> MoveTask | None:
        """Make the task CANCELLING if it is RUNNING; whichever node runs it makes it
        CANCELLED at its next batch. Return the task as it was BEFORE (None when no task
        has this handle), so the caller can tell a task that was not running."""

    @abstractmethod
    async def move_task_batch(
        self, handle: str, *, node: str, limit: int, now: datetime, lease_seconds: float
    ) -> MoveTask | None:
        """Run the next batch of a task ``node`` holds, in ONE transaction: when it is
        CANCELLING, make it CANCELLED; when RUNNING, move ``batch_size(task, limit)``
        messages as ``QueueStore.move_messages`` does and record them as ``after_batch``
        says. A task that is not ``node``'s to run (finished, or taken over by another
        node) is left as it is. Return the task as it is after (None when unknown): the
        caller goes on while ``task.runs_on(node)``."""

    @abstractmethod
    async def fail_move_task(self, handle: str, *, node: str, reason: str) -> bool:
        """Make a task ``node`` runs FAILED with ``reason``; return whether it was."""

    @abstractmethod
    async def claim_move_tasks(
        self, *, node: str, now: datetime, lease_seconds: float, own: bool = False
    ) -> list[MoveTask]:
        """Take over the active tasks whose lease ended at or before ``now`` and, with
        ``own``, those ``node`` already holds (a restarted node's previous life's):
        ``node`` runs them under a lease until ``now + lease_seconds``. Return them."""

    @abstractmethod
    async def release_move_tasks(self, *, node: str) -> int:
        """Let go of the leases of the active tasks (RUNNING or CANCELLING) ``node``
        holds: clear their runner and lease, so that any node's next
        ``claim_move_tasks`` takes them over, whatever its ``now``. Called by a node
        that stops gracefully once its batches have stopped. Finished tasks and tasks
        another node holds are left as they are. Return how many were released."""
