from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
from tests.unit.engine.senders.conftest import Target

from busway.engine.senders.http import HttpSender
from busway.model import Outcome, SendResult

pytestmark = pytest.mark.anyio

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EVENT: dict[str, Any] = {
    "id": "e-1",
    "source": "shop",
    "detail": {"order": "o-17", "total": 12.5, "tags": ["a"]},
}
PAYLOAD = orjson.dumps(EVENT)


def destination(target: Target, path: str, **extra: Any) -> dict[str, Any]:
    return {"name": "dest", "invocation_endpoint": target.url(path), "http_method": "POST", **extra}


def api_key(**extra: Any) -> dict[str, Any]:
    auth = {"api_key_auth_parameters": {"api_key_name": "x-api-key", "api_key_value": "k-1"}}
    return {"name": "conn", "authorization_type": "API_KEY", "auth_parameters": {**auth, **extra}}


def oauth_connection(target: Target, **oauth: Any) -> dict[str, Any]:
    params = {
        "client_parameters": {"client_id": "cid", "client_secret": "s3cret"},
        "authorization_endpoint": target.url("/oauth/token"),
        "http_method": "POST",
        "o_auth_http_parameters": {
            "body_parameters": [
                {"key": "grant_type", "value": "client_credentials", "is_value_secret": False}
            ],
            "header_parameters": [{"key": "x-tenant", "value": "t1", "is_value_secret": False}],
        },
        **oauth,
    }
    return {
        "name": "oauth-conn",
        "authorization_type": "OAUTH_CLIENT_CREDENTIALS",
        "auth_parameters": {"o_auth_parameters": params},
    }


async def invoke(
    sender: HttpSender,
    target: Target,
    path: str,
    *,
    connection: dict[str, Any] | None = None,
    http_parameters: dict[str, Any] | None = None,
    now: datetime = NOW,
    **dest: Any,
) -> SendResult:
    return await sender.send_to_destination(
        destination=destination(target, path, **dest),
        connection=connection or api_key(),
        http_parameters=http_parameters,
        event=EVENT,
        payload=PAYLOAD,
        now=now,
    )


async def test_api_key_goes_into_its_header_with_aws_fixed_headers(
    sender: HttpSender, target: Target
) -> None:
    assert await invoke(sender, target, "/echo/a") == SendResult.delivered(200)
    seen = target.last("/echo/a")
    assert seen.method == "POST"
    assert seen.body == PAYLOAD
    assert seen.headers["x-api-key"] == "k-1"
    assert seen.headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    assert seen.headers["content-type"] == "application/json; charset=utf-8"
    assert seen.headers["range"] == "bytes=0-1048575"


async def test_basic_auth_sends_username_and_password(sender: HttpSender, target: Target) -> None:
    connection = {
        "authorization_type": "BASIC",
        "auth_parameters": {"basic_auth_parameters": {"username": "ann", "password": "pw:x"}},
    }
    await invoke(sender, target, "/echo/basic", connection=connection)
    expected = "Basic " + base64.b64encode(b"ann:pw:x").decode()
    assert target.last("/echo/basic").headers["authorization"] == expected


async def test_path_header_and_query_parameters_resolve_json_paths(
    sender: HttpSender, target: Target
) -> None:
    http_parameters = {
        "path_parameter_values": ["$.detail.order", "fixed/part"],
        "header_parameters": {
            "x-order": "$.detail.order",
            "x-total": "$.detail.total",
            "x-static": "v",
            "x-missing": "$.detail.nope",
        },
        "query_string_parameters": {"tags": "$.detail.tags", "src": "$.source"},
    }
    result = await invoke(
        sender, target, "/echo/orders/*/items/*?keep=1", http_parameters=http_parameters
    )
    assert result.outcome is Outcome.DELIVERED
    seen = target.last("/echo/orders/o-17/items/fixed/part")
    assert seen.headers["x-order"] == "o-17"
    assert seen.headers["x-total"] == "12.5"
    assert seen.headers["x-static"] == "v"
    assert "x-missing" not in seen.headers
    assert seen.query == [("keep", "1"), ("tags", '["a"]'), ("src", "shop")]


async def test_connection_parameters_override_the_target_and_join_the_body(
    sender: HttpSender, target: Target
) -> None:
    invocation = {
        "header_parameters": [{"key": "X-Who", "value": "connection", "is_value_secret": True}],
        "query_string_parameters": [{"key": "v", "value": "2", "is_value_secret": False}],
        "body_parameters": [{"key": "tenant", "value": "acme", "is_value_secret": False}],
    }
    http_parameters = {
        "header_parameters": {"x-who": "target"},
        "query_string_parameters": {"v": "1", "w": "t"},
    }
    await invoke(
        sender,
        target,
        "/echo/override",
        connection=api_key(invocation_http_parameters=invocation),
        http_parameters=http_parameters,
    )
    seen = target.last("/echo/override")
    assert seen.headers["x-who"] == "connection"
    assert sorted(seen.query) == [("v", "2"), ("w", "t")]
    assert orjson.loads(seen.body) == {**EVENT, "tenant": "acme"}


