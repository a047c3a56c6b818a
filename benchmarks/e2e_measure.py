"""The end-to-end benchmark's phases: running the load generator and the storage limit as
subprocesses, and following deliveries to the HTTP sink or a queue."""

from __future__ import annotations

import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Protocol

import orjson

from e2e_sink import event_id_of
from e2e_systems import BUSWAY_PYTHON, HERE, Server, client
from e2e_workload import ENTRIES_PER_REQUEST, Workload


class Collector(Protocol):
    kind: str

    def reset(self) -> None: ...
    def count(self) -> int: ...
    def dump(self) -> tuple[list[str], list[float]]: ...


class SinkCollector:
    """Deliveries the HTTP sink received."""

    kind = "HTTP"

    def __init__(self, sink: Server) -> None:
        self._url = sink.url

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self._url + path, timeout=30) as answer:
            body = answer.read()
        return orjson.loads(body) if body else None

    def reset(self) -> None:
        self._get("/_reset")

    def count(self) -> int:
        return int(self._get("/_stats")["count"])

    def dump(self) -> tuple[list[str], list[float]]:
        found = self._get("/_dump")
        return found["ids"], found["times"]


class QueueCollector:
    """Messages received from a queue on the server under test, by a few long-polling threads."""

    kind = "queue"

    def __init__(self, server: Server, queue_url: str, *, threads: int = 4) -> None:
        self._server, self._url = server, queue_url
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.reset()
        self._threads = [threading.Thread(target=self._poll, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def reset(self) -> None:
        with self._lock:
            self._ids: list[str] = []
            self._times: list[float] = []

    def count(self) -> int:
        return len(self._ids)

    def dump(self) -> tuple[list[str], list[float]]:
        with self._lock:
            return list(self._ids), list(self._times)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def _poll(self) -> None:
        sqs = client("sqs", self._server)
        while not self._stop.is_set():
            try:
                self._receive(sqs)
            except Exception:  # the server went away: stop quietly
                return

    def _receive(self, sqs: Any) -> None:
        answer = sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = answer.get("Messages", [])
        now = time.monotonic()
        with self._lock:
            for message in messages:
                self._ids.append(event_id_of(message["Body"].encode()) or "")
                self._times.append(now)
        if messages:
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ]
            sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)


def run_json(script: str, config: dict[str, Any], *, env: dict[str, str] | None = None) -> Any:
    """Run a benchmark helper under .venv's Python with ``config``; its JSON answer."""
    with tempfile.NamedTemporaryFile("wb", suffix=".json", prefix="busway-e2e-") as f:
        f.write(orjson.dumps(config))
        f.flush()
        done = subprocess.run(
            [str(BUSWAY_PYTHON), str(HERE / script), f.name],
            capture_output=True,
            check=False,
            env=env,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed: {done.stderr.decode(errors='replace')[-800:]}")
    return orjson.loads(done.stdout)


def load(server: Server, bodies: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    ports = getattr(server, "ports", [server.port])  # a NodeGroup: several nodes
    config = {"host": "127.0.0.1", "port": server.port, "ports": ports, "bodies": bodies}
    config.update(settings)
    result: dict[str, Any] = run_json("e2e_load.py", config)
    return result


def wait_for(collector: Collector, expected: int, *, quiet_s: float, timeout_s: float) -> bool:
    """Wait until ``expected`` deliveries arrived, or none for ``quiet_s``; True if all did."""
    deadline = time.monotonic() + timeout_s
    last, last_change = collector.count(), time.monotonic()
    while time.monotonic() < deadline:
        if last >= expected:
            return True
        time.sleep(0.1)
        now_count = collector.count()
        if now_count != last:
            last, last_change = now_count, time.monotonic()
        elif time.monotonic() - last_change > quiet_s:
            return False
    return collector.count() >= expected


def latency(
    server: Server, collector: Collector, workload: Workload, *, rate: float, duration_s: float
) -> dict[str, Any]:
    """Open loop at ``rate`` requests/s of 10 entries: time from a request being sent to each
    of its events' deliveries arriving."""
    collector.reset()
    bodies = workload.bodies()
    result = load(server, bodies, mode="open", rate=rate, duration_s=duration_s)
    sends = result.pop("sends")
    per_body = _deliveries_per_body(workload, len(bodies))
    expected = sum(per_body[index] for _, index, ids in sends if ids)
    wait_for(collector, expected, quiet_s=3.0, timeout_s=30.0)
    sent_at = {event_id: sent for sent, _, ids in sends for event_id in ids}
    ids, times = collector.dump()
    waits = sorted(t - sent_at[i] for i, t in zip(ids, times, strict=True) if i in sent_at)
    result.update(
        deliveries_expected=expected,
        deliveries=len(waits),
        p50_s=_quantile(waits, 0.5),
        p99_s=_quantile(waits, 0.99),
        max_s=waits[-1] if waits else None,
    )
    return result


def ingest(
    server: Server,
    collector: Collector,
    workload: Workload,
    *,
    drain_timeout_s: float,
    **settings: Any,
) -> dict[str, Any]:
    """Closed loop for ``duration_s``; then how fast deliveries arrived, during and after."""
    collector.reset()
    started = time.monotonic()
    result = load(server, workload.bodies(), mode="closed", **settings)
    ended, at_end = time.monotonic(), collector.count()
    expected = round(result["events"] * workload.deliveries_per_event)
    drained = wait_for(collector, expected, quiet_s=5.0, timeout_s=drain_timeout_s)
    _, times = collector.dump()
    last = times[-1] if times else ended
    result["delivery"] = {
        "expected_approx": expected,
        "delivered": len(times),
        "drained": drained,
        "during_ingest_per_s": at_end / (ended - started),
        "after_ingest_per_s": (len(times) - at_end) / (last - ended) if last > ended else None,
        "overall_per_s": len(times) / (last - started) if times else 0.0,
        "drain_s": max(0.0, last - ended),
    }
    return result


def _deliveries_per_body(workload: Workload, count: int) -> list[int]:
    n, matched = ENTRIES_PER_REQUEST, workload.matched
    return [sum(len(m) for m in matched[i * n : (i + 1) * n]) for i in range(count)]


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def storage_limit(
    workload: Workload, *, db: Path, count: int, synchronous: str, env: dict[str, str]
) -> dict[str, Any]:
    config = {
        "db": str(db),
        "count": count,
        "synchronous": synchronous,
        "batch": 10,
        "concurrency": 64,
        "entries": list(workload.entries),
        "matched": [list(m) for m in workload.matched],
    }
    result: dict[str, Any] = run_json("e2e_storage.py", config, env=env)
    return result
