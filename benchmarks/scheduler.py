"""Scheduler benchmark: 100,000 schedules in the store, 1,000 of them due in one second.

Reports the store's size, the time `busway serve` takes to start and answer with that
many schedules, its memory, and how late the 1,000 occurrences fire at p50/p99/max:
"fired" is when the scheduler turned each into an event, "durable" when another process
first sees the event committed in the store. It also checks that each fired once.
Writes results/scheduler-<date>.json and .md.

    .venv/bin/python benchmarks/scheduler.py [--schedules 100000] [--due 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from busway.engine.scheduler import plan_first
from busway.storage.schedules import ScheduleRecord
from busway.storage.sqlite import SqliteStore
from report import markdown_table, seconds, size, text_table

HERE = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::000000000000:role/bench"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/default"
EXPRESSIONS = (
    ("cron(0 8 ? * MON-FRI *)", "Europe/Amsterdam"),
    ("cron(15 */6 * * ? *)", "America/New_York"),
    ("rate(1 day)", "UTC"),
    ("cron(0 0 L * ? *)", "Asia/Tokyo"),
    ("rate(12 hours)", "UTC"),
)


def target(source: str) -> dict[str, Any]:
    return {
        "arn": BUS,
        "role_arn": ROLE,
        "event_bridge_parameters": {"source": source, "detail_type": "Tick"},
        "input": '{"n": 1}',
    }


def background_doc(index: int, now: datetime) -> dict[str, Any]:
    expression, zone = EXPRESSIONS[index % len(EXPRESSIONS)]
    return {
        "schedule_expression": expression,
        "schedule_expression_timezone": zone,
        "flexible_time_window": {"mode": "OFF"},
        "target": target("background"),
        "start_date": now + timedelta(hours=1),
    }


def due_doc(moment: datetime) -> dict[str, Any]:
    return {
        "schedule_expression": f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
        "flexible_time_window": {"mode": "OFF"},
        "target": target("due"),
    }


async def populate(path: Path, *, first: int, count: int, due_at: datetime | None) -> float:
    """Write schedules straight into the store (due at ``due_at``, or background ones
    when None); return how long it took."""
    store = SqliteStore(path)
    now = datetime.now(UTC)
    started = time.perf_counter()
    records = []
    for index in range(first, first + count):
        doc = background_doc(index, now) if due_at is None else due_doc(due_at)
        when, occurrence = plan_first(doc, now=now, created=now, rand=0.0)
        arn = f"arn:aws:scheduler:us-east-1:000000000000:schedule/default/s{index}"
        records.append(ScheduleRecord("default", f"s{index}", arn, doc, True, when, occurrence))
    for start in range(0, count, 2000):
        chunk = records[start : start + 2000]
        await asyncio.gather(*(store.schedules.create(r, now=now) for r in chunk))
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def start_server(path: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "busway",
            "serve",
            "--db",
            str(path),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
    )
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return server, time.perf_counter() - started
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("busway serve exited") from None
            time.sleep(0.02)


def watch_commits(path: Path, due_at: datetime, seen: list[float]) -> None:
    """Poll the store from another process's view: append, per fired event, the wall
    time at which it became visible (committed), until all due events are seen."""
    deadline = due_at.timestamp() + 10
    with sqlite3.connect(path) as db:
        while time.time() < deadline:
            count = db.execute(
                """SELECT count(*) FROM events WHERE CAST(body AS TEXT) LIKE '%"source":"due"%'"""
            ).fetchone()[0]
            now = time.time()
            seen.extend([now] * (count - len(seen)))
            if count and count == EXPECTED[0]:
                return
            time.sleep(0.001)


EXPECTED = [0]


def rss(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) * 1024
    return None


def lateness(path: Path, due_at: datetime) -> tuple[list[float], int]:
    """Seconds from due to fired for each due occurrence, and how many events exist."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT ingested_at, body FROM events").fetchall()
    late = [ingested - due_at.timestamp() for ingested, body in rows if b'"source":"due"' in body]
    return late, len(rows)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(total: int, due: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="busway-scheduler-"))
    path = folder / "busway.db"
    populate_seconds = asyncio.run(populate(path, first=due, count=total - due, due_at=None))
    due_at = (datetime.now(UTC) + timedelta(seconds=15)).replace(microsecond=0)
    populate_seconds += asyncio.run(populate(path, first=0, count=due, due_at=due_at))
    server, startup = start_server(path, free_port())
    try:
        memory = rss(server.pid)
        remaining = (due_at - datetime.now(UTC)).total_seconds()
        if remaining < 1:
            raise RuntimeError("start-up took too long to see the occurrences fire on time")
        time.sleep(remaining - 0.5)
        EXPECTED[0] = due
        committed: list[float] = []
        watch_commits(path, due_at, committed)
    finally:
        server.terminate()
        server.wait(timeout=30)
    late, events = lateness(path, due_at)
    ordered = sorted(late)
    visible = sorted(t - due_at.timestamp() for t in committed)
    return {
        "schedules": total,
        "due_in_one_second": due,
        "store_bytes": path.stat().st_size,
        "populate_seconds": populate_seconds,
        "startup_seconds": startup,
        "server_rss_bytes": memory,
        "fired": len(late),
        "events": events,
        "lateness_p50": statistics.median(ordered) if ordered else None,
        "lateness_p99": ordered[int(len(ordered) * 0.99) - 1] if ordered else None,
        "lateness_max": ordered[-1] if ordered else None,
        "committed_p50": statistics.median(visible) if visible else None,
        "committed_p99": visible[int(len(visible) * 0.99) - 1] if visible else None,
        "committed_max": visible[-1] if visible else None,
    }


def report(results: dict[str, Any]) -> tuple[str, str]:
    headers = [
        "schedules",
        "due in 1 s",
        "store",
        "start-up",
        "server RSS",
        "fired",
        "fired late p50",
        "p99",
        "durable late p50",
        "p99",
        "max",
    ]
    row = [
        f"{results['schedules']:,}",
        f"{results['due_in_one_second']:,}",
        size(results["store_bytes"]),
        seconds(results["startup_seconds"]),
        size(results["server_rss_bytes"]),
        f"{results['fired']:,}",
        seconds(results["lateness_p50"]),
        seconds(results["lateness_p99"]),
        seconds(results["committed_p50"]),
        seconds(results["committed_p99"]),
        seconds(results["committed_max"]),
    ]
    verdicts = [
        f"start-up {'meets' if results['startup_seconds'] < 3 else 'MISSES'} the < 3 s target",
        "p99 lateness until durable "
        f"{'meets' if (results['committed_p99'] or 1) <= 0.1 else 'MISSES'} the <= 100 ms target",
        f"each occurrence fired exactly once: {results['fired'] == results['due_in_one_second']}",
    ]
    text = text_table(headers, [row]) + "\n\n" + "\n".join(verdicts)
    markdown = "\n".join(
        [
            "# Scheduler benchmark",
            "",
            f"- {results['when']}, git {results['git']}; {results['machine']}",
            f"- load average {results['load']}",
            "",
            markdown_table(headers, [row]),
            "",
            *[f"- {v}" for v in verdicts],
            "",
        ]
    )
    return text, markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    results = run(args.schedules, args.due)
    results["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"] = (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    results["load"] = "/".join(f"{x:.1f}" for x in os.getloadavg())
    results["git"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    text, markdown = report(results)
    print(text)
    out = HERE / "results" / f"scheduler-{date.today().isoformat()}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    out.with_suffix(".md").write_text(markdown)
    print(f"\nwrote {out.with_suffix('.md').relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
