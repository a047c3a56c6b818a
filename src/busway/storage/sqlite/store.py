"""The SQLite implementation of the storage interfaces."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from busway.errors import StorageError
from busway.model import Delivery
from busway.storage.base import Catalog, EventLog, Finished, NewEvent, Resource, RetryLater
from busway.storage.documents import dump_doc, load_doc, moment, stamp
from busway.storage.sqlite.database import Database
from busway.storage.sqlite.queries import load_queries

_SQL = load_queries()
_END = "\U0010ffff"
# Rows per multi-row INSERT: bounds the statements cached per width (one per row count).
_ROWS = 64


class SqliteCatalog(Catalog):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, kind: str, parent: str, name: str) -> Resource | None:
        row = await self._db.read(
            lambda c: c.execute(_SQL["get_resource"], (kind, parent, name)).fetchone()
        )
        return None if row is None else _resource(row)

    async def list_under(
        self, kind: str, parent: str, *, prefix: str = "", after: str = "", limit: int = 0
    ) -> list[Resource]:
        sql = _SQL["list_resources"] + (f" LIMIT {int(limit)}" if limit else "")
        args = (kind, parent, prefix, prefix + _END, after)
        rows = await self._db.read(lambda c: c.execute(sql, args).fetchall())
        return [_resource(row) for row in rows]

    async def list_kind(self, kind: str) -> list[Resource]:
        rows = await self._db.read(
            lambda c: c.execute(_SQL["list_all_resources"], (kind,)).fetchall()
        )
        return [_resource(row) for row in rows]

    async def create(self, resource: Resource, *, now: datetime) -> bool:
        args = _row(resource, now)
        return await self._db.write(
            lambda c: c.execute(_SQL["create_resource"], args).rowcount == 1
        )

    async def put(self, resource: Resource, *, now: datetime) -> None:
        args = _row(resource, now)
        await self._db.write(lambda c: c.execute(_SQL["put_resource"], args))

    async def delete(self, kind: str, parent: str, name: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            row = conn.execute(_SQL["delete_resource"], (kind, parent, name)).fetchone()
            if row is not None:
                conn.execute(_SQL["delete_tags_of"], (row[0],))
            return row is not None

        return await self._db.write(work)

    async def delete_tree(self, kind: str, parent: str, name: str, *, child_kind: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            row = conn.execute(_SQL["delete_resource"], (kind, parent, name)).fetchone()
            if row is None:
                return False
            children = conn.execute(_SQL["delete_children"], (child_kind, name)).fetchall()
            conn.executemany(_SQL["delete_tags_of"], [row, *children])
            return True

        return await self._db.write(work)

    async def fingerprint(self, kind: str) -> dict[str, tuple[int, float]]:
        rows = await self._db.read(
            lambda c: c.execute(_SQL["resource_fingerprint"], (kind,)).fetchall()
        )
        return {parent: (count, latest) for parent, count, latest in rows}

    async def tags(self, arn: str) -> dict[str, str]:
        rows = await self._db.read(lambda c: c.execute(_SQL["get_tags"], (arn,)).fetchall())
        return dict(rows)

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        rows = [(arn, key, value) for key, value in tags.items()]
        await self._db.write(lambda c: c.executemany(_SQL["put_tag"], rows))

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        rows = [(arn, key) for key in keys]
        await self._db.write(lambda c: c.executemany(_SQL["delete_tag"], rows))


def _row(resource: Resource, now: datetime) -> tuple[Any, ...]:
    created = stamp(resource.created or now)
    doc = dump_doc(resource.doc)
    return (resource.kind, resource.parent, resource.name, resource.arn, doc, created, stamp(now))


def _resource(row: tuple[Any, ...]) -> Resource:
    kind, parent, name, arn, doc, created, modified = row
    return Resource(kind, parent, name, arn, load_doc(doc), moment(created), moment(modified))


class _Appends:
    """Appends that wait together go in as one job: the job takes, when the writer first
    runs it, every append queued until then, so a group commit costs one pair of
    multi-row INSERTs instead of a pair per caller (each statement makes the writer
    thread take the GIL back from a busy event loop)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._queued: list[_Append] = []
        self._job_pending = False

    async def append(
        self, events: Sequence[NewEvent], *, lease_until: float, node: str
    ) -> list[Delivery]:
        loop = asyncio.get_running_loop()
        item = _Append(events, lease_until, node, loop.create_future())
        with self._lock:
            self._queued.append(item)
            start = not self._job_pending
            self._job_pending = True
        if start:
            job = _AppendJob(self)
            try:
                done = self._db.submit(job)
            except StorageError as error:
                # This caller gets the error raised; a future of its own left holding it
                # unread would be reported at garbage collection.
                _settle([other for other in self.take() if other is not item], error=error)
                item.done.cancel()
                raise
            done.add_done_callback(lambda d: loop.call_soon_threadsafe(self._finish, job, d))
        return await item.done

    def take(self) -> list[_Append]:
        """Every queued append; the next append starts a new job."""
        with self._lock:
            items, self._queued = self._queued, []
            self._job_pending = False
        return items

    def _finish(self, job: _AppendJob, done: Future[list[list[Delivery]]]) -> None:
        items = job.items if job.items is not None else self.take()
        error = done.exception()
        if error is not None:
            _settle(items, error=error)
        else:
            _settle(items, results=done.result())


