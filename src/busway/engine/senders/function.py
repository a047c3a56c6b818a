"""Delivery to Python functions run by ``busway worker`` processes.

The dispatcher's send for a function target becomes an ``Invocation`` queued here, per
function name, with a future the send awaits. Workers lease invocations in batches
(``lease``, a long poll), run the handlers and report back (``complete``); the future
then resolves to a ``SendResult`` and the dispatcher applies the target's RetryPolicy
and dead-letter queue as for any target. An invocation leased but not answered within
the function's timeout (the worker died, hung or lost the server) resolves as a
retryable ``TIMEOUT``. Nothing here is durable: if this process dies, the delivery's
own lease in the store runs out and it is claimed again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson

from busway.engine.invocation import INVOCATION_BUSES
from busway.model import Delivery, SendResult

DEFAULT_TIMEOUT_SECONDS = 30.0
# Delivery leases last 120 s: queue wait + timeout + grace must end well before that,
# or another claim of the same delivery could run while this one still waits.
MAX_TIMEOUT_SECONDS = 90.0
QUEUE_WAIT_SECONDS = 20.0
LEASE_GRACE_SECONDS = 1.0
# A function no worker has asked for in this long has no worker: fail fast and back off
# rather than hold a dispatcher slot for QUEUE_WAIT_SECONDS.
ABSENT_SECONDS = 30.0
# Every queued call holds one of the dispatcher's send slots, which all targets share:
# a slow function may queue only this many calls per unit of concurrency (plus a few),
# the rest are throttled and retried with backoff, so webhooks and queues keep flowing.
QUEUED_PER_CONCURRENCY = 2
QUEUED_EXTRA = 16
SWEEP_SECONDS = 1.0
MAX_CONCURRENCY = 1_000
FUNCTION_ERROR = "FUNCTION_ERROR"
REPORTED_CODES = frozenset({FUNCTION_ERROR, "TIMEOUT"})


def function_name(arn: str) -> str:
    """The function a ``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]``
    target names (region, account and qualifier are ignored)."""
    return arn.split(":", 5)[5].split(":")[1]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What a worker declares about a function it serves: ``concurrency`` caps the
    invocations leased at once on this node, ``timeout`` is how long one may run."""

    name: str
    concurrency: int = 10
    timeout: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(slots=True)
class Invocation:
    """One attempt of one delivery to one function."""

    id: str
    function: str
    arn: str
    payload: str
    event_id: str
    attempt: int
    future: asyncio.Future[SendResult]
    queued_at: float = 0.0
    timer: asyncio.TimerHandle | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    queued: bool = True


@dataclass(frozen=True, slots=True)
class Report:
    """A worker's answer for one invocation: ``error_type`` None means it succeeded."""

    id: str
    error_type: str | None = None
    error_message: str = ""
    error_code: str = FUNCTION_ERROR


@dataclass(slots=True)
class _Function:
    spec: FunctionSpec
    queued: deque[Invocation] = field(default_factory=deque)
    leased: int = 0
    seen: float = 0.0

    @property
    def queue_limit(self) -> int:
        return QUEUED_PER_CONCURRENCY * self.spec.concurrency + QUEUED_EXTRA


