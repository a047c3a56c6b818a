import json

import pytest

from busway import patterns
from busway.errors import InvalidEventError, InvalidEventPatternError

ENVELOPE = {
    "id": "1",
    "account": "123456789012",
    "source": "shop",
    "time": "2026-11-22T10:00:00Z",
    "region": "us-east-1",
    "detail-type": "OrderPlaced",
}


def test_test_event_pattern_matches_like_the_api() -> None:
    event = json.dumps({**ENVELOPE, "detail": {"n": 300.0}})
    assert patterns.test_event_pattern('{"detail": {"n": [300]}}', event) is True
    assert patterns.test_event_pattern('{"detail": {"n": [true]}}', event) is False


@pytest.mark.parametrize("missing", patterns.REQUIRED_EVENT_FIELDS)
def test_test_event_pattern_requires_the_envelope(missing: str) -> None:
    event = {key: value for key, value in ENVELOPE.items() if key != missing}
    with pytest.raises(InvalidEventError) as caught:
        patterns.test_event_pattern('{"source": ["shop"]}', json.dumps(event))
    assert str(caught.value) == "Parameter Event is not valid."


@pytest.mark.parametrize("text", ["not json", "[]", '"text"', '{"testEvent": "value"}'])
def test_events_that_are_not_envelopes_are_rejected(text: str) -> None:
    with pytest.raises(InvalidEventError):
        patterns.test_event_pattern('{"source": ["shop"]}', text)


def test_an_invalid_pattern_is_reported_before_the_event() -> None:
    with pytest.raises(InvalidEventPatternError) as caught:
        patterns.test_event_pattern('{"source": "shop"}', "not json")
    assert str(caught.value) == (
        'Event pattern is not valid. Reason: "source" must be an object or an array'
    )


def test_resources_and_detail_are_optional() -> None:
    assert patterns.test_event_pattern('{"source": ["shop"]}', json.dumps(ENVELOPE)) is True


def test_public_names_are_exported() -> None:
    for name in patterns.__all__:
        assert hasattr(patterns, name)
