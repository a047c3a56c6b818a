"""The end-to-end benchmark on PostgreSQL: one or more ``busway serve`` nodes sharing one
database, each run in a fresh schema of the database ``--db`` names (dropped afterwards).

The load generator spreads its connections over the nodes round-robin (as a load
balancer would); every node delivers to the same HTTP sink. The storage limit is the
same rows appended straight into ``PostgresStore`` from one process, with no HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

import e2e_measure as m
import e2e_systems as s
from e2e_workload import Workload


@dataclass
class NodeGroup:
    """Several Busway nodes, seen by the benchmark as one server (setup goes through the
    first; load goes to all)."""

    nodes: list[s.Server]
    name: str = "busway"

    @property
    def port(self) -> int:
        return self.nodes[0].port

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def stop(self, timeout: float = 30.0) -> int | None:
        codes = [node.stop(timeout) for node in self.nodes]
        return next((code for code in codes if code), codes[0])


@contextlib.contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL whose search_path is a new schema of ``url``'s database; dropped after."""
    schema = f"busway_bench_{secrets.token_hex(4)}"
    asyncio.run(_admin(url, f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}search_path={schema}"
    finally:
        asyncio.run(_admin(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _counts(url: str) -> tuple[int, int, dict[str, int]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM events")
        pending = await conn.fetchval("SELECT count(*) FROM deliveries")
        outcomes = await conn.fetch("SELECT outcome, count(*) FROM delivery_outcomes GROUP BY 1")
    finally:
        await conn.close()
    return int(rows), int(pending), {row[0]: int(row[1]) for row in outcomes}


def start_nodes(workdir: Path, url: str, *, count: int, source: str) -> NodeGroup:
    nodes: list[s.Server] = []
    try:
        for i in range(count):
            env = {"BUSWAY_NODE_NAME": f"bench-{i}"}
            nodes.append(
                s.start_busway(workdir, db=url, source=source, name=f"busway-pg{i}", env=env)
            )
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return NodeGroup(nodes)


RunSystem = Callable[[Any, m.Collector, Workload, Any], dict[str, Any]]


def run_busway_pg(
    workdir: Path,
    workload: Workload,
    settings: Any,
    *,
    admin_url: str,
    nodes: int,
    run_system: RunSystem,
) -> dict[str, Any]:
    """Busway with ``nodes`` nodes on one PostgreSQL database, measured by ``run_system``
    (latency and ingest), then whether every acknowledged event was stored."""
    with fresh_schema(admin_url) as url, s.running(s.start_sink(workdir, "sink")) as sink:
        group = start_nodes(workdir, url, count=nodes, source=settings.busway)
        with s.running(group):  # type: ignore[arg-type]
            s.create_rules(group, workload, s.http_target(group, sink))  # type: ignore[arg-type]
            result = run_system(group, m.SinkCollector(sink), workload, settings)
        result["nodes"] = nodes
        acked = result["latency"]["events"] + result["ingest"]["events"]
        stored, pending, outcomes = asyncio.run(_counts(url))
        result["durability"] = {
            "acknowledged": acked,
            "stored": stored,
            "all_stored": stored >= acked,
            "deliveries_pending": pending,
            "outcomes": outcomes,
        }
    return result


def storage_limit_pg(
    workload: Workload, *, admin_url: str, count: int, env: dict[str, str], processes: int = 1
) -> dict[str, Any]:
    """The rows of ``count`` events appended straight into PostgresStore (64 callers x 10
    each) by ``processes`` processes at once, as that many nodes' stores would: where the
    database, not the nodes, becomes the limit."""
    with fresh_schema(admin_url) as url:
        config = {
            "url": url,
            "count": count // processes,
            "batch": 10,
            "concurrency": 64,
            "entries": list(workload.entries),
            "matched": [list(match) for match in workload.matched],
        }
        with ThreadPoolExecutor(processes) as pool:
            runs = list(
                pool.map(lambda _: m.run_json("e2e_storage.py", config, env=env), range(processes))
            )
    events = sum(run["events"] for run in runs)
    elapsed = max(run["elapsed_s"] for run in runs)
    return {
        "processes": processes,
        "events": events,
        "elapsed_s": elapsed,
        "events_per_s": events / elapsed,
        "avg_body_bytes": runs[0]["avg_body_bytes"],
        "runs": runs,
    }
