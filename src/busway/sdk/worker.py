# botocore ships no type information.
# mypy: disable-error-code="import-untyped"
"""The worker: runs functions for a Busway server in this process.

One long poll at a time leases batches of invocations (``POST /functions/invocations``),
each call runs as a task (sync handlers on a thread pool), and outcomes go back in
batches (``POST /functions/results``) while the next poll waits. A worker that dies
leaves leases that time out on the server, which retries them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from busway.config import endpoint_url as default_endpoint
from busway.errors import RemoteError
from busway.sdk.calls import CallRunner, FunctionTimeoutError, Running
from busway.sdk.context import Function, LambdaContext

_log = logging.getLogger("busway.worker")
MAX_BATCH = 256
MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Call:
    """One finished call of a function: its event, and the exception it raised (if any)."""

    function: str
    event: Any
    request_id: str
    attempt: int
    exception: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.exception is None

    @property
    def error(self) -> str | None:
        """``"<ExcType>: <message>"`` as the attempt log and the DLQ show it, or None."""
        if self.exception is None:
            return None
        return f"{type(self.exception).__name__}: {self.exception}"


class Worker:
    """Serves ``functions`` for the Busway at ``endpoint_url``, or for each of several
    (the nodes sharing one PostgreSQL: each node hands its calls only to the workers
    polling it). Credentials (default ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``)
    sign requests for a server that runs with ``--auth``."""

    def __init__(
        self,
        functions: Sequence[Function],
        endpoint_url: str | Sequence[str] | None = None,
        *,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str = "us-east-1",
        poll_seconds: float = 5.0,
        on_call: Callable[[Call], None] | None = None,
    ) -> None:
        if not functions:
            raise ValueError("a worker needs at least one function")
        if endpoint_url is None or isinstance(endpoint_url, str):
            urls = [default_endpoint(endpoint_url)]
        else:
            urls = list(endpoint_url)
        self.endpoints = [url.rstrip("/") for url in urls]
        self.endpoint_url = self.endpoints[0]
        self.functions = {f.name: f for f in functions}
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._signer = _signer(access_key_id, secret_access_key, region)
        self._poll = poll_seconds
        self._on_call = on_call
        self._running: dict[str, int] = dict.fromkeys(self.functions, 0)
        self._outbox: dict[str, list[dict[str, Any]]] = {url: [] for url in self.endpoints}
        self._origin: dict[str, str] = {}
        self._connected: set[str] = set()
        self._has_results = asyncio.Event()
        self._ready = asyncio.Event()
        self._freed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        threads = sum(f.concurrency for f in functions if not f.is_async)
        self._runner = CallRunner(self._done, threads=threads)

    def stop(self) -> None:
        """Ask ``run`` to finish: no new leases; calls in progress end and are reported.
        Safe to call from any thread."""
        loop = self._loop
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is None or loop is here or loop.is_closed():
            self._stopping.set()
        else:
            loop.call_soon_threadsafe(self._stopping.set)

    async def run(self) -> None:
        """Poll, call, report, until ``stop``. Raises ``RemoteError`` when the server
        refuses the worker (bad credentials, invalid function settings)."""
        self._loop = asyncio.get_running_loop()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            reporter = asyncio.create_task(self._report_loop(session))
            polls = [asyncio.create_task(self._poll_loop(session, url)) for url in self.endpoints]
            try:
                await asyncio.gather(*polls)
            finally:
                self._stopping.set()
                await asyncio.gather(*polls, return_exceptions=True)
                await self._finish_calls()
                self._ready.set()
                reporter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reporter
                await self._flush(session)
                self._runner.close()

    async def _finish_calls(self) -> None:
        """Let the calls in progress end, up to the longest timeout (a hung sync call
        is left behind: the server times it out and retries it)."""
        longest = max(f.timeout for f in self.functions.values())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._runner.idle(), longest + 1)

    async def _poll_loop(self, session: aiohttp.ClientSession, endpoint: str) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            free = self._free()
            if free == 0 and await self._wait_for_room():
                continue
            # Still full after a poll's wait: poll for nothing, so that the server
            # knows this worker is alive and keeps queueing calls for it.
            free = self._free()
            try:
                leased = await self._until_stopped(self._lease(session, endpoint, free))
            except (aiohttp.ClientError, OSError) as error:
                _log.warning("cannot reach %s (%s); retrying", endpoint, error)
                await self._until_stopped(asyncio.sleep(backoff))
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 0.1
            for invocation in leased or []:
                self._start(invocation, endpoint)

    async def _until_stopped(self, work: Any) -> Any:
        """``work``'s result, or None when ``stop`` comes first (``work`` is cancelled)."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None

    async def _wait_for_room(self) -> bool:
        """Whether a call ended (or stop came) within a poll's wait."""
        self._freed.clear()
        try:
            await asyncio.wait_for(self._until_stopped(self._freed.wait()), self._poll)
        except TimeoutError:
            return False
        return True

    def _free(self) -> int:
        room = sum(f.concurrency - self._running[n] for n, f in self.functions.items())
        return min(room, MAX_BATCH)

    async def _lease(
        self, session: aiohttp.ClientSession, endpoint: str, free: int
    ) -> list[dict[str, Any]]:
        body = {
            "worker": self.name,
            "max": free,
            # The first poll answers at once: it tells the server what this worker serves.
            "wait": self._poll if endpoint in self._connected else 0,
            "functions": [
                {"name": f.name, "concurrency": f.concurrency, "timeout": f.timeout}
                for f in self.functions.values()
            ],
        }
        answer = await self._post(session, endpoint + "/functions/invocations", body)
        if endpoint not in self._connected:
            _log.info("connected to %s", endpoint)
            self._connected.add(endpoint)
            if len(self._connected) == len(self.endpoints):
                self._ready.set()
        return list(answer["invocations"])

    async def _post(
        self, session: aiohttp.ClientSession, url: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        data = orjson.dumps(body)
        headers = self._signer(url, data)
        async with session.post(url, data=data, headers=headers) as response:
            raw = await response.read()
            if response.status >= 500:
                raise aiohttp.ClientError(f"the server answered {response.status}")
            if response.status >= 400:
                found = _json(raw)
                raise RemoteError(
                    str(found.get("code", response.status)), str(found.get("message", raw[:200]))
                )
            return _json(raw)

    def _start(self, invocation: dict[str, Any], endpoint: str) -> None:
        function = self.functions.get(invocation["function"])
        if function is None:
            failure = _failure(invocation["id"], LookupError("unknown function"))
            self._outbox[endpoint].append(failure)
            self._has_results.set()
            return
        self._origin[invocation["id"]] = endpoint
        self._running[function.name] += 1
        context = LambdaContext(
            function_name=function.name,
            invoked_function_arn=invocation["arn"],
            aws_request_id=invocation["id"],
            timeout_ms=invocation["timeout_ms"],
            attempt=invocation["attempt"],
            event_id=invocation["event_id"],
        )
        self._runner.start(Running(function, invocation["event"], context))

    def _done(self, call: Running) -> None:
        self._running[call.function.name] -= 1
        self._freed.set()
        request_id, error = call.context.aws_request_id, call.error
        outbox = self._outbox[self._origin.pop(request_id)]
        outbox.append({"id": request_id} if error is None else _failure(request_id, error))
        self._has_results.set()
        if self._on_call is not None:
            attempt = call.context.attempt
            self._on_call(Call(call.function.name, call.event, request_id, attempt, error))

    # Reporting ------------------------------------------------------------------------

    async def _report_loop(self, session: aiohttp.ClientSession) -> None:
        while True:
            await self._has_results.wait()
            self._has_results.clear()
            await self._flush(session)

    async def _flush(self, session: aiohttp.ClientSession) -> None:
        await asyncio.gather(*(self._flush_to(session, url) for url in self.endpoints))

    async def _flush_to(self, session: aiohttp.ClientSession, endpoint: str) -> None:
        results, self._outbox[endpoint] = self._outbox[endpoint], []
        if not results:
            return
        body = {"worker": self.name, "functions": list(self.functions), "results": results}
        for delay in (0.1, 0.5, 2.0):
            try:
                await self._post(session, endpoint + "/functions/results", body)
                return
            except (aiohttp.ClientError, OSError) as error:
                _log.warning("cannot report %d results (%s)", len(results), error)
                await asyncio.sleep(delay)
        _log.error("dropped %d results: the server will time them out and retry", len(results))

    async def wait_ready(self) -> None:
        """Return once every server has answered a first poll."""
        await self._ready.wait()


def _failure(request_id: str, error: BaseException) -> dict[str, Any]:
    found: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, FunctionTimeoutError):
        found = {"type": "TimeoutError", "message": str(error), "code": "TIMEOUT"}
    return {"id": request_id, "error": found}


def _json(raw: bytes) -> dict[str, Any]:
    try:
        found = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


Signer = Callable[[str, bytes], dict[str, str]]


def _signer(access_key_id: str | None, secret_access_key: str | None, region: str) -> Signer:
    """Headers for a request: SigV4 when credentials are known (a server without
    ``--auth`` ignores them)."""
    key = access_key_id or os.environ.get("AWS_ACCESS_KEY_ID")
    secret = secret_access_key or os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return lambda url, data: {"content-type": "application/json"}
    signer = SigV4Auth(Credentials(key, secret), "busway", region)

    def sign(url: str, data: bytes) -> dict[str, str]:
        request = AWSRequest("POST", url, data=data, headers={"content-type": "application/json"})
        signer.add_auth(request)
        return dict(request.headers.items())

    return sign
