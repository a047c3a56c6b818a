"""The CloudEvents request of an HTTP target that opts in (structured or binary mode)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from busway.api.cloudevents import to_cloudevent as api_to_cloudevent
from busway.transform.cloudevent import (
    ContentMode,
    cloudevent_request,
    content_mode,
    to_cloudevent,
)

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "OrderPlaced",
    "source": "shop",
    "account": "000000000000",
    "time": "2026-05-01T12:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:shop:order/7"],
    "detail": {"order": 7, "note": "café"},
}


def request(
    payload: Any, mode: ContentMode, event: dict[str, Any] | None = EVENT
) -> tuple[dict[str, str], Any]:
    raw = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers, body = cloudevent_request(
        raw, mode=mode, event=event, fallback_id="m-1", fallback_time="2026-05-01T12:00:05Z"
    )
    return dict(headers), orjson.loads(body)


@pytest.mark.parametrize(
    ("headers", "mode"),
    [
        ({"Content-Type": "application/cloudevents+json"}, ContentMode.STRUCTURED),
        ({"content-type": "application/cloudevents+json; charset=utf-8"}, ContentMode.STRUCTURED),
        ({"ce-specversion": "1.0"}, ContentMode.BINARY),
        ({"CE-SpecVersion": "1.0", "X-Team": "a"}, ContentMode.BINARY),
        ({"Content-Type": "application/json"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_a_target_opts_in_with_its_header_parameters(
    headers: dict[str, str] | None, mode: ContentMode | None
) -> None:
    assert content_mode(headers) is mode


def test_structured_mode_sends_the_event_as_a_cloudevent() -> None:
    headers, body = request(EVENT, ContentMode.STRUCTURED)
    assert headers == {"Content-Type": "application/cloudevents+json; charset=utf-8"}
    assert body == {
        "specversion": "1.0",
        "id": EVENT["id"],
        "source": "shop",
        "type": "OrderPlaced",
        "time": "2026-05-01T12:00:00Z",
        "datacontenttype": "application/json",
        "data": {"order": 7, "note": "café"},
        "ebaccount": "000000000000",
        "ebregion": "us-east-1",
        "subject": "arn:aws:shop:order/7",
    }


def test_a_transformed_input_becomes_the_data() -> None:
    _, body = request({"orderId": 7}, ContentMode.STRUCTURED)
    assert (body["id"], body["data"]) == (EVENT["id"], {"orderId": 7})
    _, text = request(b"not json", ContentMode.STRUCTURED)
    assert text["data"] == "not json"


def test_binary_mode_puts_the_attributes_in_headers() -> None:
    headers, body = request(EVENT, ContentMode.BINARY)
    assert body == {"order": 7, "note": "café"}
    assert headers == {
        "ce-specversion": "1.0",
        "ce-id": EVENT["id"],
        "ce-source": "shop",
        "ce-type": "OrderPlaced",
        "ce-time": "2026-05-01T12:00:00Z",
        "ce-ebaccount": "000000000000",
        "ce-ebregion": "us-east-1",
        "ce-subject": "arn:aws:shop:order/7",
        "Content-Type": "application/json",
    }


def test_binary_header_values_are_percent_encoded() -> None:
    event = {**EVENT, "detail-type": 'Café "50%" off'}
    headers, _ = request(event, ContentMode.BINARY, event=event)
    assert headers["ce-type"] == "Caf%C3%A9 %2250%25%22 off"


def test_without_an_event_the_payload_is_read_as_one() -> None:
    # A topic subscription's copy carries the event as its message, and no parsed event.
    _, body = request(EVENT, ContentMode.STRUCTURED, event=None)
    assert (body["id"], body["data"]) == (EVENT["id"], EVENT["detail"])


def test_a_message_that_is_no_event_gets_busways_attributes() -> None:
    _, body = request({"headline": "hi"}, ContentMode.STRUCTURED, event={})
    assert {k: body[k] for k in ("id", "source", "type", "time", "data")} == {
        "id": "m-1",
        "source": "busway",
        "type": "busway.message",
        "time": "2026-05-01T12:00:05Z",
        "data": {"headline": "hi"},
    }


def test_the_api_module_still_offers_to_cloudevent() -> None:
    assert api_to_cloudevent is to_cloudevent
