from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.api.test_buses import error_of


def entry(**fields: Any) -> dict[str, Any]:
    return {"Source": "shop", "DetailType": "ItemAdded", "Detail": '{"sku": "a"}', **fields}


def test_accepted_entries_get_event_ids(events: Any) -> None:
    answer = events.put_events(Entries=[entry(), entry()])
    assert answer["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in answer["Entries"]]
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)


def test_per_entry_errors_in_awss_order(events: Any) -> None:
    answer = events.put_events(
        Entries=[
            entry(Source=""),
            {"Source": "shop", "Detail": "{}"},
            {"Source": "shop", "DetailType": "x"},
            entry(Detail="[]"),
            entry(Detail="NotJSON"),
            entry(Source="aws.ec2"),
            entry(),
        ]
    )
    assert answer["FailedEntryCount"] == 6
    results = [(e.get("ErrorCode"), e.get("ErrorMessage")) for e in answer["Entries"][:6]]
    assert results == [
        (
            "InvalidArgument",
            "Parameter Source is not valid. Reason: Source is a required argument.",
        ),
        (
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        ),
        (
            "InvalidArgument",
            "Parameter Detail is not valid. Reason: Detail is a required argument.",
        ),
        ("MalformedDetail", "Detail is malformed."),
        ("MalformedDetail", "Detail is malformed."),
        ("NotAuthorizedForSourceException", "Not authorized for the source."),
    ]
    assert "EventId" in answer["Entries"][6]


def test_an_unknown_bus_accepts_and_drops(events: Any) -> None:
    answer = events.put_events(Entries=[entry(EventBusName="nope")])
    assert answer["FailedEntryCount"] == 0


def test_more_than_ten_entries_is_refused(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[entry() for _ in range(11)])
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 10" in message


def test_total_size_over_the_limit_is_refused(events: Any) -> None:
    big = '{"x": "' + "a" * 600_000 + '"}'
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[entry(Detail=big), entry(Detail=big)])
    assert error_of(raised) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
    )


def test_entry_time_is_kept_to_the_second(events: Any, sink: Any) -> None:
    events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": sink.url}])
    events.put_events(Entries=[entry(Time=datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC))])
    (received,) = sink.wait_for(1)
    assert b'"time":"2026-03-04T05:06:07Z"' in received.body
