from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.api.test_buses import error_of

PATTERN = '{"source": ["shop"]}'


def test_put_describe_list_rules(events: Any) -> None:
    events.create_event_bus(Name="orders")
    arn = events.put_rule(Name="r1", EventPattern=PATTERN, EventBusName="orders")["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:000000000000:rule/orders/r1"
    default_arn = events.put_rule(Name="r2", EventPattern=PATTERN)["RuleArn"]
    assert default_arn == "arn:aws:events:us-east-1:000000000000:rule/r2"
    described = events.describe_rule(Name="r1", EventBusName="orders")
    assert described["EventPattern"] == PATTERN
    assert described["State"] == "ENABLED"
    assert described["EventBusName"] == "orders"
    assert described["CreatedBy"] == "000000000000"
    listed = events.list_rules(EventBusName="orders")["Rules"]
    assert [(r["Name"], r["Arn"]) for r in listed] == [("r1", arn)]


def test_put_rule_replaces_every_argument(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN, Description="first")
    events.put_rule(Name="r", EventPattern=PATTERN)
    assert "Description" not in events.describe_rule(Name="r")


def test_enable_disable(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    events.enable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "ENABLED"


def test_invalid_pattern_gets_awss_message(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="r", EventPattern='{"source": "shop"}')
    assert error_of(raised) == (
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: "source" must be an object or an array',
    )


def test_rule_errors(events: Any) -> None:
    events.create_event_bus(Name="orders")
    cases = [
        ({"Name": "r"}, "Parameter(s) EventPattern or ScheduleExpression must be specified."),
        (
            {"Name": "r", "ScheduleExpression": "rate(5 minutes)", "EventBusName": "orders"},
            "ScheduleExpression is supported only on the default event bus.",
        ),
        (
            {"Name": "r", "ScheduleExpression": "every day"},
            "Parameter ScheduleExpression is not valid.",
        ),
    ]
    for arguments, message in cases:
        with pytest.raises(ClientError) as raised:
            events.put_rule(**arguments)
        assert error_of(raised) == ("ValidationException", message)
    with pytest.raises(ClientError) as raised:
        events.describe_rule(Name="nope", EventBusName="orders")
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Rule nope does not exist on EventBus orders.",
    )
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="r", EventPattern=PATTERN, EventBusName="nope")
    assert error_of(raised) == ("ResourceNotFoundException", "Event bus nope does not exist.")


def test_rule_with_targets_cannot_be_deleted(events: Any, sink: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": sink.url}])
    with pytest.raises(ClientError) as raised:
        events.delete_rule(Name="r")
    assert error_of(raised) == (
        "ValidationException",
        "Rule can't be deleted since it has targets.",
    )
    events.remove_targets(Rule="r", Ids=["t"])
    events.delete_rule(Name="r")
    events.delete_rule(Name="r")
    assert events.list_rules()["Rules"] == []


def test_targets_round_trip_and_limits(events: Any, sink: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    target = {
        "Id": "t1",
        "Arn": sink.url,
        "InputTransformer": {
            "InputPathsMap": {"Kind-Of": "$.detail-type"},
            "InputTemplate": '{"kind": <Kind-Of>}',
        },
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
    }
    answer = events.put_targets(Rule="r", Targets=[target])
    assert (answer["FailedEntryCount"], answer["FailedEntries"]) == (0, [])
    assert events.list_targets_by_rule(Rule="r")["Targets"] == [target]
    assert events.list_rule_names_by_target(TargetArn=sink.url)["RuleNames"] == ["r"]
    many = [{"Id": f"t{i}", "Arn": sink.url} for i in range(2, 7)]
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule="r", Targets=many)
    assert error_of(raised) == (
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
    )


def test_target_input_errors(events: Any, sink: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    with pytest.raises(ClientError) as raised:
        events.put_targets(
            Rule="r", Targets=[{"Id": "t", "Arn": sink.url, "Input": "{}", "InputPath": "$.detail"}]
        )
    assert error_of(raised) == (
        "ValidationException",
        "Only one of Input, InputPath, or InputTransformer must be provided for target t.",
    )
    with pytest.raises(ClientError) as raised:
        events.put_targets(
            Rule="r",
            Targets=[{"Id": "t", "Arn": sink.url, "InputTransformer": {"InputTemplate": "<nope>"}}],
        )
    assert error_of(raised) == (
        "ValidationException",
        "InputTemplate for target t contains invalid placeholder nope.",
    )


def test_test_event_pattern(events: Any) -> None:
    event = (
        '{"id": "1", "account": "1", "source": "shop", "time": "2026-01-01T00:00:00Z",'
        ' "region": "us-east-1", "detail-type": "x", "detail": {}}'
    )
    assert events.test_event_pattern(EventPattern=PATTERN, Event=event)["Result"] is True
    with pytest.raises(ClientError) as raised:
        events.test_event_pattern(EventPattern=PATTERN, Event='{"source": "shop"}')
    assert error_of(raised) == ("ValidationException", "Parameter Event is not valid.")
