"""``busway.App`` and its test mode: a real Busway in the test's process."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import busway
from busway.sdk import App, LambdaContext, Retry
from busway.sdk.testing import AppTest

ORDER = {"source": ["shop"], "detail-type": ["OrderPlaced"]}


def shop_app() -> tuple[App, list[tuple[str, Any]]]:
    app = App("shop")
    seen: list[tuple[str, Any]] = []
    lock = threading.Lock()

    @app.on(ORDER)
    def bill(event: dict[str, Any], context: LambdaContext) -> None:
        with lock:
            seen.append(("bill", event["detail"]))

    @app.on({"source": ["shop"]})
    async def audit(event: dict[str, Any], context: LambdaContext) -> None:
        await asyncio.sleep(0)
        with lock:
            seen.append(("audit", event["detail-type"]))

    return app, seen


def test_put_then_drain_runs_the_matching_handlers_sync_and_async() -> None:
    app, seen = shop_app()
    with app.testing() as bus:
        bus.put_event("shop", "OrderPlaced", {"order": 7})
        ran = bus.drain()
        assert ran.names == ["audit", "bill"]
        assert ran.of("bill")[0].event["detail"] == {"order": 7}
        assert sorted(seen) == [("audit", "OrderPlaced"), ("bill", {"order": 7})]

        bus.put_event("shop", "OrderShipped", {"order": 7})
        bus.put_event("elsewhere", "OrderPlaced", {"order": 8})
        assert bus.drain().names == ["audit"]
        assert bus.drain() == []
        assert len(bus.calls) == 3


def test_handlers_get_a_lambda_context() -> None:
    app = App()
    contexts: list[dict[str, Any]] = []

    @app.on({"source": ["shop"]}, timeout=12)
    def inspect(event: dict[str, Any], context: LambdaContext) -> None:
        contexts.append(
            {
                "name": context.function_name,
                "arn": context.invoked_function_arn,
                "request": context.aws_request_id,
                "remaining": context.get_remaining_time_in_millis(),
                "version": context.function_version,
                "event_id": context.event_id,
            }
        )

    with app.testing() as bus:
        event_id = bus.put_event("shop", "X", {})
        bus.drain()
    (context,) = contexts
    assert context["name"] == "inspect"
    assert context["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:inspect"
    assert len(context["request"]) == 36
    assert 10_000 < context["remaining"] <= 12_000
    assert context["version"] == "$LATEST"
    assert context["event_id"] == event_id


def test_failures_are_retried_then_dead_lettered_with_the_error_inside_drain() -> None:
    app = App()
    attempts: list[int] = []

    @app.on({"source": ["shop"]}, retry=2, dead_letter="failed-payments")
    def pay(event: dict[str, Any], context: LambdaContext) -> None:
        attempts.append(context.attempt)
        raise ValueError(f"card declined for {event['detail']['order']}")

    with app.testing() as bus:
        bus.put_event("shop", "OrderPlaced", {"order": 9})
        ran = bus.drain()
        assert attempts == [1, 2, 3]
        assert [call.error for call in ran.failed] == ["ValueError: card declined for 9"] * 3
        (dead,) = bus.dead_letters("failed-payments")
    assert dead.event["detail"] == {"order": 9}
    assert dead.attributes["ERROR_CODE"] == "FUNCTION_ERROR"
    assert dead.attributes["ERROR_MESSAGE"] == "ValueError: card declined for 9"
    assert dead.attributes["RETRY_ATTEMPTS"] == "2"
    assert dead.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert dead.attributes["TARGET_ARN"].endswith(":function:pay")


def test_a_handler_that_fails_once_succeeds_on_its_retry() -> None:
    app = App()
    attempts: list[int] = []

    @app.on({"source": ["shop"]}, retry=Retry(attempts=5, max_event_age=3600))
    async def flaky(event: dict[str, Any], context: LambdaContext) -> None:
        attempts.append(context.attempt)
        if context.attempt == 1:
            raise ConnectionError("warehouse down")

    with app.testing() as bus:
        bus.put_event("shop", "X", {})
        ran = bus.drain()
        assert [call.ok for call in ran] == [False, True]
        assert bus.dead_letters("unused") == []
    assert attempts == [1, 2]


def test_a_custom_bus_is_created_and_setup_is_idempotent() -> None:
    app = App("ops")

    @app.on({"source": ["cron"]}, bus="ops")
    @app.on({"source": ["manual"]}, bus="ops")
    def tidy(event: dict[str, Any], context: LambdaContext) -> None:
        pass

    with app.testing() as bus:
        app.setup(bus.client)
        rules = sorted(rule["Name"] for rule in bus.client.rules(bus="ops"))
        assert rules == ["ops-tidy", "ops-tidy-2"]
        assert [t["Id"] for t in bus.client.targets("ops-tidy", bus="ops")] == ["function"]
        bus.put_event("cron", "Tick", {}, bus="ops")
        bus.put_event("manual", "Tick", {}, bus="ops")
        bus.put_event("cron", "Tick", {})
        assert bus.drain().names == ["tidy", "tidy"]


def test_functions_declared_alone_serve_targets_made_with_the_aws_api() -> None:
    app = App()

    @app.function("resize-image", concurrency=2)
    def resize(event: dict[str, Any], context: LambdaContext) -> None:
        pass

    with app.testing() as bus:
        bus.client.put_rule("images", {"source": ["uploads"]})
        bus.client.put_target("images", "t", app.function_arn("resize-image"))
        bus.put_events([{"Source": "uploads", "DetailType": "Put", "Detail": "{}"}] * 5)
        assert bus.drain().names == ["resize-image"] * 5


def test_events_a_handler_publishes_are_delivered_in_the_same_drain() -> None:
    app = App()
    endpoint: list[str] = []

    @app.on({"source": ["shop"]})
    async def order(event: dict[str, Any], context: LambdaContext) -> None:
        # A blocking call from an async handler stalls its worker, never the server.
        with busway.Client(endpoint[0]) as client:
            client.put_event("billing", "Invoiced", {"order": event["detail"]["order"]})

    @app.on({"source": ["billing"]})
    def invoiced(event: dict[str, Any], context: LambdaContext) -> None:
        pass

    with app.testing() as bus:
        endpoint.append(bus.endpoint_url)
        bus.put_event("shop", "OrderPlaced", {"order": 3})
        ran = bus.drain()
    assert ran.names == ["invoiced", "order"]
    assert ran.of("invoiced")[0].event["detail"] == {"order": 3}


def test_declarations_are_checked() -> None:
    app = App()

    @app.function()
    def handler(event: Any, context: Any) -> None:
        pass

    with pytest.raises(ValueError, match="already registered"):
        app.function("handler")(lambda event, context: None)
    with pytest.raises(ValueError, match="function name 'bad name' is not valid"):
        app.function("bad name")(handler)
    with pytest.raises(ValueError, match="timeout"):
        app.on({"source": ["x"]}, name="slow", timeout=600)(handler)


def test_the_app_is_exported_from_busway() -> None:
    assert busway.App is App
    assert AppTest.__test__ is False
