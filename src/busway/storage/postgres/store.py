"""The PostgreSQL catalog and event log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from busway.model import Delivery
from busway.storage.base import Catalog, EventLog, Finished, NewEvent, Resource, RetryLater
from busway.storage.documents import dump_doc, load_doc, moment, stamp
from busway.storage.postgres.commit import GroupCommit
from busway.storage.postgres.database import SQL, Database, rowcount


class PostgresCatalog(Catalog):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, kind: str, parent: str, name: str) -> Resource | None:
        row = await self._db.fetchrow("get_resource", kind, parent, name)
        return None if row is None else _resource(row)

    async def list_under(
        self, kind: str, parent: str, *, prefix: str = "", after: str = "", limit: int = 0
    ) -> list[Resource]:
        rows = await self._db.fetch("list_resources", kind, parent, prefix, after, limit)
        return [_resource(row) for row in rows]

    async def list_kind(self, kind: str) -> list[Resource]:
        return [_resource(row) for row in await self._db.fetch("list_all_resources", kind)]

    async def create(self, resource: Resource, *, now: datetime) -> bool:
        return await self._change(resource.kind, "create_resource", *_row(resource, now)) == 1

    async def put(self, resource: Resource, *, now: datetime) -> None:
        await self._change(resource.kind, "put_resource", *_row(resource, now))

    async def delete(self, kind: str, parent: str, name: str) -> bool:
        async with self._db.hinting() as (conn, hints):
            deleted = bool(await conn.fetchval(SQL["delete_resource"], kind, parent, name))
            if deleted:
                hints.add("catalog", kind)
        return deleted

    async def delete_tree(self, kind: str, parent: str, name: str, *, child_kind: str) -> bool:
        async with self._db.hinting() as (conn, hints):
            deleted = bool(await conn.fetchval(SQL["delete_resource"], kind, parent, name))
            if deleted:
                await conn.execute(SQL["delete_children"], child_kind, name)
                hints.add("catalog", kind)
                hints.add("catalog", child_kind)
        return deleted

    async def _change(self, kind: str, query: str, *args: Any) -> int:
        """Run a write; tell the other nodes when it changed a row."""
        async with self._db.hinting() as (conn, hints):
            changed = rowcount(await conn.execute(SQL[query], *args))
            if changed:
                hints.add("catalog", kind)
        return changed

    async def fingerprint(self, kind: str) -> dict[str, tuple[int, float]]:
        rows = await self._db.fetch("resource_fingerprint", kind)
        return {row[0]: (int(row[1]), float(row[2])) for row in rows}

    async def tags(self, arn: str) -> dict[str, str]:
        return {row[0]: row[1] for row in await self._db.fetch("get_tags", arn)}

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        if tags:
            await self._db.execute("put_tags", arn, list(tags), list(tags.values()))

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        await self._db.execute("delete_tags", arn, list(keys))


def _row(resource: Resource, now: datetime) -> tuple[Any, ...]:
    created = stamp(resource.created or now)
    doc = dump_doc(resource.doc)
    return (resource.kind, resource.parent, resource.name, resource.arn, doc, created, stamp(now))


def _resource(row: Any) -> Resource:
    kind, parent, name, arn, doc, created, modified = row
    return Resource(kind, parent, name, arn, load_doc(doc), moment(created), moment(modified))


class PostgresEventLog(EventLog):
    """Concurrent appends share statements and commits (``GroupCommit``)."""

    def __init__(self, db: Database, *, flushers: int) -> None:
        self._db = db
        self._appends = GroupCommit(db, flushers=flushers)

    async def append(
        self, events: Sequence[NewEvent], *, now: datetime, lease_seconds: float, node: str
    ) -> list[Delivery]:
        lease_until = stamp(now) + lease_seconds
        return await self._appends.append(events, lease_until=lease_until, node=node)

    async def close(self) -> None:
        """Wait for queued appends; refuse new ones."""
        await self._appends.close()

    async def release(self, node: str, *, now: datetime) -> int:
        async with self._db.hinting() as (conn, hints):
            released = rowcount(await conn.execute(SQL["release_node"], stamp(now), node))
            if released:
                hints.add("deliveries")
        return released

    async def defer(self, delivery_ids: Sequence[int], *, now: datetime) -> None:
        if delivery_ids:
            await self._db.execute("defer_deliveries", list(delivery_ids), stamp(now))

    async def claim(
        self, *, now: datetime, limit: int, lease_seconds: float, node: str
    ) -> list[Delivery]:
        at = stamp(now)
        rows = await self._db.fetch("claim_deliveries", at, limit, at + lease_seconds, node)
        return [_delivery(row) for row in rows]

    async def retry(self, retries: Sequence[RetryLater]) -> None:
        if retries:
            ids = [r.delivery_id for r in retries]
            runs = [stamp(r.run_at) for r in retries]
            await self._settle("retry_deliveries", ids, runs, [r.error for r in retries])

    async def finish(self, finished: Sequence[Finished], *, now: datetime) -> None:
        if finished:
            ids, outcomes = [f.delivery_id for f in finished], [f.outcome for f in finished]
            errors = [f.error for f in finished]
            await self._settle("finish_deliveries", ids, outcomes, errors, stamp(now))

    async def _settle(self, query: str, *args: Any) -> None:
        """Write outcomes without waiting for the disk. Losing the last few in a crash
        only means sending those deliveries again (at least once, as a lost lease would),
        and not waiting keeps these frequent commits from queueing ahead of appends,
        which must wait for their flush."""
        async with self._db.transaction() as conn:
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute(SQL[query], *args)

    async def pending(self) -> int:
        return int(await self._db.fetchval("count_pending"))

    async def outcomes(self, *, bus: str | None = None, limit: int = 100) -> list[Finished]:
        rows = await self._db.fetch("recent_outcomes", bus, limit)
        return [Finished(row[0], row[1], row[2]) for row in rows]


def _delivery(row: Any) -> Delivery:
    delivery_id, event_id, bus, rule, target_id, attempts, ingested_at, body = row
    return Delivery(
        delivery_id, event_id, bus, rule, target_id, attempts, moment(ingested_at), bytes(body)
    )
