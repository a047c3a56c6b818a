"""API destinations and their connections, by ARN, as the dispatcher needs them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from busway.storage.base import Catalog


class Directory:
    """An in-memory copy of the API destinations and connections, kept in step by the
    services that change them."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._destinations: dict[str, Mapping[str, Any]] = {}
        self._connections: dict[str, Mapping[str, Any]] = {}

    async def load(self) -> None:
        """Reread every destination and connection."""
        self._destinations = {
            r.arn: {**r.doc, "name": r.name}
            for r in await self._catalog.list_kind("api-destination")
        }
        self._connections = {
            r.arn: {**r.doc, "name": r.name} for r in await self._catalog.list_kind("connection")
        }

    def destination(self, arn: str) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        """The destination at ``arn`` and its connection, or None if either is gone."""
        destination = self._destinations.get(arn)
        if destination is None:
            return None
        connection = self._connections.get(str(destination.get("connection_arn")))
        return None if connection is None else (destination, connection)
