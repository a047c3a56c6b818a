"""HTTP sending in a child process, so the server's own process keeps its core for ingest.

``RemoteHttpSender`` has ``HttpSender``'s interface. Each call becomes a message to a
child process (``python -m busway.engine.senders.offload``) that runs a real
``HttpSender`` and answers with the ``SendResult``; token caches, rate-limit buckets and
kept-alive connections live there. Messages travel over a socket pair in length-prefixed
frames, many to a frame: whatever one turn of the event loop asked for goes out in one
write, and so do the answers.

If the child dies, the calls it held come back as retryable ``CONNECTION_FAILURE``
results, which the dispatcher retries by the target's policy (the request may have gone
out: delivery is at least once), and the next call starts a new child. When no child can
be started, calls are sent from this process instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from busway.engine.senders.classify import CONNECTION_FAILURE
from busway.engine.senders.egress import EgressPolicy
from busway.engine.senders.http import HttpSender
from busway.model import Outcome, SendResult

__all__ = ["RemoteHttpSender", "SenderOptions"]

_log = logging.getLogger("busway.senders.offload")
_HEADER: Final = struct.Struct("!I")
_METHODS: Final = frozenset({"send_webhook", "send_to_destination"})
_LOST: Final = "The HTTP sender process stopped before answering."
STOP_SECONDS: Final = 5.0
# How long the child holds an answer for others to share its write. An answer only
# frees the dispatcher's slot and records the outcome: the request went out already.
ANSWER_DELAY_SECONDS: Final = 0.001


@dataclass(frozen=True)
class SenderOptions:
    """What an ``HttpSender`` is built from, on either side of the socket pair."""

    egress_allow: tuple[str, ...] = ()
    egress_deny: tuple[str, ...] = ()
    timeout: float = 5.0
    max_response_bytes: int = 1 << 20
    max_connections: int = 128

    def build(self) -> HttpSender:
        return HttpSender(
            egress=EgressPolicy(allow=self.egress_allow, deny=self.egress_deny),
            timeout=self.timeout,
            max_response_bytes=self.max_response_bytes,
            max_connections=self.max_connections,
        )


def encode_frame(messages: list[Any]) -> bytes:
    body = orjson.dumps(messages)
    return _HEADER.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> list[Any]:
    """The next frame's messages; ``IncompleteReadError`` once the peer is gone."""
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    messages: list[Any] = orjson.loads(await reader.readexactly(size))
    return messages


