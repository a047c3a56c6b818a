"""End-to-end benchmark: Busway's server against moto's and MiniStack's, in the same run.

    python benchmarks/e2e.py [--quick] [--no-peers] [--busway installed|src|DIR]
                             [--db postgresql://... [--nodes N] [--no-sqlite]]

Each server gets one custom bus and 100 rules with an HTTP target (a queue for moto, which
sends no event to HTTP targets). Measured: durable ingest throughput (PutEvents batches of 10
from many connections), end-to-end latency at a fixed 500 events/s, delivery throughput, and
the storage limit (the same rows appended straight into the store). With ``--db``, Busway also
runs on that PostgreSQL database (a fresh schema per run) with one node and, with
``--nodes N``, with N nodes sharing it (e2e_postgres.py). Prints tables and writes
benchmarks/results/e2e-<date>.json and .md. Not a test. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import e2e_measure as m
import e2e_postgres as pg
import e2e_report
import e2e_systems as s
import peers
from e2e_workload import Workload, build_workload
from match import machine

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Settings:
    quick: bool
    peers: bool
    busway: str  # installed | src | a folder holding a busway package
    seed: int
    entries: int  # distinct entries; requests cycle through them
    connections: int
    ingest_s: float
    warmup_s: float
    latency_s: float
    rate: float  # requests/s of 10 entries in the latency phase
    drain_timeout_s: float
    ceiling_s: float
    db: str | None = None  # a PostgreSQL URL: Busway on PostgreSQL too
    nodes: int = 1  # with db: also N nodes sharing it
    sqlite: bool = True
    name: str = ""  # results file suffix


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of under a minute")
    parser.add_argument("--no-peers", action="store_true", help="Busway only")
    parser.add_argument(
        "--busway",
        default="installed",
        help="which Busway to serve: installed (.venv's, default), src, or a folder",
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--db", help="also run on this PostgreSQL database (fresh schema)")
    parser.add_argument("--nodes", type=int, default=1, help="with --db: also N nodes")
    parser.add_argument("--no-sqlite", action="store_true", help="with --db: PostgreSQL only")
    parser.add_argument("--name", default="", help="results file suffix: e2e-<date>-NAME.*")
    args = parser.parse_args(argv)
    common = {
        "db": args.db,
        "nodes": args.nodes,
        "sqlite": not (args.no_sqlite and args.db),
        "quick": args.quick,
        "peers": not args.no_peers,
        "busway": args.busway,
        "seed": args.seed,
        "connections": args.connections,
        "rate": 50.0,
        "name": args.name,
    }
    if args.quick:
        return Settings(
            **common,
            entries=2000,
            ingest_s=3.0,
            warmup_s=0.5,
            latency_s=3.0,
            drain_timeout_s=10.0,
            ceiling_s=1.0,
        )
    return Settings(
        **common,
        entries=5000,
        ingest_s=15.0,
        warmup_s=2.0,
        latency_s=20.0,
        drain_timeout_s=30.0,
        ceiling_s=3.0,
    )


def client_ceiling(workdir: Path, workload: Workload, settings: Settings) -> dict[str, Any]:
    """The load generator against a server that answers PutEvents with a canned reply."""
    with s.running(s.start_sink(workdir, "putevents")) as fake:
        return m.load(
            fake,
            workload.bodies(),
            mode="closed",
            connections=settings.connections,
            duration_s=settings.ceiling_s,
            warmup_s=0.2,
        )


def run_system(
    server: s.Server, collector: m.Collector, workload: Workload, settings: Settings
) -> dict[str, Any]:
    print(f"[{server.name}] latency at {settings.rate * 10:g} events/s", flush=True)
    latency = m.latency(
        server, collector, workload, rate=settings.rate, duration_s=settings.latency_s
    )
    print(f"[{server.name}] ingest, {settings.connections} connections", flush=True)
    ingest = m.ingest(
        server,
        collector,
        workload,
        connections=settings.connections,
        duration_s=settings.ingest_s,
        warmup_s=settings.warmup_s,
        drain_timeout_s=settings.drain_timeout_s,
    )
    return {"target": collector.kind, "latency": latency, "ingest": ingest}


def run_busway(workdir: Path, workload: Workload, settings: Settings) -> dict[str, Any]:
    db = workdir / "busway.db"
    with s.running(s.start_sink(workdir)) as sink:
        server = s.start_busway(workdir, db=db, source=settings.busway)
        with s.running(server):
            s.create_rules(server, workload, s.http_target(server, sink))
            result = run_system(server, m.SinkCollector(sink), workload, settings)
        result["exit_code"] = server.process.returncode
    acked = result["latency"]["events"] + result["ingest"]["events"]
    result["durability"] = _stored(db, acked)
    env = _busway_env(workdir, settings)
    count = min(max(result["ingest"]["events"], 20_000), 400_000)
    result["storage_limit"] = {}
    for mode in ("FULL", "NORMAL"):
        print(f"[busway] storage limit, synchronous={mode}, {count:,} events", flush=True)
        path = workdir / f"storage-{mode}.db"
        result["storage_limit"][mode] = m.storage_limit(
            workload, db=path, count=count, synchronous=mode, env=env
        )
    return result


def _stored(db: Path, acked: int) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        outcomes = conn.execute("SELECT outcome, count(*) FROM delivery_outcomes GROUP BY 1")
        failed = dict(outcomes.fetchall())
    return {
        "acknowledged": acked,
        "stored": rows,
        "all_stored": rows >= acked,
        "deliveries_pending": pending,
        "outcomes": failed,
    }


def _busway_env(workdir: Path, settings: Settings) -> dict[str, str]:
    if settings.busway == "installed":
        return dict(os.environ)
    return {**os.environ, "PYTHONPATH": str(workdir / "overlay")}


def run_postgres(
    results: dict[str, Any], workdir: Path, workload: Workload, settings: Settings
) -> None:
    assert settings.db is not None
    for nodes in sorted({1, settings.nodes}):
        print(f"[busway] on PostgreSQL, {nodes} node(s)", flush=True)
        results["systems"][f"busway-pg{nodes}"] = pg.run_busway_pg(
            workdir,
            workload,
            settings,
            admin_url=settings.db,
            nodes=nodes,
            run_system=run_system,
        )
    ingest = results["systems"]["busway-pg1"]["ingest"]["events"]
    count = min(max(ingest, 20_000), 200_000)
    print(f"[busway] PostgreSQL storage limit, {count:,} events", flush=True)
    env = _busway_env(workdir, settings)
    results["storage_limit_postgres"] = [
        pg.storage_limit_pg(
            workload, admin_url=settings.db, count=count, env=env, processes=processes
        )
        for processes in (1, 2)
    ]


def run_peer(name: str, workdir: Path, workload: Workload, settings: Settings) -> dict[str, Any]:
    venv_python = peers.ensure_venv()
    if name == "moto":
        server = s.start_moto(workdir, venv_python)
        with s.running(server):
            target, queue_url = s.queue_target(server)
            s.create_rules(server, workload, target)
            collector = m.QueueCollector(server, queue_url)
            try:
                return run_system(server, collector, workload, settings)
            finally:
                collector.close()
    python = peers.ensure_venv(peers.MINISTACK_VENV, peers.MINISTACK_REQUIREMENTS)
    with s.running(s.start_sink(workdir)) as sink:
        server = s.start_ministack(workdir, python)
        with s.running(server):
            s.create_rules(server, workload, s.http_target(server, sink))
            return run_system(server, m.SinkCollector(sink), workload, settings)


def main(argv: list[str] | None = None) -> None:
    settings = parse_args(argv)
    workload = build_workload(entries=settings.entries, seed=settings.seed)
    results: dict[str, Any] = {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "settings": asdict(settings),
        "workload": {
            "rules": len(workload.rules),
            "entries": len(workload.entries),
            "deliveries_per_event": workload.deliveries_per_event,
            "avg_detail_bytes": workload.avg_detail_bytes,
        },
        "systems": {},
    }
    workdir = Path(tempfile.mkdtemp(prefix="busway-e2e-"))
    try:
        print("client ceiling", flush=True)
        results["client_ceiling"] = client_ceiling(workdir, workload, settings)
        if settings.sqlite:
            results["systems"]["busway"] = run_busway(workdir, workload, settings)
        if settings.db:
            run_postgres(results, workdir, workload, settings)
        for name in ("ministack", "moto") if settings.peers else ():
            try:
                results["systems"][name] = run_peer(name, workdir, workload, settings)
            except (peers.PeerSetupError, s.StartError, RuntimeError) as exc:
                results["systems"][name] = {"error": str(exc)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    text, markdown = e2e_report.render(results)
    print(text)
    write_results(
        results, markdown, quick=settings.quick, postgres=bool(settings.db), name=settings.name
    )


def write_results(
    results: dict[str, Any], markdown: str, *, quick: bool, postgres: bool = False, name: str = ""
) -> None:
    RESULTS.mkdir(exist_ok=True)
    stem = f"e2e-{results['created'][:10]}" + ("-postgres" if postgres else "")
    stem += f"-{name}" if name else ""
    stem += "-quick" if quick else ""
    (RESULTS / f"{stem}.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    (RESULTS / f"{stem}.md").write_text(markdown)
    print(f"wrote {RESULTS / stem}.json and .md")


if __name__ == "__main__":
    main()
