"""Running function calls in a worker: async handlers as tasks on the event loop, sync
handlers on a pool of threads fed by a queue.

The pool is leaner than ``run_in_executor``: no future per call, and finished calls go
back to the loop in batches, one wake-up for however many finished meanwhile. A sync
call cannot be interrupted; one that runs past its timeout is reported as timed out
when it ends (the server has usually given up on it and retried by then).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from busway.sdk.context import Function, LambdaContext

MAX_THREADS = 256


class FunctionTimeoutError(TimeoutError):
    """A call that ran past its function's timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"Task timed out after {seconds:.2f} seconds")


@dataclass(slots=True)
class Running:
    """One call: what it runs, and once it ends, the exception it raised (if any)."""

    function: Function
    event: Any
    context: LambdaContext
    error: BaseException | None = None


class CallRunner:
    """Runs calls and hands each finished one to ``on_done`` on the loop's thread."""

    def __init__(self, on_done: Callable[[Running], None], *, threads: int) -> None:
        self._on_done = on_done
        self._max_threads = max(1, min(threads, MAX_THREADS))
        self._threads: list[threading.Thread] = []
        self._work: queue.SimpleQueue[Running | None] = queue.SimpleQueue()
        self._finished: collections.deque[Running] = collections.deque()
        self._wake_pending = False
        self._in_flight = 0
        self._sync_in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def start(self, call: Running) -> None:
        """Begin ``call``; call from the loop's thread."""
        self._loop = self._loop or asyncio.get_running_loop()
        self._in_flight += 1
        self._idle.clear()
        if call.function.is_async:
            task = asyncio.create_task(self._run_async(call))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._sync_in_flight += 1
        if self._sync_in_flight > len(self._threads) and len(self._threads) < self._max_threads:
            self._add_thread()
        self._work.put(call)

    async def idle(self) -> None:
        """Return once no call is running."""
        await self._idle.wait()

    def close(self) -> None:
        """Let the threads end once their current call does (they are daemons, so a
        hung handler does not keep the process alive)."""
        for _ in self._threads:
            self._work.put(None)

    async def _run_async(self, call: Running) -> None:
        try:
            async with asyncio.timeout(call.function.timeout):
                await call.function.handler(call.event, call.context)
        except TimeoutError:
            call.error = FunctionTimeoutError(call.function.timeout)
        except Exception as error:
            call.error = error
        self._done(call)

    def _add_thread(self) -> None:
        thread = threading.Thread(
            target=self._serve, name=f"busway-fn-{len(self._threads)}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        while (call := self._work.get()) is not None:
            try:
                call.function.handler(call.event, call.context)
            except Exception as error:
                call.error = error
            if call.error is None and call.context.get_remaining_time_in_millis() == 0:
                call.error = FunctionTimeoutError(call.function.timeout)
            self._finished.append(call)
            # Appended before the flag is read: the loop's drain sees this call either way.
            if not self._wake_pending:
                self._wake_pending = True
                self._wake()

    def _wake(self) -> None:
        assert self._loop is not None
        # RuntimeError: the worker stopped while this call ran; nobody waits for it now.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        self._wake_pending = False
        while self._finished:
            self._sync_in_flight -= 1
            self._done(self._finished.popleft())

    def _done(self, call: Running) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()
        self._on_done(call)
