"""Function targets end to end: PutEvents -> Busway -> ``busway worker`` process ->
Python handler, with one and with two worker processes.

    .venv/bin/python benchmarks/functions.py [--duration 10] [--rate 500]
        [--sustain-rate 1000] [--workers 1,2] [--quick]

Everything runs on this machine as separate processes: ``busway serve`` (SQLite in a
temporary folder), the workers (``busway worker benchmarks.functions:app``), and this
script, which sends PutEvents over keep-alive connections and hears from the handlers
over UDP (per call: worker pid, the time the event was sent, the time the handler
ran; batched every 5 ms). Per worker count, a fresh server and:

- **latency**: open loop at ``rate`` events/s (PutEvents of 10 entries every 10/rate s,
  after 2 s of warm-up); each ``latency`` event matches one rule; latency is handler
  start minus PutEvents sent.
- **sustained**: open loop at ``sustain_rate`` ``load`` events/s; each matches five
  rules whose target is the same function, so one event is five invocations: do the
  handlers keep up with ``sustain_rate`` x 5 invocations/s, and how late do they run?
- **throughput**: closed loop, PutEvents of 10 ``load`` events on ``connections``
  connections for ``duration`` s (the server's ingest, not the functions, is what a
  2-core machine runs out of first); invocations/s during the load, while draining the
  backlog left at the end, and overall.

Writes results/functions-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

import busway
from busway.sdk.client import Client
from functions_report import render

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
FANOUT = 5
REPORT_ADDRESS = os.environ.get("BENCH_REPORT")  # host:port the handlers report to

app = busway.App("bench")


class Reporter:
    """Sends the handlers' records to the benchmark in batches (one datagram per few
    milliseconds, not per call), so that hearing them costs the measuring process
    little; the times are taken in the handler, so batching delays no figure."""

    def __init__(self, address: str) -> None:
        host, port = address.rsplit(":", 1)
        self._address = (host, int(port))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._lines: collections.deque[str] = collections.deque()
        threading.Thread(target=self._flush_forever, daemon=True).start()

    def add(self, line: str) -> None:
        self._lines.append(line)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(0.005)
            lines = [self._lines.popleft() for _ in range(len(self._lines))]
            for start in range(0, len(lines), 500):
                self._socket.sendto("\n".join(lines[start : start + 500]).encode(), self._address)


_REPORTER = Reporter(REPORT_ADDRESS) if REPORT_ADDRESS else None


def handle(event: dict[str, Any], context: Any) -> None:
    """The benchmarked function: a plain synchronous Lambda-style handler."""
    ran = time.time()
    if _REPORTER is not None:
        sent = event["detail"].get("sent", 0.0)
        _REPORTER.add(f"{os.getpid()} {event['detail-type']} {sent} {ran}")


app.on({"source": ["bench"]}, concurrency=200, name="handle")(handle)
for _ in range(FANOUT - 1):
    app.on({"source": ["bench"], "detail-type": ["load"]}, name="handle")(handle)


# The measuring side --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    pid: int
    kind: str
    sent: float
    ran: float


@dataclass
class Heard:
    """What the handlers reported, as it arrives."""

    records: list[Record] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)
            self.counts[record.kind] = self.counts.get(record.kind, 0) + 1

    def count(self, kind: str) -> int:
        with self.lock:
            return self.counts.get(kind, 0)

    def since(self, start: int, kind: str | None = None) -> list[Record]:
        with self.lock:
            found = self.records[start:]
        return [r for r in found if kind is None or r.kind == kind]


def listen(heard: Heard) -> tuple[str, socket.socket]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    receiver.bind(("127.0.0.1", 0))

    def loop() -> None:
        while True:
            try:
                data = receiver.recv(65_536)
            except OSError:
                return
            for line in data.decode().splitlines():
                pid, kind, sent, ran = line.split()
                heard.add(Record(int(pid), kind, float(sent), float(ran)))

    threading.Thread(target=loop, daemon=True).start()
    host, port = receiver.getsockname()[:2]
    return f"{host}:{port}", receiver


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def busway_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "busway", *args]


def start_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        busway_command(
            "serve", "--port", str(port), "--db", str(folder / "busway.db"), "--log-level", "error"
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text()) from None
            time.sleep(0.05)


def start_workers(count: int, *, endpoint: str, report: str, folder: Path) -> list[Any]:
    env = {**os.environ, "BENCH_REPORT": report, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}
    workers = []
    for number in range(count):
        log = (folder / f"worker-{number}.log").open("wb")
        workers.append(
            subprocess.Popen(
                busway_command(
                    "worker", "benchmarks.functions:app", "--endpoint", endpoint, "--no-setup"
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        )
    return workers


def stop_all(processes: list[Any]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def put_events_body(detail_type: str, count: int, sent: float) -> bytes:
    detail = orjson.dumps({"sent": sent}).decode()
    entries = [{"Source": "bench", "DetailType": detail_type, "Detail": detail}] * count
    return orjson.dumps({"Entries": entries})


HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "AWSEvents.PutEvents",
}


async def put(session: aiohttp.ClientSession, url: str, body: bytes) -> int:
    async with session.post(url, data=body, headers=HEADERS) as response:
        answer = orjson.loads(await response.read())
        if response.status != 200:
            raise RuntimeError(answer)
        return 10 - int(answer.get("FailedEntryCount", 0))


async def wait_for_workers(url: str, heard: Heard, count: int) -> None:
    """Send probes until every worker process has run the handler at least once."""
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 60
        while len({r.pid for r in heard.since(0, "probe")}) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            await put(session, url, put_events_body("probe", 10, time.time()))
            await asyncio.sleep(0.1)


async def closed_loop(url: str, *, connections: int, seconds: float) -> int:
    """PutEvents of 10 load events on ``connections`` connections for ``seconds``."""
    body = put_events_body("load", 10, 0.0)
    stop = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> int:
            accepted = 0
            while time.monotonic() < stop:
                accepted += await put(session, url, body)
            return accepted

        return sum(await asyncio.gather(*(one() for _ in range(connections))))


async def open_loop(
    url: str, *, rate: int, seconds: float, detail_type: str = "latency"
) -> tuple[int, list[float]]:
    """``rate`` latency events a second, 10 per request, on a fixed schedule; the events
    accepted and each request's answer time in ms."""
    interval = 10 / rate
    start = time.monotonic()
    tasks = []
    answered: list[float] = []
    async with aiohttp.ClientSession() as session:

        async def one(sent: float) -> int:
            accepted = await put(session, url, put_events_body(detail_type, 10, sent))
            answered.append((time.time() - sent) * 1000)
            return accepted

        for n in range(int(seconds / interval)):
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(time.time())))
        return sum(await asyncio.gather(*tasks)), answered


