"""The function broker on a real event loop: sends queue, workers lease and report."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from busway.engine.senders.function import FunctionBroker, FunctionSpec, Report, function_name
from busway.engine.targets import TargetKind, target_kind
from busway.model import Delivery, Outcome, SendResult

ARN = "arn:aws:lambda:us-east-1:000000000000:function:billing"
T = TypeVar("T")


def delivery(attempt: int = 1) -> Delivery:
    accepted = datetime(2026, 5, 1, tzinfo=UTC)
    return Delivery(1, "event-1", "default", "r", "t", attempt, accepted, b"{}")


def run(body: Callable[[FunctionBroker], Awaitable[T]], **options: float) -> T:
    async def main() -> T:
        return await body(FunctionBroker(**options))

    return asyncio.run(main())


def test_lambda_arns_name_function_targets() -> None:
    assert target_kind(ARN) is TargetKind.FUNCTION
    assert target_kind(ARN + ":prod") is TargetKind.FUNCTION
    assert target_kind("arn:aws:lambda:us-east-1:000000000000:function:") is None
    assert target_kind("arn:aws:lambda:us-east-1:000000000000:layer:x") is None
    assert function_name(ARN + ":prod") == "billing"


def test_a_leased_call_that_succeeds_is_delivered() -> None:
    async def body(broker: FunctionBroker) -> None:
        await broker.lease([FunctionSpec("billing")], limit=0, wait=0)
        send = asyncio.create_task(broker.send(delivery(2), arn=ARN, payload='{"a": 1}'))
        (leased,) = await broker.lease([FunctionSpec("billing")], limit=10, wait=5)
        assert (leased.function, leased.payload, leased.attempt) == ("billing", '{"a": 1}', 2)
        assert broker.complete([Report(leased.id)]) == []
        assert await send == SendResult.delivered()
        assert broker.snapshot() == {"billing": (0, 0)}

    run(body)


def test_a_failed_call_is_retryable_with_the_exception_type_and_message() -> None:
    async def body(broker: FunctionBroker) -> SendResult:
        await broker.lease([FunctionSpec("billing")], limit=0, wait=0)
        send = asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}"))
        (leased,) = await broker.lease([FunctionSpec("billing")], limit=10, wait=5)
        broker.complete([Report(leased.id, "KeyError", "'total'")])
        return await send

    result = run(body)
    assert result.outcome is Outcome.RETRY
    assert (result.error_code, result.error_message) == ("FUNCTION_ERROR", "KeyError: 'total'")


def test_a_long_poll_wakes_as_soon_as_a_call_arrives() -> None:
    async def body(broker: FunctionBroker) -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        poll = asyncio.create_task(broker.lease([FunctionSpec("billing")], limit=10, wait=10))
        await asyncio.sleep(0)
        send = asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}"))
        (leased,) = await poll
        broker.complete([Report(leased.id)])
        await send
        return loop.time() - started

    assert run(body) < 2


def test_without_a_worker_the_call_fails_fast_and_is_retried() -> None:
    async def body(broker: FunctionBroker) -> SendResult:
        return await broker.send(delivery(), arn=ARN, payload="{}")

    result = run(body)
    assert result.outcome is Outcome.RETRY
    assert result.error_code == "NO_RESOURCE"
    assert result.error_message == "No worker serves function billing."


def test_a_lease_not_answered_in_time_times_out_and_its_late_result_is_unknown() -> None:
    async def body(broker: FunctionBroker) -> tuple[SendResult, list[str]]:
        spec = FunctionSpec("billing", timeout=0.05)
        await broker.lease([spec], limit=0, wait=0)
        send = asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}"))
        (leased,) = await broker.lease([spec], limit=10, wait=5)
        result = await send
        return result, broker.complete([Report(leased.id)])

    result, unknown = run(body, grace=0.01)
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "TIMEOUT")
    assert result.error_message == "Task timed out after 0.05 seconds"
    assert len(unknown) == 1


def test_concurrency_caps_the_calls_leased_at_once() -> None:
    async def body(broker: FunctionBroker) -> list[int]:
        spec = FunctionSpec("billing", concurrency=2)
        await broker.lease([spec], limit=0, wait=0)
        sends = [
            asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}")) for _ in range(5)
        ]
        await asyncio.sleep(0)
        first = await broker.lease([spec], limit=10, wait=0)
        second = await broker.lease([spec], limit=10, wait=0)
        broker.complete([Report(first[0].id)])
        third = await broker.lease([spec], limit=10, wait=0)
        broker.complete([Report(i.id) for i in [first[1], *third]])
        rest = await broker.lease([spec], limit=10, wait=0)
        broker.complete([Report(i.id) for i in rest])
        await asyncio.gather(*sends)
        return [len(first), len(second), len(third), len(rest)]

    assert run(body) == [2, 0, 1, 2]


def test_a_call_no_worker_takes_in_time_is_throttled() -> None:
    async def body(broker: FunctionBroker) -> SendResult:
        await broker.lease([FunctionSpec("billing")], limit=0, wait=0)
        result = await broker.send(delivery(), arn=ARN, payload="{}")
        assert broker.snapshot() == {"billing": (0, 0)}
        return result

    result = run(body, queue_wait=0.05)
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "THROTTLING")


def test_closing_resolves_every_pending_call_and_answers_polls() -> None:
    async def body(broker: FunctionBroker) -> list[SendResult]:
        spec = FunctionSpec("billing", concurrency=1)
        await broker.lease([spec], limit=0, wait=0)
        sends = [
            asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}")) for _ in range(2)
        ]
        await asyncio.sleep(0)
        assert len(await broker.lease([spec], limit=10, wait=0)) == 1
        poll = asyncio.create_task(broker.lease([spec], limit=10, wait=30))
        await asyncio.sleep(0)
        broker.close()
        assert await poll == []
        return list(await asyncio.gather(*sends))

    results = run(body)
    assert {(r.outcome, r.error_code) for r in results} == {(Outcome.RETRY, "THROTTLING")}


def test_a_cancelled_send_leaves_nothing_behind() -> None:
    async def body(broker: FunctionBroker) -> dict[str, tuple[int, int]]:
        await broker.lease([FunctionSpec("billing")], limit=0, wait=0)
        send = asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}"))
        await asyncio.sleep(0)
        send.cancel()
        await asyncio.gather(send, return_exceptions=True)
        return broker.snapshot()

    assert run(body) == {"billing": (0, 0)}


def test_a_function_queues_only_a_few_calls_per_unit_of_concurrency() -> None:
    async def body(broker: FunctionBroker) -> list[SendResult]:
        await broker.lease([FunctionSpec("billing", concurrency=1)], limit=0, wait=0)
        sends = [
            asyncio.create_task(broker.send(delivery(), arn=ARN, payload="{}")) for _ in range(20)
        ]
        await asyncio.sleep(0)
        assert broker.snapshot() == {"billing": (18, 0)}
        broker.close()
        return list(await asyncio.gather(*sends))

    results = run(body)
    assert [r.error_message for r in results].count(
        "Function billing has too many calls waiting."
    ) == 2
