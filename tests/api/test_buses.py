from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_default_bus_exists_and_cannot_be_deleted(events: Any) -> None:
    described = events.describe_event_bus()
    assert described["Name"] == "default"
    assert described["Arn"] == "arn:aws:events:us-east-1:000000000000:event-bus/default"
    with pytest.raises(ClientError) as raised:
        events.delete_event_bus(Name="default")
    assert error_of(raised) == ("ValidationException", "Cannot delete event bus default.")


def test_create_describe_list_delete(events: Any) -> None:
    created = events.create_event_bus(Name="orders", Description="order facts")
    assert created["EventBusArn"].endswith(":event-bus/orders")
    described = events.describe_event_bus(Name=created["EventBusArn"])
    assert (described["Name"], described["Description"]) == ("orders", "order facts")
    assert "CreationTime" in described
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert names == ["default", "orders"]
    events.delete_event_bus(Name="orders")
    with pytest.raises(ClientError) as raised:
        events.describe_event_bus(Name="orders")
    assert error_of(raised) == ("ResourceNotFoundException", "Event bus orders does not exist.")


def test_duplicate_bus(events: Any) -> None:
    events.create_event_bus(Name="orders")
    with pytest.raises(ClientError) as raised:
        events.create_event_bus(Name="orders")
    assert error_of(raised) == (
        "ResourceAlreadyExistsException",
        "Event bus orders already exists.",
    )


def test_list_pages_with_prefix(events: Any) -> None:
    for index in range(5):
        events.create_event_bus(Name=f"team-{index}")
    first = events.list_event_buses(NamePrefix="team-", Limit=2)
    assert [b["Name"] for b in first["EventBuses"]] == ["team-0", "team-1"]
    second = events.list_event_buses(NamePrefix="team-", Limit=2, NextToken=first["NextToken"])
    assert [b["Name"] for b in second["EventBuses"]] == ["team-2", "team-3"]
    last = events.list_event_buses(NamePrefix="team-", Limit=2, NextToken=second["NextToken"])
    assert [b["Name"] for b in last["EventBuses"]] == ["team-4"]
    assert "NextToken" not in last


def test_shape_validation_uses_aws_wording(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.create_event_bus(Name="bad name")
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+"
    )


def test_tags_on_buses(events: Any) -> None:
    arn = events.create_event_bus(Name="orders", Tags=[{"Key": "team", "Value": "a"}])[
        "EventBusArn"
    ]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["team", "absent"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    with pytest.raises(ClientError) as raised:
        events.list_tags_for_resource(
            ResourceARN="arn:aws:events:us-east-1:000000000000:event-bus/nope"
        )
    assert error_of(raised) == ("ResourceNotFoundException", "Event bus nope does not exist.")
