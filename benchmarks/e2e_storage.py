"""The storage limit: the rows a PutEvents run writes, appended straight into the SQLite store
(or, with ``url``, the PostgreSQL store) with its group commit and no HTTP, from many
concurrent callers in batches of 10.

    python e2e_storage.py CONFIG.json    # prints the figures as JSON on stdout

Run as its own process (with the same ``busway`` package as the server under test) so that
nothing else shares its interpreter. The events are built before the clock starts, in the
form the server stores them, each with the deliveries its matching rules make.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from busway.storage.base import NewEvent
from busway.storage.postgres import PostgresStore
from busway.storage.sqlite import SqliteStore


def build_events(config: dict[str, Any], now: datetime) -> list[NewEvent]:
    entries, matched = config["entries"], config["matched"]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for i in range(config["count"]):
        entry, rules = entries[i % len(entries)], matched[i % len(entries)]
        event_id = str(uuid.uuid4())
        event = {
            "version": "0",
            "id": event_id,
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": "000000000000",
            "time": stamp,
            "region": "us-east-1",
            "resources": entry["Resources"],
            "detail": orjson.loads(entry["Detail"]),
        }
        routes = [(f"rule-{r:03d}", "sink") for r in rules]
        out.append(NewEvent(event_id, entry["EventBusName"], now, now, orjson.dumps(event), routes))
    return out


async def append_all(
    store: SqliteStore | PostgresStore, events: list[NewEvent], config: dict[str, Any]
) -> float:
    batch, now = config["batch"], datetime.now(UTC)
    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    queue = iter(batches)

    async def caller() -> None:
        for chunk in queue:
            await store.events.append(chunk, now=now, lease_seconds=120.0, node="local")

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(config["concurrency"])))
    return time.perf_counter() - start


async def append_postgres(events: list[NewEvent], config: dict[str, Any]) -> tuple[float, int, int]:
    """(elapsed, events stored, deliveries stored) in a fresh schema at ``config["url"]``."""
    store = await PostgresStore.open(config["url"], max_size=config.get("pool", 10))
    try:
        elapsed = await append_all(store, events, config)
        async with store.db.connection() as conn:
            rows = await conn.fetchval("SELECT count(*) FROM events")
            deliveries = await conn.fetchval("SELECT count(*) FROM deliveries")
    finally:
        await store.close()
    return elapsed, rows, deliveries


def append_sqlite(events: list[NewEvent], config: dict[str, Any]) -> tuple[float, int, int]:
    store = SqliteStore(config["db"], synchronous=config["synchronous"])
    try:
        elapsed = asyncio.run(append_all(store, events, config))
    finally:
        store.close()
    with sqlite3.connect(config["db"]) as conn:
        rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        deliveries = conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    return elapsed, rows, deliveries


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        config = orjson.loads(f.read())
    events = build_events(config, datetime.now(UTC))
    if config.get("url"):
        elapsed, rows, deliveries = asyncio.run(append_postgres(events, config))
    else:
        elapsed, rows, deliveries = append_sqlite(events, config)
    result = {
        "synchronous": config.get("synchronous"),
        "events": len(events),
        "events_stored": rows,
        "deliveries_stored": deliveries,
        "elapsed_s": elapsed,
        "events_per_s": len(events) / elapsed,
        "avg_body_bytes": sum(len(e.body) for e in events) / len(events),
    }
    sys.stdout.buffer.write(orjson.dumps(result))


if __name__ == "__main__":
    main()