def encode_arguments(kwargs: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Keyword arguments as JSON: bytes (latin-1, so any byte survives) and datetimes
    (unix seconds) are tagged; everything else is JSON already."""
    out: dict[str, list[Any]] = {}
    for key, value in kwargs.items():
        if isinstance(value, bytes):
            out[key] = ["b", value.decode("latin-1")]
        elif isinstance(value, datetime):
            out[key] = ["t", value.timestamp()]
        else:
            out[key] = ["v", value]
    return out


def decode_arguments(encoded: Mapping[str, list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (tag, value) in encoded.items():
        if tag == "b":
            out[key] = value.encode("latin-1")
        elif tag == "t":
            out[key] = datetime.fromtimestamp(value, UTC)
        else:
            out[key] = value
    return out


def encode_result(call_id: int, result: SendResult) -> list[Any]:
    return [
        call_id,
        result.outcome.value,
        result.status,
        result.error_code,
        result.error_message,
        result.retry_after,
    ]


def decode_result(message: list[Any]) -> SendResult:
    _, outcome, status, code, text, retry_after = message
    return SendResult(Outcome(outcome), status, code, text, retry_after)


class _Batcher:
    """Messages written to ``writer`` as one frame: at the end of the loop turn, or
    ``delay`` seconds after the first (a write is a system call; answers trickle in one
    per turn, and a millisecond's wait lets a whole batch share one)."""

    def __init__(self, writer: asyncio.StreamWriter, *, delay: float = 0.0) -> None:
        self.writer = writer
        self._delay = delay
        self._pending: list[Any] = []

    def add(self, message: list[Any]) -> None:
        self._pending.append(message)
        if len(self._pending) == 1:
            loop = asyncio.get_running_loop()
            if self._delay:
                loop.call_later(self._delay, self._flush)
            else:
                loop.call_soon(self._flush)

    def _flush(self) -> None:
        messages, self._pending = self._pending, []
        if messages and not self.writer.is_closing():
            self.writer.write(encode_frame(messages))


@dataclass
class _Child:
    process: asyncio.subprocess.Process
    batcher: _Batcher
    calls: dict[int, asyncio.Future[SendResult]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None


class RemoteHttpSender:
    """``HttpSender``'s interface, served by a child process."""

    def __init__(self, options: SenderOptions, *, python: str = sys.executable) -> None:
        self._options = options
        self._python = python
        self._child: _Child | None = None
        self._starting = asyncio.Lock()
        self._next_id = 0
        self._local: HttpSender | None = None
        self._closed = False

    async def start(self) -> None:
        """Start the child now rather than on the first call."""
        await self._ensure_child()

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        return None if self._child is None else self._child.process.pid

    async def send_to_destination(
        self,
        *,
        destination: Mapping[str, Any],
        connection: Mapping[str, Any],
        http_parameters: Mapping[str, Any] | None,
        event: Mapping[str, Any],
        payload: bytes,
        now: datetime,
    ) -> SendResult:
        """``HttpSender.send_to_destination``, in the child."""
        return await self._call(
            "send_to_destination",
            {
                "destination": destination,
                "connection": connection,
                "http_parameters": http_parameters,
                "event": event,
                "payload": payload,
                "now": now,
            },
        )

    async def send_webhook(
        self,
        *,
        url: str,
        payload: bytes,
        message_id: str,
        secret: str | None,
        now: datetime,
        http_parameters: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] | None = None,
    ) -> SendResult:
        """``HttpSender.send_webhook``, in the child."""
        arguments: dict[str, Any] = {
            "url": url,
            "payload": payload,
            "message_id": message_id,
            "secret": secret,
            "now": now,
        }
        if http_parameters:
            arguments.update(http_parameters=http_parameters, event=event)
        return await self._call("send_webhook", arguments)

    async def aclose(self) -> None:
        """Stop the child: it finishes nothing more once its input closes."""
        self._closed = True
        child, self._child = self._child, None
        if child is not None:
            await _stop(child)
        if self._local is not None:
            await self._local.aclose()

    async def _call(self, method: str, kwargs: Mapping[str, Any]) -> SendResult:
        child = self._child or await self._ensure_child()
        if child is None:
            return await getattr(self._fallback(), method)(**kwargs)  # type: ignore[no-any-return]
        self._next_id += 1
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        child.calls[self._next_id] = future
        child.batcher.add([self._next_id, method, encode_arguments(kwargs)])
        return await future

    async def _ensure_child(self) -> _Child | None:
        async with self._starting:
            if self._child is None and not self._closed:
                self._child = await self._spawn()
            return self._child

    async def _spawn(self) -> _Child | None:
        ours, theirs = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                self._python,
                "-m",
                "busway.engine.senders.offload",
                str(theirs.fileno()),
                orjson.dumps(self._options.__dict__).decode(),
                pass_fds=(theirs.fileno(),),
            )
        except OSError as error:
            _log.warning("cannot start the HTTP sender process (%s); sending in process", error)
            ours.close()
            return None
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours)
        child = _Child(process, _Batcher(writer))
        child.reader = asyncio.create_task(self._read(child, reader))
        return child

    async def _read(self, child: _Child, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                for message in await read_frame(reader):
                    future = child.calls.pop(message[0], None)
                    if future is not None and not future.done():
                        future.set_result(decode_result(message))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._lost(child)

    def _lost(self, child: _Child) -> None:
        if self._child is child:
            self._child = None
            if not self._closed:
                _log.warning("the HTTP sender process stopped; a new one starts on demand")
        lost = SendResult.retry(CONNECTION_FAILURE, _LOST)
        for future in child.calls.values():
            if not future.done():
                future.set_result(lost)
        child.calls.clear()
        child.batcher.writer.close()

    def _fallback(self) -> HttpSender:
        if self._local is None:
            self._local = self._options.build()
        return self._local


async def _stop(child: _Child) -> None:
    child.batcher.writer.close()
    try:
        await asyncio.wait_for(child.process.wait(), STOP_SECONDS)
    except TimeoutError:
        child.process.kill()
        await child.process.wait()
    if child.reader is not None:
        child.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await child.reader


async def serve_parent(fd: int, options: SenderOptions) -> None:
    """The child's life: answer calls from the socket ``fd`` until the parent closes it."""
    sender = options.build()
    reader, writer = await asyncio.open_connection(sock=socket.socket(fileno=fd))
    answers = _Batcher(writer, delay=ANSWER_DELAY_SECONDS)
    running: set[asyncio.Task[None]] = set()

    async def answer(call_id: int, method: str, arguments: dict[str, list[Any]]) -> None:
        if method not in _METHODS:
            result = SendResult.failed(CONNECTION_FAILURE, f"unknown sender call {method}")
        else:
            result = await getattr(sender, method)(**decode_arguments(arguments))
        answers.add(encode_result(call_id, result))

    try:
        while True:
            for call_id, method, arguments in await read_frame(reader):
                task = asyncio.create_task(answer(call_id, method, arguments))
                running.add(task)
                task.add_done_callback(running.discard)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the parent closed its end: stop
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await sender.aclose()
        writer.close()


def main(argv: list[str]) -> None:
    fd, options = int(argv[0]), SenderOptions(**_options_of(orjson.loads(argv[1])))
    logging.basicConfig(level=logging.WARNING)
    # Ctrl-C reaches the whole process group; the child stops when the parent closes
    # the socket, after the parent has finished what it was doing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import uvloop

        uvloop.run(serve_parent(fd, options))
    except ImportError:
        asyncio.run(serve_parent(fd, options))


def _options_of(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}


if __name__ == "__main__":
    main(sys.argv[1:])
