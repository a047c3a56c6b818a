"""The worker protocol over real HTTP: leases, results, validation, authentication."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.servers import BuswayServer, start_busway

from busway.sdk.context import Function, LambdaContext
from busway.sdk.worker import Worker

ARN = "arn:aws:lambda:us-east-1:000000000000:function:billing"
BILLING = {"name": "billing", "concurrency": 4, "timeout": 5}


def poll(server: BuswayServer, *, wait: float = 0, limit: int = 10, **extra: Any) -> Any:
    body = {"worker": "test", "functions": [BILLING], "max": limit, "wait": wait, **extra}
    return httpx.post(f"{server.url}/functions/invocations", json=body, timeout=30)


def report(server: BuswayServer, results: list[dict[str, Any]]) -> Any:
    body = {"worker": "test", "functions": ["billing"], "results": results}
    return httpx.post(f"{server.url}/functions/results", json=body, timeout=30)


def run_in_thread(worker: Worker) -> threading.Thread:
    """Run ``worker`` on a thread of its own; return once every server has seen it."""
    ready = threading.Event()

    async def main() -> None:
        running = asyncio.create_task(worker.run())
        await asyncio.wait(
            {running, asyncio.ensure_future(worker.wait_ready())},
            return_when=asyncio.FIRST_COMPLETED,
        )
        ready.set()
        await running

    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    assert ready.wait(10)
    return thread


def route_to_billing(events: Any, **target: Any) -> None:
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="orders", Targets=[{"Id": "billing", "Arn": ARN, **target}])


def put(events: Any, detail: str = '{"order": 1}') -> str:
    entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": detail}
    answer = events.put_events(Entries=[entry])
    return str(answer["Entries"][0]["EventId"])


def test_a_worker_leases_the_event_and_its_success_ends_the_delivery(
    busway: BuswayServer, events: Any
) -> None:
    route_to_billing(events)
    assert poll(busway).json() == {"invocations": []}
    event_id = put(events)
    (invocation,) = poll(busway, wait=10).json()["invocations"]
    assert invocation["function"] == "billing"
    assert invocation["arn"] == ARN
    assert invocation["event"]["detail"] == {"order": 1}
    assert (invocation["event_id"], invocation["attempt"]) == (event_id, 1)
    assert invocation["timeout_ms"] == 5000
    assert report(busway, [{"id": invocation["id"]}]).json() == {"unknown": []}
    assert report(busway, [{"id": invocation["id"]}]).json() == {"unknown": [invocation["id"]]}


def test_a_failure_reaches_the_dead_letter_queue_with_type_and_message(
    busway: BuswayServer, events: Any, sqs: Any
) -> None:
    url = sqs.create_queue(QueueName="billing-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    route_to_billing(
        events,
        RetryPolicy={"MaximumRetryAttempts": 0},
        DeadLetterConfig={"Arn": dlq["QueueArn"]},
    )
    poll(busway)
    put(events)
    (invocation,) = poll(busway, wait=10).json()["invocations"]
    error = {"type": "KeyError", "message": "'card'"}
    report(busway, [{"id": invocation["id"], "error": error}])
    answer = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, MessageAttributeNames=["All"])
    (message,) = answer["Messages"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "FUNCTION_ERROR"
    assert attributes["ERROR_MESSAGE"] == "KeyError: 'card'"
    assert attributes["TARGET_ARN"] == ARN


def test_an_empty_long_poll_waits_then_answers(busway: BuswayServer) -> None:
    started = time.monotonic()
    assert poll(busway, wait=0.5).json() == {"invocations": []}
    assert time.monotonic() - started >= 0.5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"functions": []}, "functions must be a list of 1 to 100 functions."),
        ({"functions": [{"name": "a b"}]}, "Function name 'a b' is not valid"),
        ({"functions": [BILLING], "wait": 60}, "wait must be a number from 0 to 20."),
        ({"functions": [{"name": "f", "timeout": 900}]}, "timeout must be a number"),
        ({"functions": [{"name": "f", "concurrency": 0}]}, "concurrency must be a number"),
        ({"functions": [BILLING], "max": "ten"}, "max must be a number"),
    ],
)
def test_invalid_polls_are_refused(busway: BuswayServer, body: Any, message: str) -> None:
    answer = httpx.post(f"{busway.url}/functions/invocations", json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "ValidationException"
    assert answer.json()["message"].startswith(message)


def test_invalid_results_and_bodies_are_refused(busway: BuswayServer) -> None:
    url = f"{busway.url}/functions/results"
    assert httpx.post(url, content=b"{not json").json()["code"] == "SerializationException"
    assert httpx.post(url, json=[1]).status_code == 400
    assert httpx.post(url, json={"results": [{"id": 5}]}).status_code == 400
    bad_error = {"results": [{"id": "x", "error": "boom"}]}
    assert httpx.post(url, json=bad_error).json()["message"].startswith("A result's error")


def test_a_worker_that_hangs_up_does_not_hold_the_server(tmp_path: Path) -> None:
    server = start_busway(tmp_path)
    with pytest.raises(httpx.ReadTimeout):
        body = {"worker": "w", "functions": [BILLING], "wait": 20}
        httpx.post(f"{server.url}/functions/invocations", json=body, timeout=0.3)
    started = time.monotonic()
    server.stop()
    assert not server.thread.is_alive()
    assert time.monotonic() - started < 5


def test_with_credentials_polls_must_be_signed_and_the_worker_signs(tmp_path: Path) -> None:
    server = start_busway(tmp_path, auth=True, credentials={"AKID": "s3cret"})
    try:
        answer = poll(server)
        assert answer.status_code == 403
        assert answer.json()["code"] == "MissingAuthenticationTokenException"
        events = server.client("events", access_key="AKID", secret_key="s3cret")
        route_to_billing(events)
        ran = threading.Event()

        def billing(event: Any, context: LambdaContext) -> None:
            ran.set()

        worker = Worker(
            [Function("billing", billing)],
            server.url,
            access_key_id="AKID",
            secret_access_key="s3cret",
            poll_seconds=1,
        )
        thread = run_in_thread(worker)
        put(events)
        assert ran.wait(10)
        worker.stop()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        server.stop()


def test_one_worker_serves_several_servers(tmp_path: Path) -> None:
    servers = [start_busway(tmp_path / name) for name in ("a", "b")]
    seen: list[str] = []
    both = threading.Event()

    def billing(event: Any, context: LambdaContext) -> None:
        seen.append(event["detail"]["server"])
        if len(seen) == 2:
            both.set()

    worker = Worker([Function("billing", billing)], [s.url for s in servers], poll_seconds=1)
    thread: threading.Thread | None = None
    try:
        for server in servers:
            route_to_billing(server.client("events"))
        thread = run_in_thread(worker)
        for name, server in zip("ab", servers, strict=True):
            put(server.client("events"), f'{{"server": "{name}"}}')
        assert both.wait(10)
        assert sorted(seen) == ["a", "b"]
    finally:
        worker.stop()
        if thread is not None:
            thread.join(10)
        for server in servers:
            server.stop()
