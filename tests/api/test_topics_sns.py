"""boto3's ``sns`` client against a real ``busway serve`` (AWS's query protocol)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.engine.test_email_sender import Mailbox
from tests.servers import BuswayServer, Sink, start_busway


@pytest.fixture
def server(tmp_path: Path, mailbox: Mailbox) -> Iterator[BuswayServer]:
    running = start_busway(tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox.port)
    yield running
    running.stop()


@pytest.fixture
def sns(server: BuswayServer) -> Any:
    return server.client("sns")


def test_topics_are_made_listed_and_deleted(sns: Any) -> None:
    arn = sns.create_topic(Name="orders")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:000000000000:orders"
    assert sns.create_topic(Name="orders")["TopicArn"] == arn  # idempotent, as in SNS
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [arn]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["TopicArn"], attributes["SubscriptionsConfirmed"]) == (arn, "0")
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # a missing topic is no error
    assert sns.list_topics()["Topics"] == []


def test_subscribe_publish_and_unsubscribe(sns: Any, sink: Sink, mailbox: Mailbox) -> None:
    arn = sns.create_topic(Name="orders")["TopicArn"]
    hook = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=f"{sink.url}/sns")
    mail = sns.subscribe(
        TopicArn=arn,
        Protocol="email",
        Endpoint="ops@example.com",
        Attributes={"FilterPolicy": '{"level": ["high"]}'},
        ReturnSubscriptionArn=True,
    )
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in listed) == [
        ("email", "ops@example.com"),
        ("http", f"{sink.url}/sns"),
    ]
    assert {s["SubscriptionArn"] for s in listed} == {
        hook["SubscriptionArn"],
        mail["SubscriptionArn"],
    }

    sns.publish(TopicArn=arn, Message='{"level": "low"}')
    sns.publish(TopicArn=arn, Message='{"level": "high"}', Subject="Disk <full> & hot")

    assert sorted(json.loads(r.body)["level"] for r in sink.wait_for(2)) == ["high", "low"]
    (received,) = mailbox.wait_for(1)
    assert received["Subject"] == "Disk <full> & hot"
    sns.unsubscribe(SubscriptionArn=mail["SubscriptionArn"])
    remaining = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in remaining] == [hook["SubscriptionArn"]]


def errors(call: Any, **arguments: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call(**arguments)
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_errors_come_back_as_sns_errors(sns: Any) -> None:
    ghost = "arn:aws:sns:us-east-1:000000000000:ghost"
    assert errors(sns.publish, TopicArn=ghost, Message="x")[:2] == ("NotFound", 404)
    assert errors(sns.create_topic, Name="bad name")[:2] == ("InvalidParameter", 400)
    arn = sns.create_topic(Name="orders")["TopicArn"]
    code, status, message = errors(sns.subscribe, TopicArn=arn, Protocol="sms", Endpoint="+1")
    assert (code, status) == ("InvalidParameter", 400)
    assert message.endswith("does not support this protocol string: sms")
    bad_policy = {"FilterPolicy": '{"level": "high"}'}
    assert errors(
        sns.subscribe, TopicArn=arn, Protocol="https", Endpoint="https://x/", Attributes=bad_policy
    )[:2] == ("InvalidParameter", 400)


def test_with_auth_only_signed_requests_with_known_keys_pass(tmp_path: Path) -> None:
    running = start_busway(tmp_path / "auth", auth=True, credentials={"AKID": "s3cret"})
    try:
        good = running.client("sns", access_key="AKID", secret_key="s3cret")
        bad = running.client("sns", access_key="AKID", secret_key="wrong")
        assert good.create_topic(Name="orders")["TopicArn"].endswith(":orders")
        code, status, _ = errors(bad.list_topics)
        assert (code, status) == ("InvalidSignatureException", 403)
    finally:
        running.stop()
