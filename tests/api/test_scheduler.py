"""The Scheduler API through boto3, and a schedule that really fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError
from tests.api.test_buses import error_of
from tests.servers import BuswayServer, Sink

ROLE = "arn:aws:iam::000000000000:role/scheduler"


@pytest.fixture
def scheduler(busway: BuswayServer) -> Any:
    return busway.client("scheduler")


def bus_target(events: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Arn": events.describe_event_bus()["Arn"],
        "RoleArn": ROLE,
        "EventBridgeParameters": {
            "DetailType": "item X added to Cart",
            "Source": "putToCartService",
        },
        **extra,
    }


def test_schedule_lifecycle(scheduler: Any, events: Any) -> None:
    arn = scheduler.create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 3 * * ? *)",
        ScheduleExpressionTimezone="Europe/Amsterdam",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=bus_target(events),
    )["ScheduleArn"]
    assert arn == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly"
    got = scheduler.get_schedule(Name="nightly")
    assert got["ScheduleExpressionTimezone"] == "Europe/Amsterdam"
    assert got["Target"]["EventBridgeParameters"]["Source"] == "putToCartService"
    assert "CreationDate" in got
    scheduler.update_schedule(
        Name="nightly",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=bus_target(events),
    )
    got = scheduler.get_schedule(Name="nightly")
    assert got["ScheduleExpression"] == "rate(5 minutes)"
    assert "ScheduleExpressionTimezone" not in got
    listed = scheduler.list_schedules()["Schedules"]
    assert [(s["Name"], s["GroupName"], s["State"]) for s in listed] == [
        ("nightly", "default", "ENABLED")
    ]
    scheduler.delete_schedule(Name="nightly")
    with pytest.raises(ClientError) as raised:
        scheduler.get_schedule(Name="nightly")
    assert error_of(raised) == ("ResourceNotFoundException", "Schedule nightly does not exist.")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_schedule_errors(scheduler: Any, events: Any) -> None:
    base = {"FlexibleTimeWindow": {"Mode": "OFF"}, "Target": bus_target(events)}
    with pytest.raises(ClientError) as raised:
        scheduler.create_schedule(Name="s", ScheduleExpression="rate(10 seconds)", **base)
    assert error_of(raised) == (
        "ValidationException",
        "Invalid Schedule Expression rate(10 seconds).",
    )
    scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 hour)", **base)
    with pytest.raises(ClientError) as raised:
        scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 hour)", **base)
    assert error_of(raised)[0] == "ConflictException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as raised:
        scheduler.create_schedule(
            Name="t", GroupName="nope", ScheduleExpression="rate(1 hour)", **base
        )
    assert error_of(raised) == ("ResourceNotFoundException", "Schedule group nope does not exist.")


def test_client_token_makes_create_idempotent(scheduler: Any, events: Any) -> None:
    arguments = {
        "Name": "once",
        "ClientToken": "token-1",
        "ScheduleExpression": "rate(1 day)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": bus_target(events),
    }
    first = scheduler.create_schedule(**arguments)["ScheduleArn"]
    assert scheduler.create_schedule(**arguments)["ScheduleArn"] == first


def test_groups_and_tags(scheduler: Any, events: Any) -> None:
    arn = scheduler.create_schedule_group(Name="team", Tags=[{"Key": "k", "Value": "v"}])[
        "ScheduleGroupArn"
    ]
    assert scheduler.get_schedule_group(Name="team")["State"] == "ACTIVE"
    names = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    assert names == ["default", "team"]
    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["k"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    scheduler.create_schedule(
        Name="s",
        GroupName="team",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=bus_target(events),
    )
    scheduler.delete_schedule_group(Name="team")
    assert scheduler.list_schedules()["Schedules"] == []


def test_the_documented_reminder_arrives_on_the_bus(
    scheduler: Any, events: Any, sink: Sink
) -> None:
    events.put_rule(Name="r", EventPattern='{"source": ["putToCartService"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": sink.url}])
    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(
        ClientToken="my-token",
        Description="Reminder in 1 day",
        FlexibleTimeWindow={"Mode": "OFF"},
        GroupName="default",
        Name="remindIn1Day",
        ScheduleExpression=f"at({soon})",
        State="ENABLED",
        Target=bus_target(
            events,
            Input='{"scheduled_event": "true", "user": "my-user", "product": "my_product"}',
        ),
    )
    (received,) = sink.wait_for(1, timeout=10)
    event = orjson.loads(received.body)
    assert (event["source"], event["detail-type"]) == ("putToCartService", "item X added to Cart")
    assert event["detail"] == {
        "scheduled_event": "true",
        "user": "my-user",
        "product": "my_product",
    }
