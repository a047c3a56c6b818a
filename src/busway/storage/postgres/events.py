"""Writing events and their first deliveries: one statement for any number of events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from busway.model import Delivery
from busway.storage.base import NewEvent
from busway.storage.postgres.database import SQL


@dataclass(slots=True)
class EventColumns:
    """The array parameters of ``append_events``, filled one call's events at a time."""

    ids: list[str] = field(default_factory=list)
    buses: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    ingested: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    leases: list[float] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)

    def add(self, events: Sequence[NewEvent], *, lease_until: float, node: str) -> None:
        for event in events:
            self.ids.append(event.id)
            self.buses.append(event.bus)
            self.times.append(event.time.timestamp())
            self.ingested.append(event.ingested_at.timestamp())
            self.bodies.append(event.body)
            position = len(self.ids)
            for rule, target in event.routes:
                self.owners.append(position)
                self.rules.append(rule)
                self.targets.append(target)
                self.leases.append(lease_until)
                self.nodes.append(node)

    def arguments(self) -> tuple[list[Any], ...]:
        return (
            self.ids,
            self.buses,
            self.times,
            self.ingested,
            self.bodies,
            self.owners,
            self.rules,
            self.targets,
            self.leases,
            self.nodes,
        )


async def insert_events(
    conn: Any, events: Sequence[NewEvent], *, lease_until: float, node: str
) -> list[Delivery]:
    """Insert events and their first deliveries, claimed by ``node`` until
    ``lease_until``, on ``conn`` (in the caller's transaction, if any)."""
    if not events:
        return []
    columns = EventColumns()
    columns.add(events, lease_until=lease_until, node=node)
    return deliveries_of(events, await insert_columns(conn, columns))


async def insert_columns(conn: Any, columns: EventColumns) -> list[int]:
    """Run ``append_events``; the delivery ids, in the order the routes were added."""
    rows = await conn.fetch(SQL["append_events"], *columns.arguments())
    return [row[0] for row in rows]


def deliveries_of(events: Sequence[NewEvent], ids: Sequence[int]) -> list[Delivery]:
    """The claimed first attempts of ``events``' routes, given their ids in route order."""
    out: list[Delivery] = []
    next_id = iter(ids)
    for event in events:
        for rule, target in event.routes:
            out.append(
                Delivery(
                    next(next_id),
                    event.id,
                    event.bus,
                    rule,
                    target,
                    1,
                    event.ingested_at,
                    event.body,
                )
            )
    return out