async def test_method_is_the_destinations(sender: HttpSender, target: Target) -> None:
    await invoke(sender, target, "/echo/put", http_method="PUT")
    assert target.last("/echo/put").method == "PUT"


async def test_trace_is_refused_without_a_request(sender: HttpSender, target: Target) -> None:
    result = await invoke(sender, target, "/echo/trace", http_method="TRACE")
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "INVALID_PARAMETER")
    assert target.count("/echo/trace") == 0


async def test_oauth_token_is_fetched_with_client_credentials_and_cached(
    sender: HttpSender, target: Target
) -> None:
    connection = oauth_connection(target)
    for _ in range(3):
        assert await invoke(sender, target, "/protected", connection=connection) == (
            SendResult.delivered(200)
        )
    assert target.count("/oauth/token") == 1
    fetch = target.last("/oauth/token")
    assert fetch.headers["authorization"] == "Basic " + base64.b64encode(b"cid:s3cret").decode()
    assert fetch.headers["x-tenant"] == "t1"
    assert parse_qsl(fetch.body.decode()) == [("grant_type", "client_credentials")]
    assert target.last("/protected").headers["authorization"] == "Bearer tok-1"


async def test_oauth_token_is_refreshed_once_when_refused(
    sender: HttpSender, target: Target
) -> None:
    connection = oauth_connection(target)
    await invoke(sender, target, "/protected", connection=connection)
    target.valid_tokens.clear()  # the provider revokes tok-1
    target.seen.clear()
    result = await invoke(sender, target, "/protected", connection=connection)
    assert result == SendResult.delivered(200)
    assert target.count("/oauth/token") == 1
    assert [s.headers["authorization"] for s in target.seen if s.path == "/protected"] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


async def test_oauth_refusal_after_refresh_is_not_retried(
    sender: HttpSender, target: Target
) -> None:
    connection = oauth_connection(target)
    result = await invoke(sender, target, "/status/401", connection=connection)
    assert (result.outcome, result.error_code, result.status) == (
        Outcome.FAILED,
        "NO_PERMISSIONS",
        401,
    )
    assert target.count("/oauth/token") == 2
    assert target.count("/status/401") == 2


async def test_oauth_token_near_expiry_is_renewed(sender: HttpSender, target: Target) -> None:
    connection = oauth_connection(target)
    target.expires_in = 120
    await invoke(sender, target, "/protected", connection=connection)
    await invoke(
        sender, target, "/protected", connection=connection, now=NOW + timedelta(seconds=59)
    )
    assert target.count("/oauth/token") == 1
    await invoke(
        sender, target, "/protected", connection=connection, now=NOW + timedelta(seconds=61)
    )
    assert target.count("/oauth/token") == 2


async def test_oauth_endpoint_failure_is_reported(sender: HttpSender, target: Target) -> None:
    connection = oauth_connection(target, authorization_endpoint=target.url("/status/503"))
    result = await invoke(sender, target, "/protected", connection=connection)
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "ERROR_FROM_TARGET")
    assert result.error_message is not None
    assert result.error_message.startswith("OAuth authorization endpoint: HTTP 503")
    assert target.count("/protected") == 0


async def test_rate_limit_delays_excess_invocations(sender: HttpSender, target: Target) -> None:
    started = time.monotonic()
    results = [
        await invoke(sender, target, "/echo/rate", invocation_rate_limit_per_second=4)
        for _ in range(5)
    ]
    assert all(r.outcome is Outcome.DELIVERED for r in results)
    assert time.monotonic() - started >= 0.2
    assert target.count("/echo/rate") == 5


async def test_rate_limit_hands_long_waits_back_as_throttling(
    sender: HttpSender, target: Target
) -> None:
    results = await asyncio.gather(
        *(
            invoke(
                sender,
                target,
                "/echo/slowrate",
                name="one-per-second",
                invocation_rate_limit_per_second=1,
            )
            for _ in range(3)
        )
    )
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == [Outcome.DELIVERED, Outcome.DELIVERED, Outcome.RETRY]
    throttled = next(r for r in results if r.outcome is Outcome.RETRY)
    assert throttled.error_code == "THROTTLING"
    assert throttled.retry_after == pytest.approx(2.0, abs=0.1)
    assert target.count("/echo/slowrate") == 2
