"""Named SQL blocks read from ``queries.sql`` and numbered migration files."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
_PACKAGE = "busway.storage.postgres"


@cache
def load_queries() -> dict[str, str]:
    """Every ``-- name: x`` block of queries.sql, by name."""
    text = files(_PACKAGE).joinpath("queries.sql").read_text()
    parts = _NAME.split(text)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def load_migrations() -> list[tuple[int, str]]:
    """(version, script) for every ``NNN_name.sql`` migration, in order."""
    folder = files(_PACKAGE).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
    return sorted(found)
