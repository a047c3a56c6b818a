"""PutEvents' input and output without walking the botocore model, for the hot path.

``parse_put_events`` only decides that a request is clean and builds the snake_case dict
``parse_input`` would build; anything it is not sure of (a wrong type, a broken
constraint, an ``EndpointId``) goes to the generic ``parse_input``, so every error
carries exactly the generic validator's message.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel

from busway.api.aws.shapes import parse_input, pattern_of, render_output

__all__ = ["parse_put_events", "render_put_events"]

# PutEventsRequestEntry's members and their snake_case names (botocore's xform_name).
_SCALARS = {
    "Source": "source",
    "DetailType": "detail_type",
    "Detail": "detail",
    "EventBusName": "event_bus_name",
    "TraceHeader": "trace_header",
}
_MAX_ENTRIES = 10
_MAX_RESOURCE = 2048
_BUS_NAME_LENGTH = (1, 1600)
_TRACE_HEADER_LENGTH = (1, 500)
_RESULT_KEYS = {"failed_entry_count", "entries"}
_OUT_NAMES = {"event_id": "EventId", "error_code": "ErrorCode", "error_message": "ErrorMessage"}


class _UnsureError(Exception):
    """The request needs the generic validator (it may well be valid)."""


def parse_put_events(operation: OperationModel, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``parse_input(operation, raw)`` for PutEvents, with the same result or error."""
    try:
        return {"entries": _entries(operation, raw)}
    except _UnsureError:
        return parse_input(operation, raw)


def render_put_events(operation: OperationModel, value: Mapping[str, Any]) -> dict[str, Any]:
    """``render_output(operation, value)`` for PutEvents' result."""
    entries = value.get("entries") or ()
    if value.keys() != _RESULT_KEYS or not all(e.keys() <= _OUT_NAMES.keys() for e in entries):
        return render_output(operation, value)
    return {
        "FailedEntryCount": value["failed_entry_count"],
        "Entries": [
            {_OUT_NAMES[key]: item for key, item in entry.items() if item is not None}
            for entry in entries
        ],
    }


def _entries(operation: OperationModel, raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    if type(raw) is not dict or raw.get("EndpointId") is not None:
        raise _UnsureError
    entries = raw.get("Entries")
    if type(entries) is not list or not 0 < len(entries) <= _MAX_ENTRIES:
        raise _UnsureError
    return [_entry(operation, entry) for entry in entries]


def _entry(operation: OperationModel, entry: Any) -> dict[str, Any]:
    if type(entry) is not dict:
        raise _UnsureError
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if value is None:
            continue
        name = _SCALARS.get(key)
        if name is not None:
            if type(value) is not str:
                raise _UnsureError
            out[name] = value
        elif key == "Time":
            out["time"] = _time(value)
        elif key == "Resources":
            out["resources"] = _resources(value)
    _check_bus_name(operation, out.get("event_bus_name"))
    _check_length(out.get("trace_header"), _TRACE_HEADER_LENGTH)
    return out


def _time(value: Any) -> datetime:
    if type(value) is not int and type(value) is not float:
        raise _UnsureError
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _UnsureError from None


def _resources(value: Any) -> list[str]:
    if type(value) is not list:
        raise _UnsureError
    for item in value:
        if type(item) is not str or len(item) > _MAX_RESOURCE:
            raise _UnsureError
    return list(value)


def _check_length(value: str | None, bounds: tuple[int, int]) -> None:
    if value is not None and not bounds[0] <= len(value) <= bounds[1]:
        raise _UnsureError


def _check_bus_name(operation: OperationModel, name: str | None) -> None:
    if name is not None and not _bus_name_fits(operation, name):
        raise _UnsureError


@functools.lru_cache(maxsize=1024)
def _bus_name_fits(operation: OperationModel, name: str) -> bool:
    # A request names few buses, and the same ones again and again.
    if not _BUS_NAME_LENGTH[0] <= len(name) <= _BUS_NAME_LENGTH[1]:
        return False
    entry_shape = operation.input_shape.members["Entries"].member
    return pattern_of(entry_shape.members["EventBusName"]).fullmatch(name) is not None
