"""The storage interface of schedules and their firings (EventBridge Scheduler, and rules
with a ScheduleExpression).

Each schedule row carries when it is next due. Firing an occurrence records
(schedule, occurrence) under a unique key in the same transaction as the events it
produces, so an occurrence fires once however many nodes try.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from busway.model import Delivery
from busway.storage.base import NewEvent
from busway.storage.documents import load_doc, maybe_moment, moment


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """A schedule: ``doc`` is its snake_case spec; ``due_at`` is when it next fires
    (``occurrence`` plus any flexible-window offset), None when it never will again."""

    group: str
    name: str
    arn: str
    doc: Mapping[str, Any]
    enabled: bool = True
    due_at: datetime | None = None
    occurrence: datetime | None = None
    created: datetime | None = None
    modified: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.group}/{self.name}"


def record_of(row: Sequence[Any]) -> ScheduleRecord:
    """A schedule from its stored row: (group, name, arn, doc, enabled, due_at,
    occurrence, created, modified), times as epoch seconds. Both backends store it so."""
    group, name, arn, doc, enabled, due_at, occurrence, created, modified = row
    return ScheduleRecord(
        group=group,
        name=name,
        arn=arn,
        doc=load_doc(doc),
        enabled=bool(enabled),
        due_at=maybe_moment(due_at),
        occurrence=maybe_moment(occurrence),
        created=moment(created),
        modified=moment(modified),
    )


@dataclass(frozen=True, slots=True)
class Firing:
    """One occurrence of a schedule, what it produces, and what comes next."""

    schedule: ScheduleRecord
    events: Sequence[NewEvent] = field(default_factory=tuple)
    next_due: datetime | None = None
    next_occurrence: datetime | None = None
    delete: bool = False


class ScheduleStore(ABC):
    @abstractmethod
    async def create(self, record: ScheduleRecord, *, now: datetime) -> bool:
        """Insert; False (nothing changed) when (group, name) is taken."""

    @abstractmethod
    async def replace(self, record: ScheduleRecord, *, now: datetime) -> bool:
        """Replace an existing schedule, keeping its creation time; False if missing."""

    @abstractmethod
    async def get(self, group: str, name: str) -> ScheduleRecord | None:
        """The schedule, or None."""

    @abstractmethod
    async def find(
        self,
        *,
        group: str | None = None,
        prefix: str = "",
        enabled: bool | None = None,
        after: str = "",
        limit: int = 0,
    ) -> list[ScheduleRecord]:
        """Schedules by (group, name) whose ``key`` sorts after ``after``; in ``group``
        only when given; at most ``limit`` (0: all)."""

    @abstractmethod
    async def delete(self, group: str, name: str) -> bool:
        """Delete; whether it existed. It will not fire again."""

    @abstractmethod
    async def delete_group(self, group: str) -> int:
        """Delete every schedule of ``group``; how many."""

    @abstractmethod
    async def due(self, *, now: datetime, limit: int) -> list[ScheduleRecord]:
        """Enabled schedules due at ``now``, earliest first."""

    @abstractmethod
    async def next_due(self) -> datetime | None:
        """The earliest due time of any enabled schedule."""

    @abstractmethod
    async def fire(
        self, firings: Sequence[Firing], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        """In ONE transaction, for each firing: record (schedule, occurrence) once; if it
        was not recorded before, append its events with their deliveries (claimed by
        ``node`` as ``EventLog.append`` does); then move the schedule to its next due time,
        or delete it, unless it was changed since it was read. Returns the claimed
        deliveries of the firings that were new."""

    @abstractmethod
    async def count(self) -> int:
        """How many schedules there are."""
