"""``busway worker`` processes against a real ``busway serve``, set up with boto3: calls
run in the worker, failures reach the DLQ with their exception, and a worker killed
mid-call leaves a lease that times out and is retried by another worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from botocore.config import Config
from tests.servers import Sink, free_port

import busway

pytestmark = pytest.mark.slow
SOURCE = str(Path(busway.__file__).resolve().parents[1])

FUNCTIONS = """
import json, os, time, urllib.request
import busway

app = busway.App("acceptance")


def tell(event, context):
    body = {"event_id": event["id"], "attempt": context.attempt, "pid": os.getpid(),
            "function": context.function_name}
    request = urllib.request.Request(os.environ["SINK_URL"], data=json.dumps(body).encode())
    urllib.request.urlopen(request, timeout=5).read()


@app.function("record", timeout=1)
def record(event, context):
    tell(event, context)
    if event["detail"].get("hang") and context.attempt == 1:
        time.sleep(60)


@app.function("explode")
async def explode(event, context):
    raise RuntimeError(f"kaboom {event['detail']['n']}")
"""


ROUTED = """
import busway

app = busway.App()


@app.on({"source": ["anything"]})
def handle(event, context):
    pass
"""


def aws(service: str, port: int) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=15),
    )


def spawn(
    args: list[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """``busway ARGS`` running the busway this test imported, wherever ``cwd`` is."""
    env = {**os.environ, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join([SOURCE, env.get("PYTHONPATH", "")])
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "busway", *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
        )


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    db = tmp_path / "busway.db"
    server = spawn(["serve", "--port", str(port), "--db", str(db)], log=tmp_path / "serve.log")
    deadline = time.monotonic() + 30
    while True:
        try:
            aws("events", port).list_event_buses()
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError((tmp_path / "serve.log").read_text()) from None
            time.sleep(0.05)
    yield port
    server.terminate()
    server.wait(20)


def start_worker(folder: Path, port: int, sink: Sink, name: str) -> subprocess.Popen[bytes]:
    (folder / "functions.py").write_text(FUNCTIONS)
    env = {"SINK_URL": sink.url, "PYTHONUNBUFFERED": "1"}
    args = ["worker", "functions:app", "--endpoint", f"http://127.0.0.1:{port}", "--poll", "1"]
    log = folder / f"{name}.log"
    worker = spawn(args, log=log, cwd=folder, env=env)
    deadline = time.monotonic() + 30
    while "connected to" not in log.read_text():
        if time.monotonic() > deadline or worker.poll() is not None:
            worker.kill()
            raise RuntimeError(log.read_text())
        time.sleep(0.05)
    return worker


def route(events: Any, rule: str, source: str, function: str, **target: Any) -> None:
    events.put_rule(Name=rule, EventPattern=orjson.dumps({"source": [source]}).decode())
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn, **target}])


def put(events: Any, source: str, detail: dict[str, Any]) -> str:
    entry = {"Source": source, "DetailType": "Test", "Detail": orjson.dumps(detail).decode()}
    return str(events.put_events(Entries=[entry])["Entries"][0]["EventId"])


def calls(sink: Sink, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    return [orjson.loads(r.body) for r in sink.wait_for(count, timeout)]


def stop(process: subprocess.Popen[bytes]) -> int:
    process.terminate()
    return process.wait(20)


def test_a_worker_process_runs_calls_and_failures_reach_the_dlq(
    tmp_path: Path, port: int, sink: Sink
) -> None:
    events, sqs = aws("events", port), aws("sqs", port)
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    route(events, "record-all", "shop", "record")
    route(
        events,
        "explode-all",
        "shop",
        "explode",
        RetryPolicy={"MaximumRetryAttempts": 0},
        DeadLetterConfig={"Arn": dlq["QueueArn"]},
    )
    worker = start_worker(tmp_path, port, sink, "worker")
    try:
        event_id = put(events, "shop", {"n": 1})
        (call,) = calls(sink, 1)
        assert (call["event_id"], call["attempt"], call["pid"]) == (event_id, 1, worker.pid)
        answer = sqs.receive_message(
            QueueUrl=url, WaitTimeSeconds=15, MessageAttributeNames=["All"]
        )
        (message,) = answer["Messages"]
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attributes["ERROR_CODE"] == "FUNCTION_ERROR"
        assert attributes["ERROR_MESSAGE"] == "RuntimeError: kaboom 1"
        assert orjson.loads(message["Body"])["id"] == event_id
    finally:
        assert stop(worker) == 0


def test_a_worker_killed_mid_call_is_retried_by_another(
    tmp_path: Path, port: int, sink: Sink
) -> None:
    events = aws("events", port)
    route(events, "record-all", "shop", "record")
    first = start_worker(tmp_path, port, sink, "first")
    second: subprocess.Popen[bytes] | None = None
    try:
        event_id = put(events, "shop", {"hang": True})
        (call,) = calls(sink, 1)
        assert (call["event_id"], call["attempt"], call["pid"]) == (event_id, 1, first.pid)
        first.kill()
        first.wait(10)
        second = start_worker(tmp_path, port, sink, "second")
        retried = calls(sink, 2, timeout=20)[1]
        assert (retried["event_id"], retried["attempt"], retried["pid"]) == (
            event_id,
            2,
            second.pid,
        )
    finally:
        first.kill()
        if second is not None:
            assert stop(second) == 0


def test_the_worker_command_says_what_it_cannot_serve(tmp_path: Path) -> None:
    (tmp_path / "functions.py").write_text(FUNCTIONS)
    (tmp_path / "routed.py").write_text(ROUTED)
    unreachable = f"http://127.0.0.1:{free_port()}"
    cases = [
        (["nosuchmodule"], "cannot import 'nosuchmodule'"),
        (["functions:tell"], "functions:tell is not a busway.App"),
        (["routed", "--endpoint", unreachable], "cannot set up the app's rules"),
    ]
    for args, message in cases:
        shown = subprocess.run(
            [sys.executable, "-m", "busway", "worker", *args],
            capture_output=True,
            check=False,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": SOURCE, "AWS_MAX_ATTEMPTS": "1"},
            timeout=60,
        )
        assert shown.returncode != 0
        assert message in shown.stderr
