"""The PostgreSQL store (asyncpg): claims with SKIP LOCKED, so many nodes share one
database."""

from busway.storage.postgres.backend import PostgresStore

__all__ = ["PostgresStore"]
