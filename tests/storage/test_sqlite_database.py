"""The SQLite writer: one batch, one commit, and one job's failure kept to itself."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from busway.storage.base import NewEvent
from busway.storage.sqlite.database import Database
from busway.storage.sqlite.store import insert_events

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class BoomError(Exception):
    pass


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = Database(tmp_path / "busway.db")
    opened.write_sync(lambda c: c.execute("CREATE TABLE notes (text TEXT UNIQUE)"))
    yield opened
    opened.close()


def in_one_batch(db: Database, jobs: list[Callable[[sqlite3.Connection], Any]]) -> list[Any]:
    """Submit ``jobs`` while the writer is held, so that they share one batch."""
    held, release = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        held.set()
        release.wait(5)

    first = db.submit(hold)
    held.wait(5)
    futures: list[Future[Any]] = [db.submit(job) for job in jobs]
    release.set()
    first.result(5)
    return [f.exception(5) or f.result(5) for f in futures]


def note(text: str) -> Callable[[sqlite3.Connection], str]:
    def job(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO notes VALUES (?)", (text,))
        return text

    return job


def failing_after_a_write(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO notes VALUES ('half-done')")
    raise BoomError


def notes(db: Database) -> list[str]:
    rows = db.read_sync(lambda c: c.execute("SELECT text FROM notes ORDER BY text").fetchall())
    return [row[0] for row in rows]


def test_a_failing_job_loses_only_its_own_writes(db: Database) -> None:
    outcomes = in_one_batch(db, [note("a"), failing_after_a_write, note("b")])
    assert outcomes[0] == "a"
    assert isinstance(outcomes[1], BoomError)
    assert outcomes[2] == "b"
    assert notes(db) == ["a", "b"]


def test_a_failing_statement_loses_only_its_job(db: Database) -> None:
    outcomes = in_one_batch(db, [note("a"), note("a"), note("c")])
    assert outcomes[0] == "a"
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert notes(db) == ["a", "c"]


def test_a_batch_without_failures_commits_every_job(db: Database) -> None:
    assert in_one_batch(db, [note(str(i)) for i in range(50)]) == [str(i) for i in range(50)]
    assert len(notes(db)) == 50


def event(event_id: str, routes: int) -> NewEvent:
    pairs = [(f"rule-{i:03d}", "t") for i in range(routes)]
    return NewEvent(event_id, "default", NOW, NOW, b"{}", pairs)


def stored_deliveries(db: Database) -> list[tuple[int, str, str]]:
    sql = (
        "SELECT d.id, e.id, d.rule FROM deliveries d JOIN events e ON e.seq = d.event_seq "
        "ORDER BY d.id"
    )
    return db.read_sync(lambda c: c.execute(sql).fetchall())


def test_returned_deliveries_are_the_stored_rows_across_many_insert_statements(
    db: Database,
) -> None:
    events = [event(f"e{i}", routes) for i, routes in enumerate([0, 1, 150, 3])]
    first = db.write_sync(lambda c: insert_events(c, events, 100.0, "n"))
    second = db.write_sync(lambda c: insert_events(c, events[3:], 100.0, "n"))
    returned = [(d.id, d.event_id, d.rule) for d in first + second]
    assert len(returned) == 157
    assert returned == stored_deliveries(db)


def test_ids_stay_consistent_after_a_failed_batch(db: Database) -> None:
    def insert_then_fail(conn: sqlite3.Connection) -> None:
        insert_events(conn, [event("lost", 2)], 100.0, "n")
        raise BoomError

    def insert(name: str) -> Callable[[sqlite3.Connection], Any]:
        return lambda c: insert_events(c, [event(name, 2)], 100.0, "n")

    outcomes = in_one_batch(db, [insert("a"), insert_then_fail, insert("b")])
    assert isinstance(outcomes[1], BoomError)
    returned = [(d.id, d.event_id, d.rule) for d in outcomes[0] + outcomes[2]]
    assert returned == stored_deliveries(db)
    assert {row[1] for row in returned} == {"a", "b"}


def synchronous_setting(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA synchronous").fetchone()[0])


def test_work_that_need_not_be_durable_commits_without_a_sync(db: Database) -> None:
    lazy = db.submit(synchronous_setting, durable=False).result(5)
    durable = db.submit(synchronous_setting).result(5)
    assert (lazy, durable) == (1, 2)  # NORMAL, then FULL again
    db.submit(note("kept"), durable=False).result(5)
    assert notes(db) == ["kept"]


def test_a_batch_with_any_durable_job_is_synced(db: Database) -> None:
    held, release = threading.Event(), threading.Event()
    first = db.submit(lambda c: (held.set(), release.wait(5)))
    held.wait(5)
    lazy = db.submit(synchronous_setting, durable=False)
    db.submit(note("durable"))
    release.set()
    first.result(5)
    assert lazy.result(5) == 2


def test_the_writer_leaves_checkpoints_to_their_own_thread(db: Database) -> None:
    assert db.write_sync(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
    for n in range(20):
        db.write_sync(note(f"n{n}"))
    busy, frames, copied = db.checkpoint()
    assert busy == 0
    assert frames == copied > 0


def test_a_store_made_before_the_lean_deliveries_keeps_its_deliveries(tmp_path: Path) -> None:
    from busway.storage.sqlite.queries import load_migrations

    path = tmp_path / "busway.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, script in load_migrations():
        if version < 4:
            old.executescript(f"{script}\nINSERT INTO schema_version VALUES ({version});")
    old.execute("INSERT INTO events VALUES (1, 'e1', 'default', 0, 0, x'7b7d')")
    old.execute(
        "INSERT INTO deliveries (id, event_seq, bus, rule, target_id, run_at, attempts)"
        " VALUES (7, 1, 'default', 'r', 't', 5.0, 2)"
    )
    old.close()
    db = Database(path)
    try:
        rows = db.read_sync(lambda c: c.execute("SELECT * FROM deliveries").fetchall())
        keys = db.read_sync(lambda c: c.execute("PRAGMA foreign_key_list(deliveries)").fetchall())
        version = db.read_sync(lambda c: c.execute("SELECT max(version) FROM schema_version"))
        assert rows == [(7, 1, "default", "r", "t", 5.0, 2, None, None, None)]
        assert keys == []
        assert version.fetchone()[0] >= 4
    finally:
        db.close()
