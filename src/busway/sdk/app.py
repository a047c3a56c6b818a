"""``busway.App``: consumers declared with decorators.

::

    app = busway.App()

    @app.on({"source": ["shop"], "detail-type": ["OrderPlaced"]}, retry=3, dead_letter="failed")
    def bill(event, context):
        ...

    app.run()   # or: busway worker shop.consumers:app

``@app.on`` makes the handler a function and routes a rule to it; ``@app.function``
only registers a function, for targets set up some other way (boto3, the console).
Starting (``run``, ``busway worker``, ``testing``) creates the rules and targets, and
any missing bus or dead-letter queue, idempotently.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from busway.errors import RemoteError
from busway.sdk.client import Client
from busway.sdk.context import Function, Handler
from busway.sdk.worker import Worker

if TYPE_CHECKING:
    from busway.sdk.testing import AppTest

H = TypeVar("H", bound=Handler)
TARGET_ID = "function"


@dataclass(frozen=True)
class Retry:
    """A target's RetryPolicy: retries after the first try, and the event's maximum age."""

    attempts: int = 185
    max_event_age: int = 86_400


@dataclass(frozen=True)
class Route:
    """One ``@app.on``: a rule on ``bus`` sending matching events to ``function``."""

    rule: str
    pattern: Mapping[str, Any] | str
    function: str
    bus: str = "default"
    retry: Retry | None = None
    dead_letter: str | None = None


class App:
    """A set of functions and the rules that feed them. ``name`` prefixes the rules it
    creates (``<name>-<function>``)."""

    def __init__(
        self,
        name: str = "app",
        *,
        region: str = "us-east-1",
        account: str = "000000000000",
    ) -> None:
        self.name = name
        self.region = region
        self.account = account
        self.functions: dict[str, Function] = {}
        self.routes: list[Route] = []

    def function(
        self, name: str | None = None, *, concurrency: int = 10, timeout: float = 30.0
    ) -> Callable[[H], H]:
        """Register the decorated ``handler(event, context)`` (sync or async) as a
        function, by default under its own name. The handler is returned unchanged."""

        def register(handler: H) -> H:
            self._add(Function(name or handler.__name__, handler, concurrency, timeout))
            return handler

        return register

    def on(
        self,
        pattern: Mapping[str, Any] | str,
        *,
        bus: str = "default",
        retry: Retry | int | None = None,
        dead_letter: str | None = None,
        name: str | None = None,
        concurrency: int = 10,
        timeout: float = 30.0,
    ) -> Callable[[H], H]:
        """Run the decorated handler for events on ``bus`` matching ``pattern``.
        ``retry`` is a ``Retry`` or a number of retries; ``dead_letter`` a queue name
        or ARN that gets the events whose retries ran out."""

        def register(handler: H) -> H:
            function_name = name or handler.__name__
            if function_name not in self.functions:
                self._add(Function(function_name, handler, concurrency, timeout))
            elif self.functions[function_name].handler is not handler:
                raise ValueError(f"function {function_name!r} is already registered")
            count = sum(1 for r in self.routes if r.function == function_name)
            rule = f"{self.name}-{function_name}" + (f"-{count + 1}" if count else "")
            policy = Retry(attempts=retry) if isinstance(retry, int) else retry
            self.routes.append(Route(rule, pattern, function_name, bus, policy, dead_letter))
            return handler

        return register

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def setup(self, client: Client) -> None:
        """Create this app's rules and targets (and missing buses and dead-letter
        queues) on the server ``client`` talks to. Safe to repeat."""
        for bus in sorted({r.bus for r in self.routes} - {"default"}):
            with contextlib.suppress(RemoteError):
                client.create_bus(bus)
        for route in self.routes:
            client.put_rule(route.rule, route.pattern, bus=route.bus)
            client.put_target(
                route.rule,
                TARGET_ID,
                self.function_arn(route.function),
                bus=route.bus,
                **self._target_settings(route, client),
            )

    def worker(self, endpoint_url: str | Sequence[str] | None = None, **options: Any) -> Worker:
        """A worker for this app's functions (``Worker``'s options)."""
        return Worker(list(self.functions.values()), endpoint_url, **options)

    def run(
        self, endpoint_url: str | Sequence[str] | None = None, *, setup: bool = True, **options: Any
    ) -> None:
        """Set up the rules, then serve the functions until SIGINT or SIGTERM. Several
        endpoints are nodes sharing one database: the rules are set up through the first."""
        if setup:
            first = endpoint_url if isinstance(endpoint_url, str | None) else endpoint_url[0]
            with Client(first) as client:
                self.setup(client)
        asyncio.run(_serve(self.worker(endpoint_url, **options)))

    def testing(self, **options: Any) -> AppTest:
        """A real Busway in this process, on a temporary SQLite file, with this app set
        up and a worker running: see ``busway.sdk.testing.AppTest``."""
        from busway.sdk.testing import AppTest

        return AppTest(self, **options)

    def _add(self, function: Function) -> None:
        if function.name in self.functions:
            raise ValueError(f"function {function.name!r} is already registered")
        self.functions[function.name] = function

    def _target_settings(self, route: Route, client: Client) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        if route.retry is not None:
            settings["RetryPolicy"] = {
                "MaximumRetryAttempts": route.retry.attempts,
                "MaximumEventAgeInSeconds": route.retry.max_event_age,
            }
        if route.dead_letter is not None:
            settings["DeadLetterConfig"] = {"Arn": _queue_arn(client, route.dead_letter)}
        return settings


def _queue_arn(client: Client, queue: str) -> str:
    if queue.startswith("arn:"):
        return queue
    return client.queue_arn(client.create_queue(queue))


async def _serve(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(number, worker.stop)
    await worker.run()
