"""Real servers on loopback for the tests: Busway itself, and HTTP sinks that targets
deliver to."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from tests.storage.backends import database_url_for

from busway.clock import Clock
from busway.config import Settings
from busway.runtime import Runtime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BuswayServer:
    """``busway serve``'s app under uvicorn in a background thread."""

    runtime: Runtime
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.runtime.base_url

    def client(self, service: str, **options: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=options.pop("access_key", "test"),
            aws_secret_access_key=options.pop("secret_key", "test"),
            **options,
        )

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_busway(folder: Path, *, clock: Clock | None = None, **settings: Any) -> BuswayServer:
    port = free_port()
    settings.setdefault("database_url", database_url_for(folder))
    config = Settings(port=port, **settings)
    runtime = Runtime(config) if clock is None else Runtime(config, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(runtime.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("busway did not start")
        time.sleep(0.02)
    return BuswayServer(runtime, server, thread)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Sink:
    """An HTTP server that records every request and answers with ``respond``."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    respond: Callable[[Received], tuple[int, dict[str, str], bytes]] = lambda _: (200, {}, b"{}")
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, waiting up to ``timeout`` seconds for them."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_sink() -> Sink:
    sink: Sink

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the sender died mid-request: nothing was delivered
            received = Received(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            status, headers, answer = sink.respond(received)
            with sink.arrived:
                sink.requests.append(received)
                sink.arrived.notify_all()
            with contextlib.suppress(ConnectionError):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _record  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink = Sink(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return sink
