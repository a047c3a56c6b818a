"""The SQLite implementation of the storage interfaces."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

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


class SqliteEventLog(EventLog):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self, events: Sequence[NewEvent], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        lease_until = stamp(now) + lease_seconds
        return await self._db.write(lambda c: insert_events(c, events, lease_until, node))

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


def insert_events(
    conn: sqlite3.Connection, events: Sequence[NewEvent], lease_until: float, node: str
) -> list[Delivery]:
    """Insert events and their first deliveries, claimed by ``node``; in the caller's
    transaction.

    Row ids are assigned here, from the largest ones in the tables (the caller holds the
    write lock), so that all rows go in a few multi-row INSERTs: every statement step
    releases and retakes the GIL, which costs more than the insert when the event loop
    is busy.
    """
    seq, delivery_id = conn.execute(_SQL["last_event_ids"]).fetchone()
    event_rows: list[Any] = []
    delivery_rows: list[Any] = []
    out = []
    for event in events:
        seq += 1
        bus, ingested_at, body = event.bus, event.ingested_at, event.body
        event_rows += (seq, event.id, bus, event.time.timestamp(), ingested_at.timestamp(), body)
        for rule, target in event.routes:
            delivery_id += 1
            delivery_rows += (delivery_id, seq, bus, rule, target, lease_until, lease_until, node)
            out.append(Delivery(delivery_id, event.id, bus, rule, target, 1, ingested_at, body))
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
