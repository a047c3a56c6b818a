"""Subscription filters and endpoints: which messages a subscription takes, and which
subscriptions may be made."""

from __future__ import annotations

from typing import Any

import pytest

from busway.engine.topics import accepts
from busway.errors import InvalidEventPatternError, ValidationError
from busway.service.topics import checked_pattern, normalise_endpoint, protocol_of

EVENT = {
    "id": "1",
    "source": "shop",
    "detail-type": "OrderPlaced",
    "detail": {"total": 250, "country": "NL", "items": [{"sku": "a-1"}, {"sku": "b-2"}]},
}


def takes(pattern: dict[str, Any] | None, message: Any = EVENT) -> bool:
    doc = {} if pattern is None else {"filter_pattern": checked_pattern(pattern)}
    return accepts(doc, message)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (None, True),
        ({"source": ["shop"]}, True),
        ({"source": ["billing"]}, False),
        ({"detail": {"total": [{"numeric": [">", 100, "<=", 250]}]}}, True),
        ({"detail": {"total": [{"numeric": ["<", 100]}]}}, False),
        ({"detail": {"country": [{"anything-but": ["DE", "FR"]}]}}, True),
        ({"detail": {"items": {"sku": [{"prefix": "b-"}]}}}, True),
        ({"detail": {"coupon": [{"exists": False}]}}, True),
        ({"detail": {"coupon": [{"exists": True}]}}, False),
        ({"$or": [{"source": ["x"]}, {"detail-type": [{"suffix": "Placed"}]}]}, True),
    ],
)
def test_a_filter_is_the_event_pattern_language(
    pattern: dict[str, Any] | None, expected: bool
) -> None:
    assert takes(pattern) is expected


def test_a_message_that_is_not_an_object_reaches_only_unfiltered_subscriptions() -> None:
    assert takes(None, "plain text")
    assert takes(None, None)
    assert not takes({"source": ["shop"]}, ["shop"])
    assert not takes({"source": ["shop"]}, None)


def test_a_filter_of_text_is_kept_as_given() -> None:
    text = '{"source":  ["shop"]}'
    assert checked_pattern(text) == text
    assert checked_pattern({"source": ["shop"]}) == '{"source":["shop"]}'


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ('{"source": "shop"}', '"source" must be an object or an array'),
        ("[1]", "Filter is not an object"),
        ('{"a": [{"numeric": [">", "x"]}]}', "Value of > must be numeric"),
    ],
)
def test_a_bad_filter_is_refused_with_awss_reason(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternError) as raised:
        checked_pattern(pattern)
    assert raised.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("endpoint", "protocol", "expected", "named"),
    [
        ("ops@example.com", "email", "mailto:ops@example.com", "email"),
        ("mailto:ops@example.com", None, "mailto:ops@example.com", "email"),
        ("https://hooks.example/x", None, "https://hooks.example/x", "https"),
        ("http://127.0.0.1:8/x", "http", "http://127.0.0.1:8/x", "http"),
        (
            "arn:aws:sqs:us-east-1:000000000000:outbox",
            "sqs",
            "arn:aws:sqs:us-east-1:000000000000:outbox",
            "sqs",
        ),
    ],
)
def test_endpoints_become_target_arns(
    endpoint: str, protocol: str | None, expected: str, named: str
) -> None:
    assert normalise_endpoint(endpoint, protocol=protocol) == expected
    assert protocol_of(expected) == named


@pytest.mark.parametrize(
    ("endpoint", "protocol", "message"),
    [
        ("ftp://x", None, "is not one Busway can deliver to"),
        ("arn:aws:sns:us-east-1:000000000000:other", None, "is not one Busway can deliver to"),
        ("mailto:two@a.com,b@c.com", None, "is not an email address"),
        ("https://hooks.example/x", "sqs", "Protocol sqs does not fit"),
    ],
)
def test_endpoints_busway_cannot_serve_are_refused(
    endpoint: str, protocol: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        normalise_endpoint(endpoint, protocol=protocol)
