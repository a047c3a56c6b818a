"""HttpSender.send_webhook against a fast local HTTP/1.1 sink in another process.

    .venv/bin/python benchmarks/senders.py [--seconds 3] [--rate 1500] [--loop uvloop|asyncio]
                                           [--label NAME]

Closed loop at concurrency 1, 8, 32 and 128 (that many senders, each sending again as soon as
its answer is in): sends/s and latency p50/p99 of one send. Open loop at a fixed rate (sends
started on a schedule, each timed from its scheduled start, so a stall shows in the tail): the
rate reached and p50/p99. CPU µs/send is the sending process's CPU time per send, which
other load on the machine disturbs less than the wall-clock figures. The sink is a raw
asyncio protocol answering ``200`` with an empty body on keep-alive connections, so the
figures are the sender's cost. Prints a table and writes
``results/senders-<date>[-label].md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from busway.engine.senders.http import HttpSender
from busway.model import Outcome

RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCIES = (1, 8, 32, 128)
PAYLOAD = b'{"version":"0","id":"00000000-0000-4000-8000-000000000000","detail-type":"x",' + (
    b'"source":"bench","detail":{"order":"o-17","total":12.5,"tags":["a","b"]}}'
)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class SinkProtocol(asyncio.Protocol):
    """Answers every request on a connection with 200; Content-Length bodies only."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        answers = 0
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            length = _content_length(self._buffer[:end])
            if len(self._buffer) < end + 4 + length:
                break
            self._buffer = self._buffer[end + 4 + length :]
            answers += 1
        if answers and self._transport is not None:
            self._transport.write(OK * answers)


def _content_length(head: bytes) -> int:
    at = head.lower().find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at + 2)
    return int(head[at + 17 : end if end >= 0 else len(head)])


async def serve_sink(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(SinkProtocol, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def start_sink(loop_name: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [sys.executable, __file__, "--sink", str(port), "--loop", loop_name]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        process.kill()
        raise RuntimeError("the sink did not start")
    return process, port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def send_once(sender: HttpSender, url: str, number: int) -> bool:
    """Whether the send was delivered (a failure counts, and its time is kept too)."""
    result = await sender.send_webhook(
        url=url, payload=PAYLOAD, message_id=f"m-{number}", secret=None, now=dt.datetime.now(dt.UTC)
    )
    return result.outcome is Outcome.DELIVERED


async def closed_loop(
    sender: HttpSender, url: str, *, workers: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    failed: list[int] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while (started := time.perf_counter()) < deadline:
            if not await send_once(sender, url, len(latencies)):
                failed.append(len(latencies))
            latencies.append(time.perf_counter() - started)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return summarise(f"concurrency {workers}", latencies, elapsed, cpu=cpu, failed=len(failed))


async def open_loop(sender: HttpSender, url: str, *, rate: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    failed: list[int] = []
    total = int(rate * seconds)
    began, cpu = time.perf_counter(), time.process_time()

    # At most as many sends in flight as the dispatcher runs; the rest wait their turn.
    slots = asyncio.Semaphore(max(CONCURRENCIES))

    async def timed(number: int, due: float) -> None:
        async with slots:
            if not await send_once(sender, url, number):
                failed.append(number)
        latencies.append(time.perf_counter() - due)

    tasks = []
    for number in range(total):
        due = began + number / rate
        if (ahead := due - time.perf_counter()) > 0:
            await asyncio.sleep(ahead)
        tasks.append(asyncio.create_task(timed(number, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    return summarise(f"fixed {rate:g}/s", latencies, elapsed, cpu=cpu, failed=len(failed))


def summarise(
    name: str, latencies: list[float], elapsed: float, *, cpu: float, failed: int
) -> dict[str, Any]:
    return {
        "run": name,
        "sends": len(latencies),
        "failed": failed,
        "sends_per_s": len(latencies) / elapsed,
        "cpu_us": cpu / len(latencies) * 1e6,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def measure(port: int, *, seconds: float, rate: float) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/hook"
    sender = HttpSender()
    try:
        await closed_loop(sender, url, workers=8, seconds=0.5)  # warm up connections and code
        rows = [
            await closed_loop(sender, url, workers=workers, seconds=seconds)
            for workers in CONCURRENCIES
        ]
        rows.append(await open_loop(sender, url, rate=rate, seconds=seconds))
    finally:
        await sender.aclose()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| run | sends | failed | sends/s | p50 ms | p99 ms | CPU µs/send |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['run']} | {r['sends']:,} | {r['failed']:,} | {r['sends_per_s']:,.0f} "
        f"| {r['p50_ms']:.2f} "
        f"| {r['p99_ms']:.2f} | {r['cpu_us']:.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def run_loop(loop_name: str, main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


def write_report(rows: list[dict[str, Any]], args: argparse.Namespace) -> Path:
    today = dt.date.today().isoformat()
    path = RESULTS / f"senders-{today}{'-' + args.label if args.label else ''}.md"
    header = (
        f"# HttpSender.send_webhook, {today}{' (' + args.label + ')' if args.label else ''}\n\n"
        f"Python {platform.python_version()}, {args.loop} event loop, {os.cpu_count()} cores; "
        f"{args.seconds:g} s per run; sink: raw asyncio HTTP/1.1 in another process, "
        f"200 with an empty body; payload {len(PAYLOAD)} B; load average before the run "
        f"{args.load:.2f}.\n\n"
    )
    RESULTS.mkdir(exist_ok=True)
    path.write_text(header + table(rows) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=1500.0)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--label", default="")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink is not None:
        run_loop(args.loop, lambda: serve_sink(args.sink))
        return
    args.load = os.getloadavg()[0]
    sink, port = start_sink(args.loop)
    try:
        rows = run_loop(args.loop, lambda: measure(port, seconds=args.seconds, rate=args.rate))
    finally:
        sink.kill()
        sink.wait()
    print(table(rows))
    print(f"written to {write_report(rows, args)}")


if __name__ == "__main__":
    main()
