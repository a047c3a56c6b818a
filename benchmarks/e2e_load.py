"""The end-to-end benchmark's load generator: PutEvents over lean HTTP/1.1 keep-alive
connections, run as its own process so that it never shares a core's time slice with the
server's Python.

    python e2e_load.py CONFIG.json    # prints the figures as JSON on stdout

Requests are built once, before the clock starts. ``closed`` mode keeps ``connections``
requests in flight for ``duration_s`` (throughput); ``open`` mode sends ``rate`` requests a
second on a fixed schedule whatever the answers do (latency without coordinated omission)
and records, per request, when it was sent and the event ids it got back. With ``ports``
(several nodes of one cluster), connections and requests go round-robin over them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, cast

import orjson

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/events/aws4_request, "
    "SignedHeaders=host;x-amz-target, Signature=0"
)


def build_request(host: str, port: int, body: bytes) -> bytes:
    """One PutEvents request, byte for byte (unsigned: the servers run without auth)."""
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSEvents.PutEvents\r\n"
        f"Authorization: {AUTHORIZATION}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("connection closed mid-answer"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0 or self._waiter is None:
            return
        head = bytes(self._buffer[:end]).lower()
        length = _header_int(head, b"content-length")
        if len(self._buffer) < end + 4 + length:
            return
        body = bytes(self._buffer[end + 4 : end + 4 + length])
        del self._buffer[: end + 4 + length]
        if b"connection: close" in head:
            self.closed = True
        self._waiter.set_result((int(head[9:12]), body))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _header_int(head: bytes, name: bytes) -> int:
    at = head.find(b"\r\n" + name + b":")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at + 2)
    return int(head[at + len(name) + 3 : end if end >= 0 else None])


@dataclass
class Tally:
    requests: int = 0
    events: int = 0
    failed_entries: int = 0
    errors: int = 0
    first_error: str | None = None
    latencies: list[float] = field(default_factory=list)
    sends: list[tuple[float, int, list[str]]] = field(default_factory=list)

    def take(self, status: int, body: bytes, *, sent: float, record: int | None) -> int:
        """Count one answer; return how many events it acknowledged."""
        self.requests += 1
        self.latencies.append(time.monotonic() - sent)
        if status != 200:
            self.error(f"HTTP {status}: {body[:200]!r}")
            return 0
        answer = orjson.loads(body)
        ids = [e["EventId"] for e in answer.get("Entries", ()) if "EventId" in e]
        self.failed_entries += int(answer.get("FailedEntryCount", 0))
        self.events += len(ids)
        if record is not None:
            self.sends.append((sent, record, ids))
        return len(ids)

    def error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text


class Pool:
    """Idle connections, and at most ``limit`` open at once (later requests wait for one)."""

    def __init__(self, host: str, port: int, limit: int = 256) -> None:
        self._host, self._port = host, port
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(limit)

    async def take(self) -> Connection:
        await self._slots.acquire()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(Connection, self._host, self._port)
        return conn

    def give(self, conn: Connection | None) -> None:
        if conn is not None and not conn.closed:
            self._idle.append(conn)
        self._slots.release()

    def close(self) -> None:
        for conn in self._idle:
            conn.close()


async def send_one(pool: Pool, data: bytes, tally: Tally, *, record: int | None) -> int:
    """Send ``data``; ``record`` is the request's index, to keep with its send time and ids."""
    sent, conn = time.monotonic(), None
    try:
        conn = await pool.take()
        status, body = await conn.request(data)
    except (OSError, ConnectionError) as exc:
        tally.error(f"{type(exc).__name__}: {exc}")
        pool.give(None)
        return 0
    pool.give(conn)
    return tally.take(status, body, sent=sent, record=record)


def _ports(config: dict[str, Any]) -> list[int]:
    return list(config.get("ports") or [config["port"]])


async def run_closed(config: dict[str, Any], requests: list[list[bytes]]) -> dict[str, Any]:
    pools, tally = [Pool(config["host"], port) for port in _ports(config)], Tally()
    start = time.monotonic()
    warm_until, deadline = start + config.get("warmup_s", 0.0), start + config["duration_s"]
    counter = iter(range(1 << 62))
    window = {"events": 0, "start": warm_until}

    async def worker(node: int) -> None:
        pool, made = pools[node], requests[node]
        while (now := time.monotonic()) < deadline:
            acked = await send_one(pool, made[next(counter) % len(made)], tally, record=None)
            if now >= warm_until:
                window["events"] += acked

    workers = [asyncio.create_task(worker(i % len(pools))) for i in range(config["connections"])]
    unanswered = await _settle(workers, timeout=config["duration_s"] + config.get("grace_s", 10))
    elapsed = time.monotonic() - warm_until
    for pool in pools:
        pool.close()
    result = _summary(tally, elapsed=elapsed, window_events=window["events"])
    result["unanswered"] = unanswered
    return result


async def _settle(tasks: list[asyncio.Task[Any]], *, timeout: float) -> int:
    """Wait for ``tasks`` at most ``timeout`` s; cancel the rest and return how many."""
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    return len(pending)


async def run_open(config: dict[str, Any], requests: list[list[bytes]]) -> dict[str, Any]:
    pools, tally = [Pool(config["host"], port) for port in _ports(config)], Tally()
    count, interval = int(config["rate"] * config["duration_s"]), 1.0 / config["rate"]
    start = time.monotonic() + 0.05
    tasks, lag = [], 0.0
    for i in range(count):
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, -delay)
        node = i % len(pools)
        index = i % len(requests[node])
        sending = send_one(pools[node], requests[node][index], tally, record=index)
        tasks.append(asyncio.create_task(sending))
    unanswered = await _settle(tasks, timeout=config.get("grace_s", 10))
    elapsed = time.monotonic() - start
    for pool in pools:
        pool.close()
    result = _summary(tally, elapsed=elapsed, window_events=tally.events)
    result["unanswered"] = unanswered
    result["sends"] = tally.sends
    result["max_schedule_lag_s"] = lag
    return result


def _summary(tally: Tally, *, elapsed: float, window_events: int) -> dict[str, Any]:
    latencies = sorted(tally.latencies)
    return {
        "requests": tally.requests,
        "events": tally.events,
        "failed_entries": tally.failed_entries,
        "errors": tally.errors,
        "first_error": tally.first_error,
        "elapsed_s": elapsed,
        "events_per_s": window_events / elapsed if elapsed > 0 else 0.0,
        "requests_per_s": tally.requests / elapsed if elapsed > 0 else 0.0,
        "request_p50_s": _quantile(latencies, 0.5),
        "request_p99_s": _quantile(latencies, 0.99),
    }


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


async def run(config: dict[str, Any]) -> dict[str, Any]:
    bodies = [orjson.dumps(b) for b in config["bodies"]]
    requests = [[build_request(config["host"], port, b) for b in bodies] for port in _ports(config)]
    if config["mode"] == "open":
        return await run_open(config, requests)
    return await run_closed(config, requests)


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        config = orjson.loads(f.read())
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(config))
    else:
        result = uvloop.run(run(config))
    # Straight to the descriptor, made blocking: a large answer once came out cut short.
    data = memoryview(orjson.dumps(result))
    os.set_blocking(1, True)
    while data:
        data = data[os.write(1, data) :]


if __name__ == "__main__":
    main()