class FunctionBroker:
    """Pending invocations per function, leased to workers; see the module docstring."""

    def __init__(
        self,
        *,
        queue_wait: float = QUEUE_WAIT_SECONDS,
        grace: float = LEASE_GRACE_SECONDS,
        absent: float = ABSENT_SECONDS,
    ) -> None:
        self._queue_wait = queue_wait
        self._grace = grace
        self._absent = absent
        self._functions: dict[str, _Function] = {}
        self._leased: dict[str, Invocation] = {}
        self._waiters: list[tuple[frozenset[str], asyncio.Future[None]]] = []
        self._closed = False
        self._sweep: asyncio.TimerHandle | None = None
        self._count = 0
        prefix = uuid.uuid4().hex
        self._id_prefix = f"{prefix[:8]}-{prefix[8:12]}-4{prefix[13:16]}-8{prefix[17:20]}-"

    # The dispatcher's side ------------------------------------------------------------

    async def send(self, delivery: Delivery, *, arn: str, payload: str) -> SendResult:
        """Queue one invocation of the function ``arn`` names and wait for its outcome."""
        name = function_name(arn)
        function = self._functions.get(name)
        if self._closed:
            return SendResult.retry("THROTTLING", "Busway is stopping.")
        if function is None or time.monotonic() - function.seen > self._absent:
            return SendResult.retry("NO_RESOURCE", f"No worker serves function {name}.")
        if len(function.queued) >= function.queue_limit:
            return SendResult.retry("THROTTLING", f"Function {name} has too many calls waiting.")
        loop = asyncio.get_running_loop()
        invocation = Invocation(
            id=self._new_id(),
            function=name,
            arn=arn,
            payload=_json_payload(payload) if delivery.bus in INVOCATION_BUSES else payload,
            event_id=delivery.event_id,
            attempt=delivery.attempt,
            future=loop.create_future(),
            queued_at=loop.time(),
        )
        function.queued.append(invocation)
        if self._sweep is None:
            self._sweep = loop.call_later(SWEEP_SECONDS, self._expire_queued)
        self._wake(name)
        try:
            return await invocation.future
        finally:
            self._forget(invocation)

    # The workers' side ----------------------------------------------------------------

    async def lease(
        self, specs: Sequence[FunctionSpec], *, limit: int, wait: float
    ) -> list[Invocation]:
        """Up to ``limit`` invocations of the functions in ``specs``, waiting up to
        ``wait`` seconds for the first. Declaring a function marks it served."""
        names = frozenset(self._declare(specs))
        deadline = time.monotonic() + wait
        while True:
            taken = self._take(names, limit)
            remaining = deadline - time.monotonic()
            if taken or limit <= 0 or remaining <= 0 or self._closed:
                return taken
            waiter = asyncio.get_running_loop().create_future()
            entry = (names, waiter)
            self._waiters.append(entry)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.remove(entry)

    def complete(self, reports: Sequence[Report], *, functions: Iterable[str] = ()) -> list[str]:
        """Resolve leased invocations; return the ids that were not (unknown or already
        timed out). ``functions`` are the reporting worker's, which it keeps serving."""
        self._touch(functions)
        unknown: list[str] = []
        for report in reports:
            invocation = self._leased.pop(report.id, None)
            if invocation is None or invocation.future.done():
                unknown.append(report.id)
                continue
            self._release(invocation)
            invocation.future.set_result(_result(report, invocation))
        return unknown

    def close(self) -> None:
        """Resolve everything pending as retryable and answer every poll: the server is
        stopping, so the deliveries are retried (here or on another node)."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
        for function in self._functions.values():
            while function.queued:
                invocation = function.queued.popleft()
                invocation.queued = False
                _resolve(invocation, "THROTTLING", "Busway is stopping.")
        for invocation in list(self._leased.values()):
            _resolve(invocation, "THROTTLING", "Busway is stopping.")
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """Per function, (queued, leased): for tests, tools and metrics."""
        return {name: (len(f.queued), f.leased) for name, f in self._functions.items()}

    # Inside ---------------------------------------------------------------------------

    def _declare(self, specs: Sequence[FunctionSpec]) -> list[str]:
        now = time.monotonic()
        for spec in specs:
            function = self._functions.get(spec.name)
            if function is None:
                self._functions[spec.name] = _Function(spec, seen=now)
            else:
                function.spec, function.seen = spec, now
        return [spec.name for spec in specs]

    def _touch(self, names: Iterable[str]) -> None:
        now = time.monotonic()
        for name in names:
            function = self._functions.get(name)
            if function is not None:
                function.seen = now

    def _take(self, names: frozenset[str], limit: int) -> list[Invocation]:
        taken: list[Invocation] = []
        loop = asyncio.get_running_loop()
        for name in names:
            function = self._functions[name]
            room = min(limit - len(taken), function.spec.concurrency - function.leased)
            while room > 0 and function.queued:
                invocation = function.queued.popleft()
                self._lease_one(invocation, function, loop)
                taken.append(invocation)
                room -= 1
        return taken

    def _lease_one(
        self, invocation: Invocation, function: _Function, loop: asyncio.AbstractEventLoop
    ) -> None:
        if invocation.timer is not None:
            invocation.timer.cancel()
        invocation.queued = False
        timeout = function.spec.timeout
        invocation.timeout = timeout
        invocation.timer = loop.call_later(timeout + self._grace, self._expire_lease, invocation)
        function.leased += 1
        self._leased[invocation.id] = invocation

    def _release(self, invocation: Invocation) -> None:
        if invocation.timer is not None:
            invocation.timer.cancel()
            invocation.timer = None
        function = self._functions.get(invocation.function)
        if function is not None:
            function.leased -= 1
            if function.queued:
                self._wake(invocation.function)

    def _expire_queued(self) -> None:
        """Throttle the calls no worker took in time. Queues are in arrival order, so
        only their heads need looking at; one sweep a second keeps timers off the hot path."""
        loop = asyncio.get_running_loop()
        oldest = loop.time() - self._queue_wait
        for function in self._functions.values():
            queued = function.queued
            while queued and queued[0].queued_at <= oldest:
                invocation = queued.popleft()
                invocation.queued = False
                message = (
                    f"No worker took the call to function {invocation.function} within "
                    f"{self._queue_wait:g} s (concurrency limit {function.spec.concurrency})."
                )
                _resolve(invocation, "THROTTLING", message)
        waiting = any(f.queued for f in self._functions.values())
        self._sweep = loop.call_later(SWEEP_SECONDS, self._expire_queued) if waiting else None

    def _new_id(self) -> str:
        # UUID-shaped like Lambda's request ids; a random prefix per broker and a counter
        # is unique and much cheaper than uuid4's system call per call.
        self._count += 1
        return f"{self._id_prefix}{self._count:012x}"

    def _expire_lease(self, invocation: Invocation) -> None:
        if self._leased.pop(invocation.id, None) is None:
            return
        invocation.timer = None
        self._release(invocation)
        _resolve(invocation, "TIMEOUT", f"Task timed out after {invocation.timeout:.2f} seconds")

    def _forget(self, invocation: Invocation) -> None:
        """Drop every trace of a finished (or cancelled) send."""
        if invocation.timer is not None:
            invocation.timer.cancel()
        if self._leased.pop(invocation.id, None) is not None:
            self._release(invocation)
            return
        function = self._functions.get(invocation.function)
        if invocation.queued and function is not None:
            invocation.queued = False
            function.queued.remove(invocation)

    def _wake(self, name: str) -> None:
        for names, waiter in self._waiters:
            if name in names and not waiter.done():
                waiter.set_result(None)


def _json_payload(payload: str) -> str:
    """A schedule's Input may be plain text; a handler's event is JSON, so such text
    arrives as a JSON string (rule targets' payloads are JSON already)."""
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError:
        return orjson.dumps(payload).decode()
    return payload


def _result(report: Report, invocation: Invocation) -> SendResult:
    if report.error_type is None:
        return SendResult.delivered()
    code = report.error_code if report.error_code in REPORTED_CODES else FUNCTION_ERROR
    message = f"{report.error_type}: {report.error_message}" if report.error_message else ""
    return SendResult.retry(code, message or report.error_type)


def _resolve(invocation: Invocation, code: str, message: str) -> None:
    if not invocation.future.done():
        invocation.future.set_result(SendResult.retry(code, message))
