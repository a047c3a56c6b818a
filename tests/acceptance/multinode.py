"""``busway serve`` nodes as subprocesses sharing one PostgreSQL database, clients that
publish steadily across them, and the bookkeeping of what was acknowledged and what
reached the sink."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import boto3
import orjson
from botocore.config import Config
from tests.servers import Sink, free_port

# A dead node's claimed deliveries go to the others once their lease runs out: short
# here, so a test does not wait the default two minutes.
LEASE_SECONDS = 3


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, service: str = "events", **config: Any) -> Any:
        options = {"retries": {"max_attempts": 0}, "connect_timeout": 2, "read_timeout": 10}
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(**{**options, **config}),
        )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def launch(url: str, folder: Path, name: str, **env: str) -> Node:
    """Start a node; it is ready once :meth:`wait_ready` returns."""
    port = free_port()
    log = folder / f"{name}.log"
    variables = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "BUSWAY_DATABASE_URL": url,
        "BUSWAY_NODE_NAME": name,
        "BUSWAY_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        **env,
    }
    command = [sys.executable, "-m", "busway", "serve", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=variables,
        )
    return Node(name, port, process, log)


def wait_ready(node: Node, *, seconds: float = 30) -> None:
    client = node.client()
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.list_event_buses()
            return
        except Exception:
            if time.monotonic() > deadline or node.process.poll() is not None:
                node.kill()
                raise RuntimeError(node.log.read_text()) from None
            time.sleep(0.1)


@contextlib.contextmanager
def cluster_of(url: str, folder: Path, count: int, **env: str) -> Iterator[list[Node]]:
    """``count`` nodes on ``url``, started together; stopped afterwards."""
    nodes = [launch(url, folder, f"node{i}", **env) for i in range(count)]
    try:
        for node in nodes:
            wait_ready(node)
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def widen_backlog(sink: Sink) -> Sink:
    """Let the sink queue many connections: http.server listens with a backlog of 5, and
    connections refused under the load of several nodes would turn into retries whose
    backoff outlasts the test's wait."""
    sink.server.socket.listen(128)
    return sink


def route_to(nodes: list[Node], sink: Sink) -> None:
    """A rule sending every ``load`` event to ``sink``, put through the first node."""
    events = nodes[0].client()
    events.put_rule(Name="all", EventPattern='{"source": ["load"]}')
    events.put_targets(Rule="all", Targets=[{"Id": "sink", "Arn": sink.url}])


@dataclass
class Ledger:
    """Event ids acknowledged (by node) and received by the sink."""

    sink: Sink
    acknowledged: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledge(self, node: str, answer: dict[str, Any]) -> None:
        ids = {e["EventId"] for e in answer["Entries"] if "EventId" in e}
        with self.lock:
            self.acknowledged.setdefault(node, set()).update(ids)

    def all_acknowledged(self) -> set[str]:
        with self.lock:
            return set().union(*self.acknowledged.values())

    def received(self) -> collections.Counter[str]:
        return collections.Counter(orjson.loads(r.body)["id"] for r in list(self.sink.requests))

    def missing(self, *, seconds: float) -> set[str]:
        """Acknowledged ids the sink has not received after waiting up to ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            missing = self.all_acknowledged() - set(self.received())
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(0.2)

    def duplicates(self, *, wait_seconds: float = 0.0) -> dict[str, int]:
        """Ids received more than once, waiting up to ``wait_seconds`` for the first."""
        deadline = time.monotonic() + wait_seconds
        while True:
            found = {event_id: n for event_id, n in self.received().items() if n > 1}
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


def wait_routed(nodes: list[Node], ledger: Ledger, *, seconds: float = 15) -> None:
    """Publish through each node until the sink has an event from every one: each node
    has loaded the rule put through the first. These probes are not in the ledger: one
    sent before its node saw the rule rightly goes nowhere."""
    for node in nodes:
        client = node.client()
        deadline = time.monotonic() + seconds
        while True:
            answer = client.put_events(Entries=[entry(-1)])
            event_id = answer["Entries"][0]["EventId"]
            arrived = time.monotonic() + 0.5
            while event_id not in ledger.received() and time.monotonic() < arrived:
                time.sleep(0.02)
            if event_id in ledger.received():
                break
            assert time.monotonic() < deadline, f"{node.name} never routed the rule"


def entry(n: int) -> dict[str, str]:
    return {"Source": "load", "DetailType": "Tick", "Detail": orjson.dumps({"n": n}).decode()}


class Publisher(threading.Thread):
    """PutEvents batches of 10 at a steady pace, through one node after another: when a
    node fails, the next request goes to the next node, as behind a load balancer."""

    def __init__(
        self, nodes: list[Node], ledger: Ledger, *, first: int, interval: float, **config: Any
    ) -> None:
        super().__init__(daemon=True)
        self._nodes = nodes
        self._clients = [node.client(**config) for node in nodes]
        self._ledger = ledger
        self._at = first
        self._interval = interval
        self.stopping = threading.Event()
        self.failures = 0
        self.retried = 0

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            node = self._at % len(self._nodes)
            try:
                answer = self._clients[node].put_events(Entries=[entry(n + i) for i in range(10)])
            except Exception:
                self.failures += 1
                self._at += 1
                continue
            self.retried += answer["ResponseMetadata"].get("RetryAttempts", 0)
            self._ledger.acknowledge(self._nodes[node].name, answer)
            n += 10
            self.stopping.wait(self._interval)

    def finish(self) -> None:
        self.stopping.set()
        self.join(30)


def explain_missing(url: str, missing: set[str], *, most: int = 5) -> str:
    """What the database holds about a few missing events, for the failure message."""

    async def look() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            found = []
            for event_id in sorted(missing)[:most]:
                rows = await conn.fetch(DIAGNOSIS, event_id)
                found.append(f"{event_id}: {[dict(row) for row in rows] or 'no event row'}")
            return found
        finally:
            await conn.close()

    return "\n".join(asyncio.run(look()))


DIAGNOSIS = """
SELECT e.seq, d.id AS delivery, d.attempts, d.run_at - extract(epoch FROM now()) AS due_in,
    d.claimed_by, d.last_error, o.outcome, o.error
FROM events AS e
LEFT JOIN deliveries AS d ON d.event_seq = e.seq
LEFT JOIN delivery_outcomes AS o ON o.event_seq = e.seq
WHERE e.id = $1
"""
