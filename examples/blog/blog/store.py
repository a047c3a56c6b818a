"""The blog's own database: posts in one SQLite file, apart from Busway's store.

One connection behind a lock: the web app's handlers run in a thread pool, and a post
is inserted and published under the lock (see ``web.py``) so that the entity
recognition, which may answer within milliseconds, never finds it missing.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from blog.post import Post

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    topic TEXT NOT NULL,
    created_at TEXT NOT NULL,
    persons TEXT,
    locations TEXT
);
CREATE INDEX IF NOT EXISTS posts_by_author ON posts (author, created_at);
"""
COLUMNS = "id, author, title, body, topic, created_at, persons, locations"


class PostStore:
    """Posts by id and by author; entities are set once recognised."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def inserting(self, post: Post) -> Iterator[None]:
        """Insert ``post`` in a transaction that commits when the block ends without an
        exception (the block publishes the post's event) and rolls back otherwise."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    f"INSERT INTO posts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                    (post.id, post.author, post.title, post.body, post.topic, post.created_at),
                )
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, post_id: str) -> Post | None:
        with self._lock:
            row = self._db.execute(f"SELECT {COLUMNS} FROM posts WHERE id = ?", (post_id,))
            found = row.fetchone()
        return _post(found) if found else None

    def by_author(self, author: str) -> list[Post]:
        """The author's posts, newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM posts WHERE author = ? ORDER BY created_at DESC",
                (author,),
            ).fetchall()
        return [_post(row) for row in rows]

    def set_entities(self, post_id: str, *, persons: list[str], locations: list[str]) -> bool:
        """Record the entities found in a post; False when there is no such post.
        Setting the same entities again changes nothing, so a retried call is harmless."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE posts SET persons = ?, locations = ? WHERE id = ?",
                (json.dumps(persons), json.dumps(locations), post_id),
            )
        return cursor.rowcount == 1


def _post(row: tuple[str, ...]) -> Post:
    persons, locations = row[6], row[7]
    return Post(
        *row[:6],
        persons=json.loads(persons) if persons is not None else None,
        locations=json.loads(locations) if locations is not None else None,
    )
