"""Function targets through the real engine (store, router, dispatcher, scheduler) with
a settable clock; the worker's side is played by leasing from the broker directly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
from tests.engine.harness import Engine, scenario

from busway.engine.senders.function import FunctionSpec, Report

ARN = "arn:aws:lambda:us-east-1:000000000000:function:billing"
SPEC = FunctionSpec("billing", timeout=5)


async def serve_once(engine: Engine, *, error: tuple[str, str] | None = None) -> list[Any]:
    """Deliver what is due while answering every call with ``error`` (None: success);
    the payloads the calls carried."""
    broker = engine.runtime.functions
    payloads: list[Any] = []

    async def worker() -> None:
        while True:
            for invocation in await broker.lease([SPEC], limit=10, wait=5):
                payloads.append(orjson.loads(invocation.payload))
                kind, message = error or (None, "")
                broker.complete([Report(invocation.id, kind, message)])

    serving = asyncio.create_task(worker())
    await asyncio.sleep(0)
    try:
        await engine.drain()
    finally:
        serving.cancel()
    return payloads


def test_a_failed_call_is_retried_after_backoff_then_dead_lettered(tmp_path: Path) -> None:
    async def body(engine: Engine) -> tuple[list[int], Any]:
        queues = engine.runtime.queues
        url = await queues.create_queue("dlq")
        dlq_arn = engine.runtime.scope.queue_arn("dlq")
        await engine.route(
            ARN,
            retry_policy={"maximum_retry_attempts": 1},
            dead_letter_config={"arn": dlq_arn},
        )
        await engine.runtime.functions.lease([SPEC], limit=0, wait=0)
        await engine.put()
        calls = [len(await serve_once(engine, error=("ValueError", "no card")))]
        calls.append(len(await serve_once(engine, error=("ValueError", "no card"))))
        engine.clock.advance(2)
        calls.append(len(await serve_once(engine, error=("ValueError", "no card"))))
        (message,) = await queues.receive_message(
            url, wait_time_seconds=0, message_attribute_names=["All"]
        )
        return calls, message

    calls, message = scenario(tmp_path, body)
    attributes = message["message_attributes"]
    assert calls == [1, 0, 1]
    assert attributes["ERROR_CODE"]["string_value"] == "FUNCTION_ERROR"
    assert attributes["ERROR_MESSAGE"]["string_value"] == "ValueError: no card"
    assert attributes["RETRY_ATTEMPTS"]["string_value"] == "1"


def test_a_schedule_calls_a_function_with_its_input_as_the_event(tmp_path: Path) -> None:
    async def body(engine: Engine) -> list[Any]:
        await engine.runtime.functions.lease([SPEC], limit=0, wait=0)
        await engine.schedule("json", "rate(1 minute)", {"arn": ARN, "input": '{"a": 1}'})
        await engine.schedule("text", "rate(1 minute)", {"arn": ARN, "input": "remind me"})
        engine.clock.advance(60)
        await engine.runtime.scheduler.run_until_idle()
        return await serve_once(engine)

    payloads = scenario(tmp_path, body)
    assert {"remind me", orjson.dumps({"a": 1})} == {
        p if isinstance(p, str) else orjson.dumps(p) for p in payloads
    }
