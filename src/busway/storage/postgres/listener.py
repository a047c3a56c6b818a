"""Wake-ups across nodes: NOTIFY in the writing transaction, LISTEN on one connection.

A notification says only that something changed: messages arrived in a queue, the
catalog or the schedules changed. It is a hint, never the guarantee: every consumer
also polls on a timer, so a notification missed while the listening connection was down,
or never sent (``BUSWAY_POSTGRES_NOTIFY=false``, for poolers in transaction mode, where
LISTEN cannot work), only delays what it would have hastened. When the connection comes
back, every topic is woken once for what may have been missed meanwhile.

Writers add hints to their transaction (``Database.hinting``), at most one per topic and
name; they go out in one NOTIFY statement once it has committed, so a listener never
hears of a change it cannot yet read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from busway.storage.postgres.database import CHANNEL, CONNECT_TIMEOUT_SECONDS, storage_error

_log = logging.getLogger("busway.postgres")
Callback = Callable[[str], None]
# How long the listener waits before reconnecting: doubled per failure up to the most.
FIRST_RETRY_SECONDS = 0.25
MOST_RETRY_SECONDS = 5.0
# A connection that died without a word (no FIN) is found by a ping this often.
PING_SECONDS = 10.0


class Listener:
    """Listens on its own connection (not a pooled one: a pooled connection goes back
    to the pool, and a pooler may hand it to another client) and calls the callbacks
    of each topic with the name notified."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._callbacks: dict[str, list[Callback]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.listening = asyncio.Event()
        self._delay = FIRST_RETRY_SECONDS

    def on(self, topic: str, callback: Callback) -> None:
        """Call ``callback(name)`` when ``topic`` is notified, and ``callback("")``
        after each (re)connection."""
        self._callbacks.setdefault(topic, []).append(callback)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._listen()
            except Exception as exc:  # the listener must outlive any outage
                if self._delay == FIRST_RETRY_SECONDS:  # one line per outage, not per try
                    _log.warning("listening for changes failed (%s); polling meanwhile", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._delay)
                self._delay = min(self._delay * 2, MOST_RETRY_SECONDS)

    async def _listen(self) -> None:
        try:
            conn = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT_SECONDS)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise storage_error(exc) from exc
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _: lost.set())
        try:
            await conn.add_listener(CHANNEL, self._heard)
            self.listening.set()
            self._delay = FIRST_RETRY_SECONDS
            self._wake_all()
            await self._hold(conn, lost)
        finally:
            self.listening.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            conn.terminate()

    async def _hold(self, conn: Any, lost: asyncio.Event) -> None:
        """Return when stopping; raise when the connection is gone."""
        while not self._stopping.is_set():
            stop = asyncio.ensure_future(self._stopping.wait())
            gone = asyncio.ensure_future(lost.wait())
            done, pending = await asyncio.wait(
                {stop, gone}, timeout=PING_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()
            if gone in done or conn.is_closed():
                raise ConnectionError("the listening connection was lost")
            if not done:
                await conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)

    def _heard(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        topic, _, name = payload.partition("\t")
        self._call(topic, name)

    def _wake_all(self) -> None:
        for topic in list(self._callbacks):
            self._call(topic, "")

    def _call(self, topic: str, name: str) -> None:
        for callback in self._callbacks.get(topic, ()):
            try:
                callback(name)
            except Exception:
                _log.exception("a wake-up for %s failed", topic)
