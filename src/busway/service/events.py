"""PutEvents and TestEventPattern."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from busway.engine.ingest import Entry, Ingest
from busway.patterns import test_event_pattern


class EventService:
    def __init__(self, ingest: Ingest) -> None:
        self._ingest = ingest

    async def put(
        self, *, entries: Sequence[Mapping[str, Any]], endpoint_id: str | None = None
    ) -> dict[str, Any]:
        results = await self._ingest.put_events([_entry(e) for e in entries])
        failed = sum(1 for r in results if r.error_code is not None)
        out = [
            {"event_id": r.event_id}
            if r.error_code is None
            else {"error_code": r.error_code, "error_message": r.error_message}
            for r in results
        ]
        return {"failed_entry_count": failed, "entries": out}

    async def test_pattern(self, *, event_pattern: str, event: str) -> dict[str, Any]:
        return {"result": test_event_pattern(event_pattern, event)}


def _entry(raw: Mapping[str, Any]) -> Entry:
    return Entry(
        source=raw.get("source"),
        detail_type=raw.get("detail_type"),
        detail=raw.get("detail"),
        resources=tuple(raw.get("resources") or ()),
        time=raw.get("time"),
        event_bus_name=raw.get("event_bus_name"),
        trace_header=raw.get("trace_header"),
    )
