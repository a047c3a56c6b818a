"""Test mode for ``busway.App``: a real Busway in the test's own process.

::

    def test_orders_are_billed():
        with app.testing() as bus:
            bus.put_event("shop", "OrderPlaced", {"order": 7})
            ran = bus.drain()
            assert ran.names == ["bill"]
            assert ran.of("bill")[0].event["detail"] == {"order": 7}

The server (temporary SQLite file, loopback port) and a worker run on background
threads, each with its own event loop as in production; the app's rules are set up
through the AWS API, as ``app.run()`` does. Events
wait until ``drain()``, which delivers everything, lets the handlers run, and plays
failed calls' retries at once by moving the server's clock past each backoff, until
nothing is owed: every retry and dead letter happens inside the call, with no sleeping.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import uvicorn

from busway.config import Settings
from busway.engine.retry import MAX_DELAY
from busway.runtime import Runtime
from busway.sdk.client import Client, PutResult
from busway.sdk.worker import Call, Worker

if TYPE_CHECKING:
    from busway.sdk.app import App

T = TypeVar("T")
START_SECONDS = 30.0
# Retries wait at most MAX_DELAY; events give up after a day by default, so a handler
# that always fails reaches its dead-letter queue within this many rounds.
MAX_ROUNDS = 1_000


class Calls(list[Call]):
    """Function calls, in the order they finished."""

    @property
    def names(self) -> list[str]:
        """The functions called, sorted (calls run concurrently, so order is not news)."""
        return sorted(call.function for call in self)

    def of(self, function: str) -> Calls:
        return Calls(call for call in self if call.function == function)

    @property
    def failed(self) -> Calls:
        return Calls(call for call in self if not call.ok)


@dataclass(frozen=True)
class DeadLetter:
    """A message on a dead-letter queue: the event and AWS's attributes (ERROR_CODE,
    ERROR_MESSAGE, RULE_ARN, TARGET_ARN, RETRY_ATTEMPTS, ...)."""

    event: Any
    attributes: Mapping[str, str]


class ShiftedClock:
    """The system clock plus an offset that ``drain`` moves forward over retry waits."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def skip(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class AppTest:
    """A running test Busway for one ``App``; use it as a context manager."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, app: App, *, folder: Path | None = None) -> None:
        self.app = app
        self.calls = Calls()
        self.clock = ShiftedClock()
        self._folder = folder
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker_loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._lock = threading.Lock()
        self._seen = 0
        self.runtime: Runtime
        self.client: Client
        self.worker: Worker

    @property
    def endpoint_url(self) -> str:
        return self.runtime.base_url

    # Lifetime --------------------------------------------------------------------------

    def __enter__(self) -> AppTest:
        if self._folder is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="busway-test-")
            self._folder = Path(self._temporary.name)
        self.runtime = Runtime(_settings(self._folder), clock=self.clock)
        self._thread = threading.Thread(target=self._serve, name="busway-test", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_SECONDS) or self._failure is not None:
            raise RuntimeError("the test Busway did not start") from self._failure
        try:
            self.client = Client(self.endpoint_url, access_key_id="test", secret_access_key="test")
            self.app.setup(self.client)
            self.worker = self.app.worker(self.endpoint_url, poll_seconds=1.0, on_call=self._record)
            self._start_worker()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._worker_loop is not None and self._worker_thread.is_alive():
            self._worker_loop.call_soon_threadsafe(self.worker.stop)
            self._worker_thread.join(START_SECONDS)
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(START_SECONDS)
        if hasattr(self, "client"):
            self.client.close()
        if self._temporary is not None:
            self._temporary.cleanup()

    # What a test does ------------------------------------------------------------------

    def put_event(
        self,
        source: str,
        detail_type: str,
        detail: Mapping[str, Any] | str,
        *,
        bus: str = "default",
        resources: Sequence[str] = (),
    ) -> str:
        """Publish one event (handlers run on ``drain``); its id."""
        return self.client.put_event(source, detail_type, detail, bus=bus, resources=resources)

    def put_events(self, entries: Iterable[Mapping[str, Any]]) -> list[PutResult]:
        """Publish PutEvents entries in AWS's spelling (see ``busway.sdk.client.event_entry``)."""
        return self.client.put_events(entries)

    def drain(self, *, timeout: float = 30.0) -> Calls:
        """Deliver every event owed, retries included, and return the calls made since
        the last ``drain``. Raises ``TimeoutError`` if that takes over ``timeout`` s."""
        self._run(self._drain(), timeout=timeout)
        with self._lock:
            fresh = Calls(self.calls[self._seen :])
            self._seen = len(self.calls)
        return fresh

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        """Take every message on the queue named ``queue``."""
        url = self.client.create_queue(queue)
        found: list[DeadLetter] = []
        while messages := self.client.receive_messages(url, max_messages=10):
            for message in messages:
                attributes = message.get("MessageAttributes", {})
                found.append(
                    DeadLetter(
                        orjson.loads(message["Body"]),
                        {k: v.get("StringValue", "") for k, v in attributes.items()},
                    )
                )
                self.client.delete_message(url, message["ReceiptHandle"])
        return found

    # Inside ----------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _run(self, work: Coroutine[Any, Any, T], *, timeout: float = START_SECONDS) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:
            self._failure = error
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        settings = self.runtime.settings
        server = uvicorn.Server(
            uvicorn.Config(
                self.runtime.app(),
                host=settings.host,
                port=settings.port,
                log_level="warning",
                log_config=None,
            )
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
                raise RuntimeError("the test server stopped")
            await asyncio.sleep(0.005)
        # Deliveries wait for drain(), which runs them to the end deterministically.
        await self.runtime.dispatcher.stop()
        self._ready.set()
        await self._stopped.wait()
        server.should_exit = True
        await serving

    def _start_worker(self) -> None:
        """Run the worker on a thread and loop of its own: an async handler that blocks
        (say on a sync HTTP call back to this Busway) must not stall the server."""
        ready = threading.Event()

        async def main() -> None:
            self._worker_loop = asyncio.get_running_loop()
            running = asyncio.create_task(self.worker.run())
            await asyncio.wait(
                {running, asyncio.ensure_future(self.worker.wait_ready())},
                return_when=asyncio.FIRST_COMPLETED,
            )
            ready.set()
            await running

        self._worker_thread = threading.Thread(
            target=asyncio.run, args=(main(),), name="busway-test-worker", daemon=True
        )
        self._worker_thread.start()
        if not ready.wait(START_SECONDS):
            raise RuntimeError("the test worker did not connect")

    async def _drain(self) -> None:
        runtime = self.runtime
        for _ in range(MAX_ROUNDS):
            await runtime.dispatcher.run_until_idle()
            if await runtime.store.events.pending() == 0:
                return
            self.clock.skip(MAX_DELAY + 1)
        raise TimeoutError("deliveries were still owed after every retry round")


def _settings(folder: Path) -> Settings:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return Settings(port=port, database_url=str(folder / "busway.db"), log_level="warning")
