"""HTTP sends served by a real child process, against the real loopback server."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from tests.unit.engine.senders.conftest import Target

from busway.engine.senders.classify import CONNECTION_FAILURE
from busway.engine.senders.http import HttpSender
from busway.engine.senders.offload import (
    RemoteHttpSender,
    SenderOptions,
    decode_arguments,
    decode_result,
    encode_arguments,
    encode_result,
)
from busway.model import Outcome, SendResult

NOW = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
BODY = '{"detail":{"name":"Zoë"}}'.encode()


@pytest.fixture
async def remote() -> AsyncIterator[RemoteHttpSender]:
    sender = RemoteHttpSender(SenderOptions(timeout=2.0))
    await sender.start()
    yield sender
    await sender.aclose()


async def webhook(sender: HttpSender | RemoteHttpSender, url: str) -> SendResult:
    return await sender.send_webhook(
        url=url, payload=BODY, message_id="msg_1", secret=SECRET, now=NOW
    )


def test_arguments_and_results_survive_the_trip() -> None:
    raw = {"payload": bytes(range(256)), "now": NOW, "event": {"a": [1, None]}, "secret": None}
    assert decode_arguments(encode_arguments(raw)) == raw
    result = SendResult.retry("THROTTLING", "slow down", status=429, retry_after=2.5)
    assert decode_result(encode_result(7, result)) == result


@pytest.mark.anyio
async def test_a_webhook_sent_by_the_child_is_the_one_sent_in_process(
    remote: RemoteHttpSender, target: Target
) -> None:
    assert remote.pid is not None and remote.pid != os.getpid()
    local = HttpSender(timeout=2.0)
    try:
        assert await webhook(local, target.url("/echo/local")) == SendResult.delivered(200)
    finally:
        await local.aclose()
    assert await webhook(remote, target.url("/echo/remote")) == SendResult.delivered(200)
    here, there = target.last("/echo/local"), target.last("/echo/remote")
    assert there.body == here.body == BODY
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type"):
        assert there.headers[name] == here.headers[name]


@pytest.mark.anyio
async def test_failures_come_back_as_the_same_results(
    remote: RemoteHttpSender, target: Target
) -> None:
    local = HttpSender(timeout=2.0)
    try:
        for path in ("/status/503?retry_after=7", "/status/404", "/status/429"):
            expected = await webhook(local, target.url(path))
            assert await webhook(remote, target.url(path)) == expected
    finally:
        await local.aclose()


@pytest.mark.anyio
async def test_many_calls_at_once_each_get_their_own_answer(
    remote: RemoteHttpSender, target: Target
) -> None:
    paths = [f"/echo/{i}" if i % 3 else "/status/500" for i in range(60)]
    results = await asyncio.gather(*(webhook(remote, target.url(p)) for p in paths))
    for path, result in zip(paths, results, strict=True):
        expected = Outcome.RETRY if path == "/status/500" else Outcome.DELIVERED
        assert result.outcome is expected, (path, result)
    assert target.count("/echo/1") == 1


@pytest.mark.anyio
async def test_an_api_destination_is_invoked_from_the_child(
    remote: RemoteHttpSender, target: Target
) -> None:
    result = await remote.send_to_destination(
        destination={
            "name": "orders",
            "invocation_endpoint": target.url("/echo/orders/*"),
            "http_method": "PUT",
        },
        connection={
            "name": "conn",
            "authorization_type": "API_KEY",
            "auth_parameters": {
                "api_key_auth_parameters": {"api_key_name": "x-key", "api_key_value": "s3cret"}
            },
        },
        http_parameters={"path_parameter_values": ["$.detail.id"]},
        event={"detail": {"id": "o-1"}},
        payload=BODY,
        now=NOW,
    )
    assert result == SendResult.delivered(200)
    seen = target.last("/echo/orders/o-1")
    assert (seen.method, seen.headers["x-key"], seen.body) == ("PUT", "s3cret", BODY)


@pytest.mark.anyio
async def test_a_killed_child_fails_its_calls_for_retry_and_is_replaced(
    remote: RemoteHttpSender, target: Target
) -> None:
    first = remote.pid
    assert first is not None
    call = asyncio.create_task(webhook(remote, target.url("/slow")))
    await _until(lambda: target.count("/slow") == 1)
    os.kill(first, signal.SIGKILL)
    lost = await asyncio.wait_for(call, 5)
    assert (lost.outcome, lost.error_code) == (Outcome.RETRY, CONNECTION_FAILURE)
    assert await webhook(remote, target.url("/echo/after")) == SendResult.delivered(200)
    assert remote.pid not in (None, first)


@pytest.mark.anyio
async def test_closing_stops_the_child(target: Target) -> None:
    sender = RemoteHttpSender(SenderOptions())
    assert await webhook(sender, target.url("/echo/once")) == SendResult.delivered(200)
    pid = sender.pid
    assert pid is not None
    await sender.aclose()
    assert sender.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: the child has exited


@pytest.mark.anyio
async def test_without_a_child_it_sends_from_this_process(target: Target) -> None:
    sender = RemoteHttpSender(SenderOptions(), python="/nonexistent/python")
    try:
        assert await webhook(sender, target.url("/echo/fallback")) == SendResult.delivered(200)
        assert sender.pid is None
    finally:
        await sender.aclose()
    assert target.count("/echo/fallback") == 1


async def _until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
