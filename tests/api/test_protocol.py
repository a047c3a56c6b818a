"""Bad requests get AWS's error and a 4xx, never a 500; signatures when --auth is on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from botocore.exceptions import ClientError
from tests.api.test_buses import error_of
from tests.servers import BuswayServer, start_busway

JSON11 = "application/x-amz-json-1.1"


def post(busway: BuswayServer, target: str, body: bytes) -> httpx.Response:
    headers = {"content-type": JSON11, "x-amz-target": target}
    return httpx.post(busway.url + "/", content=body, headers=headers, timeout=10)


def test_malformed_json_is_a_serialization_error(busway: BuswayServer) -> None:
    answer = post(busway, "AWSEvents.ListRules", b'{"Limit": ')
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"


def test_wrong_types_are_a_serialization_error(busway: BuswayServer) -> None:
    answer = post(busway, "AWSEvents.PutEvents", b'{"Entries": "not a list"}')
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"


def test_unknown_operation(busway: BuswayServer) -> None:
    for target in ("AWSEvents.MakeCoffee", "Nope.ListRules", ""):
        answer = post(busway, target, b"{}")
        assert answer.status_code == 400
        assert answer.json()["__type"] == "UnknownOperationException"


def test_oversized_body_is_refused_and_nothing_is_stored(busway: BuswayServer) -> None:
    entries = [{"Source": "s", "DetailType": "d", "Detail": "{}" + " " * 2_000_000}]
    answer = post(busway, "AWSEvents.PutEvents", orjson.dumps({"Entries": entries}))
    assert answer.status_code == 413
    assert answer.json()["__type"] == "RequestEntityTooLargeException"


def test_bad_arns_and_unknown_targets(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.list_tags_for_resource(ResourceARN="not-an-arn")
    assert error_of(raised) == (
        "ValidationException",
        "Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.",
    )
    events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
    with pytest.raises(ClientError) as raised:
        events.put_targets(
            Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:kinesis:us-east-1:1:stream/x"}]
        )
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert "cannot deliver to this kind of target" in message


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[BuswayServer]:
    server = start_busway(tmp_path, auth=True, credentials={"AKIDBUSWAY": "right-secret"})
    yield server
    server.stop()


def test_auth_accepts_a_good_signature(guarded: BuswayServer) -> None:
    events = guarded.client("events", access_key="AKIDBUSWAY", secret_key="right-secret")
    assert events.list_event_buses()["EventBuses"][0]["Name"] == "default"
    sqs = guarded.client("sqs", access_key="AKIDBUSWAY", secret_key="right-secret")
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_auth_refuses_bad_or_missing_signatures(guarded: BuswayServer) -> None:
    wrong_secret = guarded.client("events", access_key="AKIDBUSWAY", secret_key="wrong")
    with pytest.raises(ClientError) as raised:
        wrong_secret.list_event_buses()
    assert error_of(raised)[0] == "InvalidSignatureException"
    unknown = guarded.client("events", access_key="AKIDOTHER", secret_key="right-secret")
    with pytest.raises(ClientError) as raised:
        unknown.list_event_buses()
    assert error_of(raised) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    answer = post(guarded, "AWSEvents.ListEventBuses", b"{}")
    assert answer.status_code in (400, 403)
    assert answer.json()["__type"] == "MissingAuthenticationTokenException"
