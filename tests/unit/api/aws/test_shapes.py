"""Requests checked against botocore's real events and sqs models, with AWS's wording."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from busway.api.aws.shapes import (
    load_service,
    parse_input,
    render_output,
    to_aws,
    to_python,
    validate_input,
)
from busway.errors import ProtocolError, ValidationError

NAME_PATTERN = r"[\.\-_A-Za-z0-9]+"


def events(operation: str) -> Any:
    return load_service("events").operation_model(operation)


def sqs(operation: str) -> Any:
    return load_service("sqs").operation_model(operation)


def validation_message(operation: Any, params: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_input(operation, params)
    return caught.value.message


def serialization_message(operation: Any, params: Any) -> str:
    with pytest.raises(ProtocolError) as caught:
        validate_input(operation, params)
    assert caught.value.code == "SerializationException"
    assert caught.value.status == 400
    return caught.value.message


def target(**extra: Any) -> dict[str, Any]:
    return {"Id": "t1", "Arn": "arn:aws:sqs:us-east-1:000000000000:q", **extra}


def test_load_service_is_cached_and_limited_to_busway_services() -> None:
    assert load_service("events") is load_service("events")
    assert load_service("sqs").metadata["targetPrefix"] == "AmazonSQS"
    assert load_service("scheduler").protocol == "rest-json"
    with pytest.raises(ValueError, match="s3"):
        load_service("s3")


def test_valid_request_passes() -> None:
    validate_input(events("PutRule"), {"Name": "my-rule.1_x", "EventPattern": "{}"})


def test_rule_name_pattern() -> None:
    assert validation_message(events("PutRule"), {"Name": "Invalid Name With Spaces!"}) == (
        "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_rule_name_too_long() -> None:
    name = "a" * 65
    assert validation_message(events("PutRule"), {"Name": name}) == (
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    )


def test_empty_name_breaks_pattern_and_minimum_length() -> None:
    assert validation_message(events("PutRule"), {"Name": ""}) == (
        "2 validation errors detected: Value '' at 'name' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}; Value '' at 'name' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1"
    )


def test_target_id_path_has_one_based_index() -> None:
    params = {"Rule": "r", "Targets": [target(), target(Id="!@#$@!#$")]}
    assert validation_message(events("PutTargets"), params) == (
        "1 validation error detected: Value '!@#$@!#$' at 'targets.2.member.id' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_missing_required_members_in_model_order() -> None:
    params = {"Targets": [{"Id": "t1"}]}
    assert validation_message(events("PutTargets"), params) == (
        "2 validation errors detected: "
        "Value null at 'rule' failed to satisfy constraint: Member must not be null; "
        "Value null at 'targets.1.member.arn' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_null_counts_as_missing() -> None:
    message = validation_message(events("PutRule"), {"Name": None})
    assert message.endswith(
        "Value null at 'name' failed to satisfy constraint: " + ("Member must not be null")
    )


def test_enum_uses_the_order_aws_prints() -> None:
    params = {
        "Name": "d",
        "ConnectionArn": "invalid-connection-arn",
        "InvocationEndpoint": "https://example.com",
        "HttpMethod": "INVALID_METHOD",
    }
    assert validation_message(events("CreateApiDestination"), params) == (
        "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/"
        r"[\.\-_A-Za-z0-9]+\/[\-A-Za-z0-9]+$; "
        "Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]"
    )


def test_several_violations_in_one_message_as_recorded() -> None:
    name = "This should fail with two errors 123467890123412341234123412341234"
    params = {"Name": name, "AuthorizationType": "INVALID", "AuthParameters": {}}
    assert validation_message(events("CreateConnection"), params) == (
        f"3 validation errors detected: Value '{name}' at 'name' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}; "
        f"Value '{name}' at 'name' failed to satisfy constraint: Member must have length "
        "less than or equal to 64; Value 'INVALID' at 'authorizationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, "
        "API_KEY]"
    )


def test_nested_path_is_camel_case() -> None:
    params = {
        "Name": "c",
        "AuthorizationType": "BASIC",
        "AuthParameters": {"BasicAuthParameters": {"Username": "a" * 513, "Password": "p"}},
    }
    message = validation_message(events("CreateConnection"), params)
    assert "at 'authParameters.basicAuthParameters.username'" in message
    assert message.endswith("Member must have length less than or equal to 512")


def test_numeric_range() -> None:
    params = {"Rule": "r", "Targets": [target(RetryPolicy={"MaximumRetryAttempts": 186})]}
    assert validation_message(events("PutTargets"), params) == (
        "1 validation error detected: Value '186' at "
        "'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: "
        "Member must have value less than or equal to 185"
    )


def test_numeric_minimum() -> None:
    params = {"Rule": "r", "Targets": [target(RetryPolicy={"MaximumEventAgeInSeconds": 59})]}
    assert validation_message(events("PutTargets"), params).endswith(
        "Member must have value greater than or equal to 60"
    )


def test_list_length_prints_the_list_as_java_does() -> None:
    entries = [{"Source": "s", "DetailType": "d", "Detail": "{}"}] * 11
    message = validation_message(events("PutEvents"), {"Entries": entries})
    entry = (
        "PutEventsRequestEntry(time=null, source=s, resources=null, detailType=d, detail={}, "
        "eventBusName=null, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)"
    )
    assert message == (
        f"1 validation error detected: Value '[{', '.join([entry] * 11)}]' at 'entries' "
        "failed to satisfy constraint: Member must have length less than or equal to 10"
    )


def test_empty_list_below_minimum() -> None:
    assert validation_message(events("PutTargets"), {"Rule": "r", "Targets": []}) == (
        "1 validation error detected: Value '[]' at 'targets' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_map_keys_break_once_with_every_key_rule() -> None:
    paths = {"de onde?": "$.detail.a", "ok": "$.detail.b"}
    transformer = {"InputTemplate": "<ok>", "InputPathsMap": paths}
    params = {"Rule": "r", "Targets": [target(InputTransformer=transformer)]}
    assert validation_message(events("PutTargets"), params) == (
        "1 validation error detected: Value '{de onde?=$.detail.a, ok=$.detail.b}' at "
        "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to "
        "256, Member must have length greater than or equal to 1, Member must satisfy "
        r"regular expression pattern: [A-Za-z0-9\_\-]+]"
    )


def test_map_values_break_with_the_value_rules() -> None:
    transformer = {"InputTemplate": "<a>", "InputPathsMap": {"a": "$." + "x" * 300}}
    params = {"Rule": "r", "Targets": [target(InputTransformer=transformer)]}
    message = validation_message(events("PutTargets"), params)
    assert message.endswith(
        "Map value must satisfy constraint: [Member must have length less than or equal to 256]"
    )


def test_java_dot_does_not_match_carriage_return() -> None:
    params = {
        "Name": "d",
        "ConnectionArn": "arn:aws:events:us-east-1:000000000000:connection/c/1a",
        "InvocationEndpoint": "https://example.com",
        "HttpMethod": "POST",
    }
    validate_input(events("CreateApiDestination"), {**params, "Description": "a\tb"})
    message = validation_message(events("CreateApiDestination"), {**params, "Description": "a\rb"})
    assert message == (
        "1 validation error detected: Value 'a\rb' at 'description' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: .*"
    )


def test_unicode_property_classes_are_understood() -> None:
    run_command = {"RunCommandTargets": [{"Key": "tag:Ünïcode 1", "Values": ["v"]}]}
    validate_input(
        events("PutTargets"), {"Rule": "r", "Targets": [target(RunCommandParameters=run_command)]}
    )
    run_command["RunCommandTargets"][0]["Key"] = "bad!"
    params = {"Rule": "r", "Targets": [target(RunCommandParameters=run_command)]}
    assert "runCommandParameters.runCommandTargets.1.member.key" in validation_message(
        events("PutTargets"), params
    )


def test_unknown_members_are_ignored() -> None:
    validate_input(events("PutRule"), {"Name": "r", "Bogus": {"x": [1]}})
    assert parse_input(events("PutRule"), {"Name": "r", "Bogus": 1}) == {"name": "r"}


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        ("PutRule", {"Name": 1}, "NUMBER_VALUE can not be converted to a String"),
        ("PutRule", {"Name": True}, "TRUE_VALUE can not be converted to a String"),
        ("PutRule", {"Name": ["r"]}, "Start of list found where not expected"),
        ("PutRule", {"Name": {"a": 1}}, "Start of structure or map found where not expected."),
        ("PutTargets", {"Rule": "r", "Targets": "t"}, "Expected list or null"),
        (
            "PutTargets",
            {"Rule": "r", "Targets": {}},
            "Start of structure or map found where not expected.",
        ),
        ("PutTargets", {"Rule": "r", "Targets": ["t"]}, "Expected null"),
        ("PutTargets", {"Rule": "r", "Targets": [[]]}, "Start of list found where not expected"),
        ("ListRules", {"Limit": "10"}, "STRING_VALUE can not be converted to an Integer"),
        ("ListRules", {"Limit": False}, "FALSE_VALUE can not be converted to an Integer"),
        (
            "PutEvents",
            {"Entries": [{"Time": "2024-01-01"}]},
            "STRING_VALUE can not be converted to a Timestamp",
        ),
    ],
)
def test_wrong_json_types_are_serialization_errors(
    operation: str, params: dict[str, Any], message: str
) -> None:
    assert serialization_message(events(operation), params) == message


def test_map_of_wrong_type() -> None:
    params = {
        "Rule": "r",
        "Targets": [target(InputTransformer={"InputTemplate": "x", "InputPathsMap": "m"})],
    }
    assert serialization_message(events("PutTargets"), params) == "Expected map or null"


def test_sqs_types() -> None:
    params = {"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": "1"}
    assert serialization_message(sqs("SendMessage"), params) == (
        "STRING_VALUE can not be converted to an Integer"
    )
    params = {"QueueName": "q", "Attributes": {"DelaySeconds": 5}}
    assert serialization_message(sqs("CreateQueue"), params) == (
        "NUMBER_VALUE can not be converted to a String"
    )


def test_type_errors_come_before_constraint_errors() -> None:
    assert serialization_message(events("PutRule"), {"Name": "bad name", "Description": 1}) == (
        "NUMBER_VALUE can not be converted to a String"
    )


def test_body_that_is_a_list() -> None:
    assert serialization_message(events("PutRule"), []) == "Start of list found where not expected"


def test_sqs_enum_and_required() -> None:
    params = {"QueueUrl": "u", "AttributeNames": ["Nope"]}
    message = validation_message(sqs("GetQueueAttributes"), params)
    assert message.startswith(
        "1 validation error detected: Value 'Nope' at 'attributeNames.1.member' failed to "
        "satisfy constraint: Member must satisfy enum value set: [All, Policy,"
    )
    assert validation_message(sqs("DeleteQueue"), {}) == (
        "1 validation error detected: Value null at 'queueUrl' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_to_python_snake_cases_members_but_not_map_keys() -> None:
    raw = {
        "Rule": "r",
        "Targets": [
            target(
                InputTransformer={
                    "InputPathsMap": {"DetailType": "$.detail-type", "myKey": "$.id"},
                    "InputTemplate": "<myKey>",
                },
                HttpParameters={"HeaderParameters": {"X-Api-Key": "k"}},
            )
        ],
    }
    parsed = parse_input(events("PutTargets"), raw)
    assert parsed == {
        "rule": "r",
        "targets": [
            {
                "id": "t1",
                "arn": "arn:aws:sqs:us-east-1:000000000000:q",
                "input_transformer": {
                    "input_paths_map": {"DetailType": "$.detail-type", "myKey": "$.id"},
                    "input_template": "<myKey>",
                },
                "http_parameters": {"header_parameters": {"X-Api-Key": "k"}},
            }
        ],
    }


def test_timestamps_become_aware_utc_datetimes_and_back() -> None:
    shape = events("PutEvents").input_shape
    parsed = to_python(shape, {"Entries": [{"Time": 1700000000.5, "Source": "s"}]})
    assert parsed["entries"][0]["time"] == datetime(2023, 11, 14, 22, 13, 20, 500000, UTC)
    assert to_aws(shape, parsed) == {"Entries": [{"Time": 1700000000.5, "Source": "s"}]}


def test_round_trip_through_an_output_shape() -> None:
    shape = events("DescribeRule").output_shape
    aws = {
        "Name": "r",
        "Arn": "arn:aws:events:us-east-1:000000000000:rule/r",
        "EventPattern": '{"source": ["a"]}',
        "State": "ENABLED",
        "EventBusName": "default",
    }
    assert to_aws(shape, to_python(shape, aws)) == aws


def test_to_aws_drops_none_and_unknown_keys() -> None:
    operation = events("ListTargetsByRule")
    value = {
        "targets": [{"id": "t", "arn": "a", "input": None, "internal_note": "x"}],
        "next_token": None,
    }
    assert render_output(operation, value) == {"Targets": [{"Id": "t", "Arn": "a"}]}


def test_to_aws_keeps_map_keys_and_converts_datetimes() -> None:
    operation = events("DescribeConnection")
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    value = {
        "name": "c",
        "creation_time": created,
        "auth_parameters": {
            "invocation_http_parameters": {
                "query_string_parameters": [
                    {"key": "my_Key", "value": "v", "is_value_secret": False}
                ]
            }
        },
    }
    assert render_output(operation, value) == {
        "Name": "c",
        "CreationTime": created.timestamp(),
        "AuthParameters": {
            "InvocationHttpParameters": {
                "QueryStringParameters": [{"Key": "my_Key", "Value": "v", "IsValueSecret": False}]
            }
        },
    }


def test_operation_without_output_renders_empty() -> None:
    assert render_output(events("DeleteRule"), {"anything": 1}) == {}


def test_sqs_blobs_are_base64() -> None:
    operation = sqs("SendMessage")
    raw = {
        "QueueUrl": "u",
        "MessageBody": "b",
        "MessageAttributes": {"bin": {"DataType": "Binary", "BinaryValue": "aGk="}},
    }
    parsed = parse_input(operation, raw)
    assert parsed["message_attributes"] == {"bin": {"data_type": "Binary", "binary_value": b"hi"}}
    assert to_aws(operation.input_shape, parsed) == raw
    raw["MessageAttributes"]["bin"]["BinaryValue"] = "not base64!"
    assert serialization_message(operation, raw) == "'not base64!' can not be converted to a Blob"
