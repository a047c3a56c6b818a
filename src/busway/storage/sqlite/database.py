"""SQLite connections: one writer thread that commits many callers' work together,
and a read connection per reading thread.

Every write is a function of a connection, run on the writer thread inside the
current batch's transaction. A batch runs its jobs one after the other; if one raises,
the batch is rolled back and run again with each job under its own savepoint, so one
caller's failure rolls back only its own work (jobs must therefore be safe to run twice:
they only touch the database). The writer resolves every caller's future after the
batch commits: an answer always means the data is on disk (group commit, DESIGN.md §3),
except for work submitted with ``durable=False`` (delivery outcomes, which at-least-once
lets a power cut undo): a batch of only such work commits without waiting for the disk,
and the next durable commit's sync covers it too.

The writer never checkpoints: SQLite's automatic checkpoint runs inside the COMMIT that
crosses its threshold, and its fsync of the database file can take hundreds of ms, which
every caller of that batch (and every batch queued behind it) would wait for. A thread
of its own copies the WAL into the database instead, with PASSIVE checkpoints that never
block the writer.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from busway.errors import StorageError
from busway.storage.sqlite.queries import load_migrations

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
Job = tuple[Work, "Future[Any]", bool]

_BATCH_LIMIT = 512
CHECKPOINT_SECONDS = 0.25
# Room for the multi-row INSERTs (one statement per row count) beside every named query.
_CACHED_STATEMENTS = 512
_log = logging.getLogger("busway.storage")


def connect(path: str, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection with the pragmas every Busway connection uses."""
    conn = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        timeout=30,
        cached_statements=_CACHED_STATEMENTS,
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Database:
    """The writer thread and the readers of one SQLite file."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous
        self._writer = connect(self.path, synchronous=synchronous)
        migrate(self._writer)
        self._writer.execute("PRAGMA wal_autocheckpoint=0")
        self._synced = True
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="busway-sqlite-writer", daemon=True)
        self._thread.start()
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="busway-sqlite-checkpoint", daemon=True
        )
        if self.path != ":memory:":
            self._checkpointer.start()

    def submit(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> Future[T]:
        """Queue ``work`` for the next batch; the future resolves after its commit
        (synced to disk unless ``durable`` is False)."""
        if self._closed:
            raise StorageError("the store is closed")
        done: Future[T] = Future()
        self._jobs.put((work, done, durable))
        return done

    async def write(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run ``work`` in a write transaction and wait until it is committed."""
        return await asyncio.wrap_future(self.submit(work, durable=durable))

    def write_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return self.submit(work).result()

    def read_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on this thread's read connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, synchronous=self._synchronous)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return work(conn)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read_sync, work)

    def close(self) -> None:
        """Finish queued work, then close every connection."""
        if self._closed:
            return
        self._closed = True
        self._stop_checkpoints.set()
        if self._checkpointer.is_alive():
            self._checkpointer.join()
        self._jobs.put(None)
        self._thread.join()
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def _sync_commits(self, synced: bool) -> None:
        # In WAL mode NORMAL skips the WAL's fsync at COMMIT; FULL's later fsync covers
        # every frame written before it. Switched only when it changes: it is a statement.
        if synced != self._synced and self._synchronous == "FULL":
            self._writer.execute(f"PRAGMA synchronous={'FULL' if synced else 'NORMAL'}")
            self._synced = synced

    def checkpoint(self) -> tuple[int, int, int]:
        """Copy committed WAL frames into the database without blocking the writer;
        (busy, frames in the WAL, frames copied), as ``PRAGMA wal_checkpoint``."""
        row = self.read_sync(lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
        return int(row[0]), int(row[1]), int(row[2])

    def _checkpoint_loop(self) -> None:
        while not self._stop_checkpoints.wait(CHECKPOINT_SECONDS):
            try:
                self.checkpoint()
            except sqlite3.Error:
                _log.exception("checkpoint failed; tried again later")

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _BATCH_LIMIT:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            self._commit(batch)

    def _commit(self, batch: list[Job]) -> None:
        conn = self._writer
        try:
            self._sync_commits(any(durable for _, _, durable in batch))
            conn.execute("BEGIN IMMEDIATE")
            outcomes = _run_all(conn, batch)
            if outcomes is None:
                # A job failed part-way: start again, each job under its own savepoint.
                _rollback(conn)
                conn.execute("BEGIN IMMEDIATE")
                outcomes = [_run_one(conn, work) for work, _, _ in batch]
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _log.exception("write batch failed")
            _rollback(conn)
            for _, done, _ in batch:
                done.set_exception(StorageError(f"the write failed: {exc}"))
            return
        for (_, done, _), (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)


def _run_all(conn: sqlite3.Connection, batch: list[Job]) -> list[Any] | None:
    """Every job's (True, value), or None as soon as one raises (its partial work is then
    still in the transaction). No savepoints: they cost two statements per job."""
    outcomes = []
    for work, _, _ in batch:
        try:
            outcomes.append((True, work(conn)))
        except Exception:
            return None
    return outcomes


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _run_one(conn: sqlite3.Connection, work: Work) -> tuple[bool, Any]:
    conn.execute("SAVEPOINT job")
    try:
        value = work(conn)
    except Exception as exc:
        conn.execute("ROLLBACK TO job")
        conn.execute("RELEASE job")
        return False, exc
    conn.execute("RELEASE job")
    return True, value


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the recorded version; return the version."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    current = row[0] or 0
    for version, script in load_migrations():
        if version > current:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\n"
                f"INSERT INTO schema_version (version) VALUES ({version});\nCOMMIT;"
            )
            current = version
    return int(current)
