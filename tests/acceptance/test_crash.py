"""Kill the server with SIGKILL under steady load: after a restart, every acknowledged
event still reaches its target at least once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from botocore.config import Config
from tests.servers import Sink, free_port

pytestmark = pytest.mark.slow


def launch(db: Path, port: int) -> subprocess.Popen[bytes]:
    log = db.with_suffix(".log")
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "busway", "serve", "--port", str(port), "--db", str(db)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    client = events_client(port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.list_event_buses()
            return process
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                process.wait()
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.1)


def events_client(port: int) -> Any:
    return boto3.client(
        "events",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=5),
    )


def publish(port: int, acknowledged: set[str], stop: threading.Event) -> None:
    client = events_client(port)
    entry = {"Source": "load", "DetailType": "Tick", "Detail": '{"n": 1}'}
    while not stop.is_set():
        try:
            answer = client.put_events(Entries=[entry] * 10)
        except Exception:
            return
        # A kill between the answer's head and its body leaves boto3 an answer with no
        # entries: that acknowledges nothing.
        entries = answer.get("Entries", [])
        acknowledged.update(e["EventId"] for e in entries if "EventId" in e)


def test_sigkill_loses_no_acknowledged_event(tmp_path: Path, sink: Sink) -> None:
    db, port = tmp_path / "busway.db", free_port()
    server = launch(db, port)
    try:
        client = events_client(port)
        client.put_rule(Name="all", EventPattern='{"source": ["load"]}')
        client.put_targets(Rule="all", Targets=[{"Id": "sink", "Arn": sink.url}])
        acknowledged: set[str] = set()
        stop = threading.Event()
        workers = [
            threading.Thread(target=publish, args=(port, acknowledged, stop)) for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        for worker in workers:
            worker.join()
        assert len(acknowledged) > 100
        server = launch(db, port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = {orjson.loads(r.body)["id"] for r in list(sink.requests)}
            if acknowledged <= seen:
                break
            time.sleep(0.2)
        missing = acknowledged - seen
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged events lost"
    finally:
        server.kill()
        server.wait()
