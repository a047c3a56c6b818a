"""EventBridge events as CloudEvents 1.0, and the HTTP request of an HTTP target that
emits them (structured or binary content mode of the HTTP protocol binding).

Pure: no I/O. A target opts in through its ``HttpParameters.HeaderParameters``:
``Content-Type: application/cloudevents+json`` asks for structured mode (the body is
the CloudEvent as JSON), a ``ce-specversion`` header for binary mode (the attributes go
in ``ce-*`` headers, the body is the data). The data is the event's ``detail`` when the
target receives the whole event, else what its Input/InputPath/InputTransformer made.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

import orjson

STRUCTURED_TYPE: Final = "application/cloudevents+json"
SPECVERSION: Final = "1.0"
# A message that is not an event (published to a topic directly) gets these.
FALLBACK_SOURCE: Final = "busway"
FALLBACK_TYPE: Final = "busway.message"


class ContentMode(StrEnum):
    STRUCTURED = "structured"
    BINARY = "binary"


def to_cloudevent(event: Mapping[str, Any]) -> dict[str, Any]:
    """An EventBridge event as a structured-mode CloudEvent."""
    cloud_event: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": event["id"],
        "source": event["source"],
        "type": event["detail-type"],
        "time": event["time"],
        "datacontenttype": "application/json",
        "data": event.get("detail", {}),
        "ebaccount": event.get("account"),
        "ebregion": event.get("region"),
    }
    resources = event.get("resources") or []
    if resources:
        cloud_event["subject"] = resources[0]
    return cloud_event


def content_mode(header_parameters: Mapping[str, Any] | None) -> ContentMode | None:
    """The CloudEvents mode a target's header parameters ask for, or None."""
    for name, value in (header_parameters or {}).items():
        lowered = name.lower()
        if lowered == "ce-specversion":
            return ContentMode.BINARY
        if lowered == "content-type" and str(value).lower().startswith(STRUCTURED_TYPE):
            return ContentMode.STRUCTURED
    return None


def cloudevent_request(
    payload: bytes,
    *,
    mode: ContentMode,
    event: Mapping[str, Any] | None,
    fallback_id: str,
    fallback_time: str,
) -> tuple[tuple[tuple[str, str], ...], bytes]:
    """The headers to add and the body of a request carrying ``payload`` (what the
    target would receive) as a CloudEvent of ``event``. When ``event`` is None or not an
    EventBridge event, ``payload`` itself is tried as one; failing that the CloudEvent
    gets ``fallback_id``, ``fallback_time`` and Busway's source and type."""
    rendered = _parsed(payload)
    envelope = _envelope(event, rendered, fallback_id=fallback_id, fallback_time=fallback_time)
    cloud_event = to_cloudevent(envelope)
    if rendered != envelope:
        cloud_event["data"] = rendered
    cloud_event = {k: v for k, v in cloud_event.items() if v is not None}
    if mode is ContentMode.STRUCTURED:
        content_type = f"{STRUCTURED_TYPE}; charset=utf-8"
        return (("Content-Type", content_type),), orjson.dumps(cloud_event)
    data = cloud_event.pop("data", None)
    cloud_event.pop("datacontenttype", None)
    headers = tuple((f"ce-{k}", _header_value(v)) for k, v in cloud_event.items())
    return (*headers, ("Content-Type", "application/json")), orjson.dumps(data)


def _envelope(
    event: Mapping[str, Any] | None, rendered: Any, *, fallback_id: str, fallback_time: str
) -> Mapping[str, Any]:
    for candidate in (event, rendered):
        if isinstance(candidate, Mapping) and all(
            isinstance(candidate.get(k), str) for k in ("id", "source", "detail-type", "time")
        ):
            return candidate
    return {
        "id": fallback_id,
        "source": FALLBACK_SOURCE,
        "detail-type": FALLBACK_TYPE,
        "time": fallback_time,
        "detail": rendered,
    }


def _parsed(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", "replace")


def _header_value(value: Any) -> str:
    # The HTTP binding percent-encodes what is not printable ASCII, and '%' and '"'.
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return "".join(
        c if " " <= c <= "~" and c not in '%"' else "".join(f"%{b:02X}" for b in c.encode())
        for c in text
    )
