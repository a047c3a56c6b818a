"""A lean HTTP/1.1 server for the end-to-end benchmark, run as its own process.

    python e2e_sink.py PORT sink        # records the id and arrival time of every event POSTed
    python e2e_sink.py PORT putevents   # answers every POST as PutEvents does (client ceiling)

Keep-alive, Content-Length bodies only. In ``sink`` mode ``GET /_stats`` answers the count and
the first and last arrival, ``GET /_dump`` every (event id, arrival) pair and ``POST /_reset``
forgets them. Arrival times are ``time.monotonic()``, which on Linux is one clock for every
process, so the load generator's send times can be subtracted from them.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import cast

import orjson

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
_ID = b'"id":"'


def _answer(body: bytes, content_type: bytes = b"application/json") -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
    return head % (content_type, len(body)) + body


PUT_EVENTS_ANSWER = _answer(
    orjson.dumps(
        {
            "FailedEntryCount": 0,
            "Entries": [{"EventId": f"00000000-0000-4000-8000-{i:012d}"} for i in range(10)],
        }
    ),
    b"application/x-amz-json-1.1",
)


class Recorder:
    """Event ids and arrival times, in arrival order."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ids: list[str] = []
        self.times: list[float] = []
        self.unkeyed = 0

    def record(self, body: bytes, now: float) -> None:
        event_id = event_id_of(body)
        if event_id is None:
            self.unkeyed += 1
            event_id = ""
        self.ids.append(event_id)
        self.times.append(now)

    def stats(self) -> dict[str, object]:
        first = self.times[0] if self.times else None
        last = self.times[-1] if self.times else None
        return {"count": len(self.ids), "unkeyed": self.unkeyed, "first": first, "last": last}


def event_id_of(body: bytes) -> str | None:
    """The event's top-level id; a search is enough when it comes before ``detail``."""
    at = body.find(_ID)
    detail = body.find(b'"detail"')
    if at >= 0 and (detail < 0 or at < detail):
        end = body.find(b'"', at + len(_ID))
        return body[at + len(_ID) : end].decode()
    try:
        value = orjson.loads(body).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, str) else None


class HttpServerProtocol(asyncio.Protocol):
    def __init__(self, recorder: Recorder, mode: str) -> None:
        self._recorder = recorder
        self._mode = mode
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._buffer[:end]
            length = _content_length(head)
            if len(self._buffer) < end + 4 + length:
                return
            body = self._buffer[end + 4 : end + 4 + length]
            self._buffer = self._buffer[end + 4 + length :]
            assert self._transport is not None
            self._transport.write(self._respond(head, body))

    def _respond(self, head: bytes, body: bytes) -> bytes:
        line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
        method, path = line.split(b" ")[:2]
        if self._mode == "putevents":
            return PUT_EVENTS_ANSWER
        if method == b"POST" and not path.startswith(b"/_"):
            self._recorder.record(body, time.monotonic())
            return OK
        return self._control(path)

    def _control(self, path: bytes) -> bytes:
        recorder = self._recorder
        if path == b"/_stats":
            return _answer(orjson.dumps(recorder.stats()))
        if path == b"/_dump":
            return _answer(orjson.dumps({"ids": recorder.ids, "times": recorder.times}))
        if path == b"/_reset":
            recorder.reset()
        return OK


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def serve(port: int, mode: str) -> None:
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpServerProtocol(recorder, mode), "127.0.0.1", port, backlog=1024
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    port, mode = int(sys.argv[1]), sys.argv[2]
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(port, mode))
    else:
        uvloop.run(serve(port, mode))


if __name__ == "__main__":
    main()
