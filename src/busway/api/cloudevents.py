"""CloudEvents 1.0 over HTTP (binary, structured and batched modes), to and from
EventBridge events.

CloudEvent -> event: ``type`` is the detail-type, ``source`` the source, ``time`` the
time, ``subject`` the one resource; ``data`` is the detail when it is a JSON object,
else ``{"data": value}`` (``{"data_base64": ...}`` for binary data).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from busway.service.events import EventService
from busway.transform.cloudevent import to_cloudevent

REQUIRED = ("id", "source", "specversion", "type")
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
MAX_BODY_BYTES = 1_048_576


def cloudevents_route(events: EventService) -> Route:
    """``POST /cloudevents/{bus}``: publish the CloudEvent(s) in the request on ``bus``."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            if len(raw) > MAX_BODY_BYTES:
                raise ValueError(f"The body is larger than {MAX_BODY_BYTES} bytes.")
            found = read_http(request.headers, raw)
        except ValueError as error:
            return _answer(400, {"message": str(error)})
        bus = request.path_params["bus"]
        entries = [entry_of(cloud_event, bus=bus) for cloud_event in found]
        answer = await events.put(entries=entries)
        failures = [e for e in answer["entries"] if "error_code" in e]
        if failures:
            first = failures[0]
            return _answer(400, {"message": f"{first['error_code']}: {first['error_message']}"})
        return _answer(202, {"event_ids": [e["event_id"] for e in answer["entries"]]})

    return Route("/cloudevents/{bus}", endpoint, methods=["POST"])


def read_http(headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
    """The CloudEvents an HTTP request carries, in any of the three modes."""
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == BATCH:
        found = _json(body)
        if not isinstance(found, list) or not found:
            raise ValueError("A batch must be a non-empty JSON array of CloudEvents.")
        return [_checked(item) for item in found]
    if media == STRUCTURED:
        return [_checked(_json(body))]
    return [_checked(_binary(headers, body, media))]


def entry_of(cloud_event: Mapping[str, Any], *, bus: str) -> dict[str, Any]:
    """The PutEvents entry (snake_case, as EventService takes it) for a CloudEvent."""
    entry: dict[str, Any] = {
        "source": cloud_event["source"],
        "detail_type": cloud_event["type"],
        "detail": orjson.dumps(_detail(cloud_event)).decode(),
        "event_bus_name": bus,
    }
    if cloud_event.get("subject"):
        entry["resources"] = [cloud_event["subject"]]
    if cloud_event.get("time"):
        entry["time"] = _time(cloud_event["time"])
    return entry


def _binary(headers: Mapping[str, str], body: bytes, media: str) -> dict[str, Any]:
    cloud_event: dict[str, Any] = {
        name[3:]: value for name, value in headers.items() if name.lower().startswith("ce-")
    }
    if not cloud_event:
        raise ValueError(
            "Not a CloudEvent: send ce-* headers (binary mode) or "
            f"Content-Type {STRUCTURED} (structured mode)."
        )
    if body:
        if media.endswith("json"):
            cloud_event["data"] = _json(body)
        else:
            cloud_event["data_base64"] = base64.b64encode(body).decode()
    return cloud_event


def _checked(cloud_event: Any) -> dict[str, Any]:
    if not isinstance(cloud_event, dict):
        raise ValueError("A CloudEvent must be a JSON object.")
    missing = [name for name in REQUIRED if not cloud_event.get(name)]
    if missing:
        raise ValueError(f"The CloudEvent lacks required attribute(s): {', '.join(missing)}.")
    if cloud_event["specversion"] != "1.0":
        raise ValueError(f"Unsupported CloudEvents specversion {cloud_event['specversion']}.")
    return cloud_event


def _detail(cloud_event: Mapping[str, Any]) -> Any:
    if "data_base64" in cloud_event:
        return {"data_base64": cloud_event["data_base64"]}
    data = cloud_event.get("data")
    if isinstance(data, dict):
        return data
    return {} if data is None else {"data": data}


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"The CloudEvent's time {text!r} is not RFC 3339.") from None


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("The body is not valid JSON.") from None


def _answer(status: int, body: Mapping[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


__all__ = ["cloudevents_route", "entry_of", "read_http", "to_cloudevent"]
