"""PutEvents' fast input check and output rendering give exactly the generic results."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from busway.api.aws.put_events import parse_put_events, render_put_events
from busway.api.aws.shapes import load_service, parse_input, render_output
from busway.errors import BuswayError, ProtocolError

OPERATION = load_service("events").operation_model("PutEvents")

# Every JSON type, so that each member also meets values of the wrong kind.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=5),
)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)


def repeated(char: str, *counts: int) -> st.SearchStrategy[str]:
    """Long strings, built when drawn (as literals they would bloat every repr)."""
    return st.sampled_from(counts).map(lambda count: char * count)


bus_names = st.one_of(
    st.sampled_from(["default", "orders", "a.b-c_d", "", "bad name"]),
    repeated("x", 1600, 1601),
    st.sampled_from(
        [
            "arn:aws:events:us-east-1:000000000000:event-bus/orders",
            "arn:aws:events:us-east-1:00000000000:event-bus/orders",
            "arn:aws:events:us-east-1:000000000000:event-bus/",
        ]
    ),
    st.text(max_size=8),
)
resources = st.lists(
    st.one_of(st.text(max_size=4), repeated("r", 2048, 2049), st.none()),
    max_size=3,
)
times = st.one_of(st.integers(0, 4_000_000_000), st.floats(0, 4e9, allow_nan=False), st.just(1e300))


def member(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid values, sometimes any JSON value at all (deferred, which keeps the
    strategy's repr short)."""
    return st.deferred(lambda: st.one_of(valid, valid, valid, any_json))


entries = st.fixed_dictionaries(
    {},
    optional={
        "Source": member(st.text(max_size=6)),
        "DetailType": member(st.text(max_size=6)),
        "Detail": member(st.sampled_from(['{"a": 1}', "[]", "{", ""])),
        "Resources": member(resources),
        "Time": member(times),
        "EventBusName": member(bus_names),
        "TraceHeader": member(st.sampled_from(["", "t"]) | repeated("t", 500, 501)),
        "Unknown": any_json,
    },
)
requests = st.fixed_dictionaries(
    {},
    optional={
        "Entries": member(st.lists(member(entries), max_size=12)),
        "EndpointId": member(st.sampled_from(["abc.def", "bad", ""])),
        "Other": any_json,
    },
)


def outcome(parse: Any, raw: Any) -> Any:
    try:
        return "ok", parse(OPERATION, raw)
    except (BuswayError, ProtocolError) as error:
        return type(error).__name__, str(error), getattr(error, "code", None)
    except (OverflowError, OSError, ValueError) as error:
        return type(error).__name__


# Twelve entries of long resources make example reprs over Hypothesis's 30 kB warning
# threshold; the warning is about report cost, not about the test.
@pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
@settings(max_examples=800, deadline=None)
@given(requests)
def test_fast_parse_matches_the_generic_validator(raw: dict[str, Any]) -> None:
    assert outcome(parse_put_events, raw) == outcome(parse_input, raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(entries, min_size=1, max_size=10))
def test_fast_parse_matches_on_mostly_valid_entries(items: list[dict[str, Any]]) -> None:
    raw = {"Entries": items}
    assert outcome(parse_put_events, raw) == outcome(parse_input, raw)


def test_a_clean_request_is_parsed_without_the_generic_path() -> None:
    raw = {
        "Entries": [
            {
                "Source": "s",
                "DetailType": "t",
                "Detail": "{}",
                "Resources": ["r"],
                "Time": 1_700_000_000,
                "EventBusName": "orders",
                "TraceHeader": "h",
            }
        ]
    }
    assert parse_put_events(OPERATION, raw) == parse_input(OPERATION, raw)


@pytest.mark.parametrize(
    "raw",
    [
        {"Entries": []},
        {"Entries": [{"Source": 1}]},
        {"Entries": [{"EventBusName": "bad name"}] * 11},
        {"Entries": [{"Resources": [None]}]},
    ],
)
def test_errors_carry_the_generic_message(raw: dict[str, Any]) -> None:
    assert outcome(parse_put_events, raw)[0] != "ok"
    assert outcome(parse_put_events, raw) == outcome(parse_input, raw)


results = st.fixed_dictionaries(
    {"failed_entry_count": st.integers(0, 10)},
    optional={
        "entries": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "event_id": st.none() | st.text(max_size=4),
                    "error_code": st.none() | st.text(max_size=4),
                    "error_message": st.none() | st.text(max_size=4),
                    "other": st.text(max_size=2),
                },
            ),
            max_size=10,
        ),
        "extra": st.integers(),
    },
)


@settings(max_examples=500, deadline=None)
@given(results)
def test_fast_render_matches_the_generic_renderer(value: dict[str, Any]) -> None:
    assert render_put_events(OPERATION, value) == render_output(OPERATION, value)
