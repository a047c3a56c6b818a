"""What the shopping cart's end-to-end test needs besides the example itself: a real SMTP
server that keeps its mail, a live-tail WebSocket client, the example's own database,
and the example started through its own launcher (the code ``run`` runs)."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.mail import Mailbox
from tests.servers import free_port
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shopping-cart"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

from cart.launcher import Example, Options, start  # noqa: E402 - needs the path above


def wait_until(check: Callable[[], Any], *, timeout: float = 20.0, what: str = "it") -> Any:
    """Poll ``check`` until it answers something truthy; answer that."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextmanager
def running_example(folder: Path, mailbox: Mailbox, settings: dict[str, str]) -> Iterator[Example]:
    """The example as ``run`` starts it, on free ports, its logs in ``folder``."""
    options = Options(
        port=free_port(),
        data=folder / "data",
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        output=folder / "logs",
        extra_env=settings,
    )
    example = start(options)
    try:
        yield example
    finally:
        example.stop()


class Tail:
    """A live tail of a bus over Busway's WebSocket (``/ws?bus=B&pattern=P``), read on a
    thread into ``events``."""

    def __init__(self, endpoint: str, pattern: dict[str, Any], bus: str = "default") -> None:
        query = urlencode({"bus": bus, "pattern": json.dumps(pattern)})
        self._stack = ExitStack()
        url = endpoint.replace("http://", "ws://") + "/ws?" + query
        self._connection = self._stack.enter_context(connect(url, open_timeout=10))
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with suppress(ConnectionClosed):
            for message in self._connection:
                self.events.append(json.loads(message))

    def of_type(self, detail_type: str) -> list[dict[str, Any]]:
        return [e for e in list(self.events) if e["detail-type"] == detail_type]

    def close(self) -> None:
        self._stack.close()
        self._reader.join(timeout=5)


def query(example: Example, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows from the example's own database."""
    conn = sqlite3.connect(example.options.data / "cart.db", timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def log_of(example: Example, name: str) -> str:
    """What one of the example's processes printed (for failure messages)."""
    assert example.options.output is not None
    return (example.options.output / f"{name}.log").read_text(errors="replace")
