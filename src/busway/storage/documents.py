"""Documents as JSON text, and epoch-second timestamps, for every backend.

Datetimes inside a document are kept as tagged epoch seconds, so a document reads back
the same from either backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson


def stamp(moment: datetime) -> float:
    return moment.timestamp()


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def maybe_stamp(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def maybe_moment(value: float | None) -> datetime | None:
    return None if value is None else moment(value)


def dump_doc(doc: Mapping[str, Any]) -> str:
    """A document as JSON text; datetimes become ``{"$time": seconds}``."""
    return orjson.dumps(doc, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def load_doc(text: str) -> Any:
    value = orjson.loads(text)
    return _revive(value) if '"$time"' in text else value


def dump_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return {"$time": value.timestamp()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$time" in value:
            return moment(value["$time"])
        return {key: _revive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revive(item) for item in value]
    return value
