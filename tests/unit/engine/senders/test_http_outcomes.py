from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.unit.engine.senders.conftest import Target

from busway.engine.senders.egress import EgressPolicy
from busway.engine.senders.http import HttpSender
from busway.model import Outcome, SendResult

pytestmark = pytest.mark.anyio

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def post(sender: HttpSender, url: str) -> SendResult:
    return await sender.send_webhook(url=url, payload=b"{}", message_id="m", secret=None, now=NOW)


def summary(result: SendResult) -> tuple[Any, ...]:
    return (result.outcome, result.error_code, result.status)


async def test_429_with_retry_after_is_throttling(sender: HttpSender, target: Target) -> None:
    result = await post(sender, target.url("/status/429?retry_after=30"))
    assert summary(result) == (Outcome.RETRY, "THROTTLING", 429)
    assert result.retry_after == 30


async def test_retry_after_as_http_date(sender: HttpSender, target: Target) -> None:
    result = await post(sender, target.url("/status/503?retry_after=Wed, 01 May 2024 12:02:00 GMT"))
    assert summary(result) == (Outcome.RETRY, "ERROR_FROM_TARGET", 503)
    assert result.retry_after == 120


async def test_negative_retry_after_is_passed_on(sender: HttpSender, target: Target) -> None:
    result = await post(sender, target.url("/status/503?retry_after=-1"))
    assert result.retry_after == -1


async def test_500_is_retried_with_a_short_snippet(sender: HttpSender, target: Target) -> None:
    result = await post(sender, target.url("/status/500"))
    assert summary(result) == (Outcome.RETRY, "ERROR_FROM_TARGET", 500)
    assert result.retry_after is None
    assert result.error_message is not None
    assert result.error_message.startswith("HTTP 500: boom boom")
    assert len(result.error_message) <= len("HTTP 500: ") + 256


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "NO_RESOURCE"),
        (410, "NO_RESOURCE"),
        (401, "NO_PERMISSIONS"),
        (403, "NO_PERMISSIONS"),
        (400, "ERROR_FROM_TARGET"),
        (302, "ERROR_FROM_TARGET"),
    ],
)
async def test_client_errors_and_redirects_are_not_retried(
    sender: HttpSender, target: Target, status: int, code: str
) -> None:
    result = await post(sender, target.url(f"/status/{status}"))
    assert summary(result) == (Outcome.FAILED, code, status)


async def test_slow_target_times_out(target: Target) -> None:
    sender = HttpSender(timeout=0.2)
    started = time.monotonic()
    try:
        result = await post(sender, target.url("/slow"))
    finally:
        await sender.aclose()
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "TIMEOUT")
    assert time.monotonic() - started < 0.9


async def test_huge_response_is_read_only_up_to_the_cap(target: Target) -> None:
    sender = HttpSender(max_response_bytes=100_000)
    started = time.monotonic()
    try:
        result = await post(sender, target.url("/huge"))
    finally:
        await sender.aclose()
    assert result == SendResult.delivered(200)
    assert time.monotonic() - started < 1.0


async def test_refused_connection_is_retried(sender: HttpSender) -> None:
    result = await post(sender, "http://127.0.0.1:1/")
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "CONNECTION_FAILURE")


async def test_unresolvable_host_is_not_retried(sender: HttpSender) -> None:
    result = await post(sender, "http://no-such-host.invalid/")
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "CONNECTION_FAILURE")


async def test_denied_address_fails_without_connecting(target: Target) -> None:
    sender = HttpSender(egress=EgressPolicy(deny=("127.0.0.0/8",)))
    try:
        result = await post(sender, target.url("/echo/denied"))
    finally:
        await sender.aclose()
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "NO_PERMISSIONS")
    assert result.error_message is not None
    assert "127.0.0.1" in result.error_message
    assert "egress policy" in result.error_message
    assert target.count("/echo/denied") == 0


async def test_host_names_are_resolved_and_checked(target: Target) -> None:
    sender = HttpSender(egress=EgressPolicy.private_denied())
    url = target.url("/echo/named").replace("127.0.0.1", "localhost")
    try:
        result = await post(sender, url)
    finally:
        await sender.aclose()
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "NO_PERMISSIONS")
    assert target.count("/echo/named") == 0


async def test_named_host_keeps_its_host_header(sender: HttpSender, target: Target) -> None:
    url = target.url("/echo/host").replace("127.0.0.1", "localhost")
    assert await post(sender, url) == SendResult.delivered(200)
    port = url.split(":")[2].split("/")[0]
    assert target.last("/echo/host").headers["host"] == f"localhost:{port}"


async def test_non_http_url_is_invalid(sender: HttpSender) -> None:
    result = await post(sender, "ftp://127.0.0.1/x")
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "INVALID_PARAMETER")