class _AppendJob:
    """The writer's work for one group of appends. The writer may run a job twice (a
    batch is retried job by job after a failure): the group is taken once, then kept."""

    def __init__(self, appends: _Appends) -> None:
        self._appends = appends
        self.items: list[_Append] | None = None

    def __call__(self, conn: sqlite3.Connection) -> list[list[Delivery]]:
        if self.items is None:
            self.items = self._appends.take()
        return insert_groups(conn, [(i.events, i.lease_until, i.node) for i in self.items])


@dataclass(frozen=True, slots=True)
class _Append:
    events: Sequence[NewEvent]
    lease_until: float
    node: str
    done: asyncio.Future[list[Delivery]]


def _settle(
    items: list[_Append],
    *,
    results: list[list[Delivery]] | None = None,
    error: BaseException | None = None,
) -> None:
    for index, item in enumerate(items):
        if item.done.done():
            continue  # its caller gave up waiting (cancelled)
        if results is None:
            item.done.set_exception(error or StorageError("the append was not written"))
        else:
            item.done.set_result(results[index])


class SqliteEventLog(EventLog):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._appends = _Appends(db)

    async def append(
        self, events: Sequence[NewEvent], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        deliveries: list[Delivery] = await self._appends.append(
            events, lease_until=stamp(now) + lease_seconds, node=node
        )
        return deliveries

    async def release(self, node: str, *, now: datetime) -> int:
        args = (stamp(now), node)
        return await self._db.write(lambda c: c.execute(_SQL["release_node"], args).rowcount)

    async def defer(self, delivery_ids: Sequence[int], *, now: datetime) -> None:
        args = (stamp(now), orjson.dumps(list(delivery_ids)).decode())
        await self._db.write(lambda c: c.execute(_SQL["defer_deliveries"], args), durable=False)

    async def claim(
        self, *, now: datetime, limit: int, lease_seconds: float, node: str
    ) -> list[Delivery]:
        args = {
            "now": stamp(now),
            "lease_until": stamp(now) + lease_seconds,
            "node": node,
            "limit": limit,
        }
        return await self._db.write(lambda c: _claim(c, args))

    # Outcomes are written without waiting for the disk: one a power cut undoes only
    # means that delivery is made again, which at-least-once allows.
    async def retry(self, retries: Sequence[RetryLater]) -> None:
        rows = [(stamp(r.run_at), r.error, r.delivery_id) for r in retries]
        await self._db.write(lambda c: c.executemany(_SQL["retry_delivery"], rows), durable=False)

    async def finish(self, finished: Sequence[Finished], *, now: datetime) -> None:
        delivered = [item.delivery_id for item in finished if item.outcome == "delivered"]
        ended = [item for item in finished if item.outcome != "delivered"]

        def work(conn: sqlite3.Connection) -> None:
            if delivered:
                conn.execute(_SQL["finish_deliveries"], (orjson.dumps(delivered).decode(),))
            for item in ended:
                row = conn.execute(_SQL["finish_delivery"], (item.delivery_id,)).fetchone()
                if row is not None:
                    conn.execute(
                        _SQL["record_outcome"],
                        (*row[:5], item.outcome, row[5], item.error, stamp(now)),
                    )

        await self._db.write(work, durable=False)

    async def pending(self) -> int:
        row = await self._db.read(lambda c: c.execute(_SQL["count_pending"]).fetchone())
        return int(row[0])

    async def outcomes(self, *, bus: str | None = None, limit: int = 100) -> list[Finished]:
        args = {"bus": bus, "limit": limit}
        rows = await self._db.read(lambda c: c.execute(_SQL["recent_outcomes"], args).fetchall())
        return [Finished(row[0], row[1], row[2]) for row in rows]


Group = tuple[Sequence[NewEvent], float, str]  # events, lease until, claiming node


def insert_events(
    conn: sqlite3.Connection, events: Sequence[NewEvent], lease_until: float, node: str
) -> list[Delivery]:
    """Insert events and their first deliveries, claimed by ``node``; in the caller's
    transaction."""
    return insert_groups(conn, [(events, lease_until, node)])[0]


def insert_groups(conn: sqlite3.Connection, groups: Sequence[Group]) -> list[list[Delivery]]:
    """Insert every group's events and claimed first deliveries in the same few
    statements; each group's deliveries, in order.

    Row ids are assigned here, from the largest ones in the tables (the caller holds the
    write lock), so that all rows go in a few multi-row INSERTs: every statement step
    releases and retakes the GIL, which costs more than the insert when the event loop
    is busy.
    """
    seq, delivery_id = conn.execute(_SQL["last_event_ids"]).fetchone()
    event_rows: list[Any] = []
    delivery_rows: list[Any] = []
    out: list[list[Delivery]] = []
    for events, lease_until, node in groups:
        claimed: list[Delivery] = []
        for event in events:
            seq += 1
            bus, ingested_at, body = event.bus, event.ingested_at, event.body
            event_rows += (
                seq,
                event.id,
                bus,
                event.time.timestamp(),
                ingested_at.timestamp(),
                body,
            )
            for rule, target in event.routes:
                delivery_id += 1
                delivery_rows += (
                    delivery_id,
                    seq,
                    bus,
                    rule,
                    target,
                    lease_until,
                    lease_until,
                    node,
                )
                claimed.append(
                    Delivery(delivery_id, event.id, bus, rule, target, 1, ingested_at, body)
                )
        out.append(claimed)
    insert_rows(conn, "insert_events", event_rows, width=6)
    insert_rows(conn, "insert_claimed_deliveries", delivery_rows, width=8)
    return out


def insert_rows(conn: sqlite3.Connection, query: str, flat: list[Any], *, width: int) -> None:
    """Run the multi-row INSERT ``query`` (its ``VALUES`` row given once) over ``flat``,
    the rows' values one after the other, in statements of at most ``_ROWS`` rows."""
    step = _ROWS * width
    for start in range(0, len(flat), step):
        chunk = flat[start : start + step]
        conn.execute(_multi_row(query, len(chunk) // width), chunk)


@functools.cache
def _multi_row(query: str, rows: int) -> str:
    head, _, row = _SQL[query].rpartition("VALUES")
    return f"{head}VALUES {', '.join([row.strip()] * rows)}"


def _claim(conn: sqlite3.Connection, args: dict[str, Any]) -> list[Delivery]:
    claimed = conn.execute(_SQL["claim_deliveries"], args).fetchall()
    if not claimed:
        return []
    seqs = sorted({row[1] for row in claimed})
    events = {
        row[0]: row[1:]
        for row in conn.execute(_SQL["event_bodies"], (orjson.dumps(seqs).decode(),))
    }
    out = []
    for delivery_id, seq, bus, rule, target_id, attempts in sorted(claimed):
        event_id, ingested_at, body = events[seq]
        out.append(
            Delivery(
                delivery_id,
                event_id,
                bus,
                rule,
                target_id,
                attempts,
                moment(ingested_at),
                bytes(body),
            )
        )
    return out
