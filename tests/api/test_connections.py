from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.api.test_buses import error_of

BASIC = {"BasicAuthParameters": {"Username": "user", "Password": "pass"}}
OAUTH = {
    "OAuthParameters": {
        "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
        "AuthorizationEndpoint": "https://auth.example.com/token",
        "HttpMethod": "POST",
        "OAuthHttpParameters": {
            "BodyParameters": [{"Key": "grant_type", "Value": "client_credentials"}]
        },
    }
}


def test_connection_lifecycle(events: Any) -> None:
    created = events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=BASIC)
    assert created["ConnectionState"] == "AUTHORIZED"
    assert created["ConnectionArn"].startswith(
        "arn:aws:events:us-east-1:000000000000:connection/c/"
    )
    described = events.describe_connection(Name="c")
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}}
    assert described["SecretArn"].startswith(
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/c/"
    )
    events.update_connection(Name="c", Description="now described")
    assert events.describe_connection(Name="c")["Description"] == "now described"
    listed = events.list_connections(NamePrefix="c")["Connections"]
    assert [(c["Name"], c["AuthorizationType"]) for c in listed] == [("c", "BASIC")]
    assert events.delete_connection(Name="c")["ConnectionState"] == "DELETING"
    with pytest.raises(ClientError) as raised:
        events.describe_connection(Name="c")
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Failed to describe the connection(s). Connection 'c' does not exist.",
    )


def test_oauth_connection_hides_its_secret(events: Any) -> None:
    created = events.create_connection(
        Name="o", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=OAUTH
    )
    assert created["ConnectionState"] == "AUTHORIZING"
    oauth = events.describe_connection(Name="o")["AuthParameters"]["OAuthParameters"]
    assert oauth["ClientParameters"] == {"ClientID": "id"}
    assert oauth["AuthorizationEndpoint"] == "https://auth.example.com/token"


def test_connection_errors(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=BASIC)
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        events.create_connection(Name="c", AuthorizationType="TOKEN", AuthParameters=BASIC)
    assert "Member must satisfy enum value set" in error_of(raised)[1]
    events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=BASIC)
    with pytest.raises(ClientError) as raised:
        events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=BASIC)
    assert error_of(raised)[0] == "ResourceAlreadyExistsException"


def test_api_destination_lifecycle(events: Any) -> None:
    connection = events.create_connection(
        Name="c", AuthorizationType="BASIC", AuthParameters=BASIC
    )["ConnectionArn"]
    created = events.create_api_destination(
        Name="d",
        ConnectionArn=connection,
        InvocationEndpoint="http://127.0.0.1:9/orders",
        HttpMethod="POST",
    )
    assert created["ApiDestinationState"] == "ACTIVE"
    described = events.describe_api_destination(Name="d")
    assert described["InvocationRateLimitPerSecond"] == 300
    assert described["ConnectionArn"] == connection
    events.update_api_destination(Name="d", InvocationRateLimitPerSecond=5, HttpMethod="PUT")
    described = events.describe_api_destination(Name="d")
    assert (described["InvocationRateLimitPerSecond"], described["HttpMethod"]) == (5, "PUT")
    listed = events.list_api_destinations(ConnectionArn=connection)["ApiDestinations"]
    assert [d["Name"] for d in listed] == ["d"]
    events.delete_api_destination(Name="d")
    with pytest.raises(ClientError) as raised:
        events.describe_api_destination(Name="d")
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Failed to describe the api-destination(s). An api-destination 'd' does not exist.",
    )


def test_api_destination_method_enum_in_awss_order(events: Any) -> None:
    connection = events.create_connection(
        Name="c", AuthorizationType="BASIC", AuthParameters=BASIC
    )["ConnectionArn"]
    with pytest.raises(ClientError) as raised:
        events.create_api_destination(
            Name="d",
            ConnectionArn=connection,
            InvocationEndpoint="https://example.com",
            HttpMethod="TRACE",
        )
    assert error_of(raised)[1].endswith(
        "Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]"
    )