def wait_count(heard: Heard, target: int, *, kind: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while heard.count(kind) < target:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_workers(
    count: int, *, heard: Heard, report: str, args: argparse.Namespace
) -> dict[str, Any]:
    """A fresh server and ``count`` workers: latency first, then throughput."""
    folder = Path(tempfile.mkdtemp(prefix="busway-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(folder, port)
    workers: list[Any] = []
    try:
        setup_rules(url)
        workers = start_workers(count, endpoint=url, report=report, folder=folder)
        asyncio.run(wait_for_workers(url, heard, count))
        figures: dict[str, Any] = {"workers": count}
        figures.update(measure_latency(url, heard, args))
        figures.update(measure_sustained(url, heard, args))
        figures.update(measure_throughput(url, heard, args))
    finally:
        stop_all(workers)
        stop_all([server])
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def measure_throughput(url: str, heard: Heard, args: argparse.Namespace) -> dict[str, Any]:
    before = heard.count("load")
    started = time.time()
    accepted = asyncio.run(closed_loop(url, connections=args.connections, seconds=args.duration))
    ended = time.time()
    expected = accepted * FANOUT
    drained = wait_count(heard, before + expected, kind="load", timeout=120)
    records = heard.since(0, "load")[before:]
    during = [r for r in records if started <= r.ran <= ended]
    last = max(r.ran for r in records)
    backlog = len(records) - len(during)
    per_pid: dict[int, int] = {}
    for record in records:
        per_pid[record.pid] = per_pid.get(record.pid, 0) + 1
    return {
        "events_accepted": accepted,
        "ingest_events_per_s": accepted / (ended - started),
        "invocations_expected": expected,
        "invocations_heard": len(records),
        "all_heard": drained,
        "invocations_per_s_during_load": len(during) / (ended - started),
        "invocations_per_s_overall": len(records) / (last - started),
        "backlog_at_end": backlog,
        "invocations_per_s_draining_backlog": backlog / (last - ended) if backlog else 0.0,
        "calls_per_worker": sorted(per_pid.values()),
    }


def measure_latency(url: str, heard: Heard, args: argparse.Namespace) -> dict[str, Any]:
    # Warm up (connections, threads, the server's first garbage collections) unmeasured.
    before = heard.count("latency")
    warm, _ = asyncio.run(open_loop(url, rate=args.rate, seconds=2))
    wait_count(heard, before + warm, kind="latency", timeout=30)
    before = heard.count("latency")
    accepted, answered = asyncio.run(open_loop(url, rate=args.rate, seconds=args.latency_duration))
    heard_all = wait_count(heard, before + accepted, kind="latency", timeout=60)
    latencies = [(r.ran - r.sent) * 1000 for r in heard.since(0, "latency")[before:]]
    return {
        "latency_rate": args.rate,
        "latency_events": accepted,
        "latency_heard": len(latencies),
        "latency_all_heard": heard_all,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "put_events_p50_ms": statistics.median(answered),
        "put_events_p99_ms": percentile(answered, 0.99),
    }


def measure_sustained(url: str, heard: Heard, args: argparse.Namespace) -> dict[str, Any]:
    """Open loop at ``sustain_rate`` load events/s (x FANOUT invocations): do the
    handlers keep up, and how late do they run?"""
    before = heard.count("load")
    started = time.time()
    accepted, answered = asyncio.run(
        open_loop(url, rate=args.sustain_rate, seconds=args.duration, detail_type="load")
    )
    ended = time.time()
    kept_up = wait_count(heard, before + accepted * FANOUT, kind="load", timeout=60)
    records = heard.since(0, "load")[before:]
    latencies = [(r.ran - r.sent) * 1000 for r in records]
    last = max(r.ran for r in records)
    return {
        "sustained_offered_per_s": args.sustain_rate * FANOUT,
        "sustained_invocations": len(records),
        "sustained_all_heard": kept_up,
        "sustained_per_s": len(records) / (last - started),
        "sustained_lag_s": last - ended,
        "sustained_p50_ms": statistics.median(latencies),
        "sustained_p99_ms": percentile(latencies, 0.99),
        "sustained_put_events_p99_ms": percentile(answered, 0.99),
    }


def setup_rules(url: str) -> None:
    with Client(url) as client:
        app.setup(client)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(n, 2) for n in os.getloadavg()],
    }


def write_results(document: dict[str, Any], *, quick: bool) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"functions-{document['time'][:10]}{'-quick' if quick else ''}"
    stem.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    stem.with_suffix(".md").write_text(render(document, fanout=FANOUT))
    return stem


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--latency-duration", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument(
        "--sustain-rate", type=int, default=1_000, help="load events/s, x5 invocations"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--quick", action="store_true", help="3 s phases")
    args = parser.parse_args()
    if args.quick:
        args.duration = args.latency_duration = 3.0
    document: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": vars(args),
        "runs": [],
    }
    heard = Heard()
    report, receiver = listen(heard)
    try:
        for count in (int(n) for n in args.workers.split(",")):
            run = run_workers(count, heard=heard, report=report, args=args)
            print(json.dumps(run))
            document["runs"].append(run)
    finally:
        receiver.close()
    document["machine_after"] = machine()
    stem = write_results(document, quick=args.quick)
    print(render(document, fanout=FANOUT))
    print(f"written {stem}.json and .md")


if __name__ == "__main__":
    main()
