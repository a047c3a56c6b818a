"""The embedded SQLite store: one writer thread with group commit, WAL readers."""

from busway.storage.sqlite.backend import SqliteStore

__all__ = ["SqliteStore"]
