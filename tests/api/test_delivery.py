"""Events put through boto3 arrive at real targets."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson
from tests.servers import BuswayServer, Received, Sink


def put(events: Any, detail: dict[str, Any], **fields: Any) -> str:
    answer = events.put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "ItemAdded",
                "Detail": orjson.dumps(detail).decode(),
                **fields,
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0
    return str(answer["Entries"][0]["EventId"])


def route(
    events: Any, target: dict[str, Any], pattern: str = '{"source": ["shop"]}', **rule: Any
) -> None:
    events.put_rule(Name=rule.pop("name", "r"), EventPattern=pattern, **rule)
    events.put_targets(Rule="r", Targets=[target], **rule)


def test_webhook_gets_the_event_signed(busway: BuswayServer, events: Any, sink: Sink) -> None:
    route(events, {"Id": "hook", "Arn": sink.url + "/hooks"})
    event_id = put(events, {"sku": "a"})
    (received,) = sink.wait_for(1)
    event = orjson.loads(received.body)
    assert list(event) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert (event["id"], event["detail"], event["resources"]) == (event_id, {"sku": "a"}, [])
    assert received.path == "/hooks"
    secret = busway.runtime.senders.webhook_secret
    assert secret is not None
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode()
    expected = base64.b64encode(hmac.new(key, signed + received.body, hashlib.sha256).digest())
    assert received.headers["webhook-signature"] == "v1," + expected.decode()


def test_input_transformer_renders_as_aws(events: Any, sink: Sink) -> None:
    route(
        events,
        {
            "Id": "t",
            "Arn": sink.url,
            "InputTransformer": {
                "InputPathsMap": {"sku": "$.detail.sku"},
                "InputTemplate": '{"item": <sku>, "rule": <aws.events.rule-name>}',
            },
        },
    )
    put(events, {"sku": "a-1"})
    (received,) = sink.wait_for(1)
    assert received.body == b'{"item":"a-1","rule":"r"}'


def test_only_matching_enabled_rules_deliver(events: Any, sink: Sink) -> None:
    route(events, {"Id": "t", "Arn": sink.url}, pattern='{"detail": {"sku": ["a"]}}')
    put(events, {"sku": "b"})
    put(events, {"sku": "a"})
    events.disable_rule(Name="r")
    put(events, {"sku": "a"})
    events.enable_rule(Name="r")
    put(events, {"sku": "a"})
    received = sink.wait_for(3, timeout=3)
    assert [orjson.loads(r.body)["detail"]["sku"] for r in received] == ["a", "a"]


def test_a_failing_target_is_retried(events: Any, sink: Sink) -> None:
    answers = iter([500, 200])

    def respond(_: Received) -> tuple[int, dict[str, str], bytes]:
        return next(answers, 200), {}, b""

    sink.respond = respond
    route(events, {"Id": "t", "Arn": sink.url})
    event_id = put(events, {"sku": "a"})
    first, second = sink.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert orjson.loads(second.body)["id"] == event_id


def test_api_destination_with_api_key(events: Any, sink: Sink) -> None:
    connection = events.create_connection(
        Name="c",
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"}
        },
    )
    destination = events.create_api_destination(
        Name="d",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=sink.url + "/orders/*",
        HttpMethod="PUT",
    )
    assert destination["ApiDestinationState"] == "ACTIVE"
    route(
        events,
        {
            "Id": "t",
            "Arn": destination["ApiDestinationArn"],
            "HttpParameters": {"PathParameterValues": ["$.detail.sku"]},
        },
    )
    put(events, {"sku": "a-1"})
    (received,) = sink.wait_for(1)
    assert (received.method, received.path) == ("PUT", "/orders/a-1")
    assert received.headers["x-api-key"] == "s3cr3t"
    described = events.describe_connection(Name="c")
    assert "ApiKeyValue" not in described["AuthParameters"]["ApiKeyAuthParameters"]


def test_bus_to_bus(events: Any, sink: Sink) -> None:
    bus_arn = events.create_event_bus(Name="second")["EventBusArn"]
    route(events, {"Id": "forward", "Arn": bus_arn})
    events.put_rule(Name="r", EventPattern='{"source": ["shop"]}', EventBusName="second")
    events.put_targets(Rule="r", EventBusName="second", Targets=[{"Id": "t", "Arn": sink.url}])
    event_id = put(events, {"sku": "a"})
    (received,) = sink.wait_for(1)
    assert orjson.loads(received.body)["id"] == event_id


def queue_arn(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, str(attributes["Attributes"]["QueueArn"])


def dead_letters(sqs: Any, url: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """(event, string attributes) of the messages in dead-letter queue ``url``."""
    answer = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, MessageAttributeNames=["All"])
    return [
        (
            orjson.loads(m["Body"]),
            {k: v["StringValue"] for k, v in m["MessageAttributes"].items()},
        )
        for m in answer["Messages"]
    ]


def failing_route(events: Any, sink: Sink, *, dlq_arn: str, attempts: int) -> None:
    retry = {"MaximumRetryAttempts": attempts}
    target = {
        "Id": "t",
        "Arn": sink.url,
        "DeadLetterConfig": {"Arn": dlq_arn},
        "RetryPolicy": retry,
    }
    route(events, target)


def test_queue_target(events: Any, sqs: Any) -> None:
    url, arn = queue_arn(sqs, "orders")
    route(events, {"Id": "q", "Arn": arn, "InputPath": "$.detail"})
    put(events, {"sku": "a"})
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in messages] == ['{"sku":"a"}']


def test_a_permanent_failure_goes_to_the_dead_letter_queue(
    events: Any, sqs: Any, sink: Sink
) -> None:
    sink.respond = lambda _: (400, {}, b"no thanks")
    url, arn = queue_arn(sqs, "dead")
    failing_route(events, sink, dlq_arn=arn, attempts=5)
    event_id = put(events, {"sku": "a"})
    ((event, attributes),) = dead_letters(sqs, url)
    assert event["id"] == event_id
    assert attributes["RULE_ARN"] == "arn:aws:events:us-east-1:000000000000:rule/r"
    assert attributes["TARGET_ARN"] == sink.url
    assert attributes["ERROR_CODE"] == "ERROR_FROM_TARGET"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes
    assert len(sink.requests) == 1


def test_exhausted_retries_name_the_condition(events: Any, sqs: Any, sink: Sink) -> None:
    sink.respond = lambda _: (503, {}, b"busy")
    url, arn = queue_arn(sqs, "dead")
    failing_route(events, sink, dlq_arn=arn, attempts=1)
    put(events, {"sku": "a"})
    ((_, attributes),) = dead_letters(sqs, url)
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == "1"
    assert len(sink.requests) == 2
