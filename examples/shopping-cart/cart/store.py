"""The example's own database (SQLite): what each consumer has done, by event id.

Busway delivers at least once: a function can run again for an event it already
handled (a retry after a timeout, a worker that died after its work but before its
answer), and a queue message can be received twice. So every consumer records the id
of each event it has processed, and does nothing for an id it has seen:

- billing and the warehouse write their effect (a charge, a reservation) and the
  processed id in ONE transaction, so an event is billed once however often it comes;
- the mail senders cannot put an SMTP send in a transaction: they record the id right
  after the send, so only a crash between the two sends a mail twice, and each mail
  carries the event id as its Message-ID, which mail clients use to drop duplicates.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS attempts (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS charges (
    event_id TEXT PRIMARY KEY,
    cart_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reservations (
    event_id TEXT PRIMARY KEY,
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL
);
"""


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection in one transaction, committed on success; several processes share
    the file, so writers wait for each other instead of failing."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def seen(conn: sqlite3.Connection, consumer: str, event_id: str) -> bool:
    """Whether ``consumer`` already processed ``event_id``."""
    row = conn.execute(
        "SELECT 1 FROM processed WHERE consumer = ? AND event_id = ?", (consumer, event_id)
    ).fetchone()
    return row is not None


def mark_processed(conn: sqlite3.Connection, consumer: str, event_id: str) -> None:
    conn.execute("INSERT OR IGNORE INTO processed VALUES (?, ?)", (consumer, event_id))


def count_attempt(path: Path, consumer: str, event_id: str) -> int:
    """Record one more attempt of ``consumer`` at ``event_id`` (committed at once, so a
    failing attempt counts) and answer how many there have been."""
    with connect(path) as conn:
        conn.execute(
            "INSERT INTO attempts VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1",
            (consumer, event_id),
        )
        row = conn.execute(
            "SELECT count FROM attempts WHERE consumer = ? AND event_id = ?", (consumer, event_id)
        ).fetchone()
    return int(row[0])
