from __future__ import annotations

import asyncio
import gc
import warnings
from datetime import UTC, datetime

import aiohttp
import pytest
from tests.unit.engine.senders.conftest import Target

from busway.engine.senders.egress import EgressPolicy
from busway.engine.senders.http import HttpSender
from busway.model import Outcome, SendResult

pytestmark = pytest.mark.anyio

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def post(sender: HttpSender, url: str) -> SendResult:
    return await sender.send_webhook(url=url, payload=b"{}", message_id="m", secret=None, now=NOW)


async def test_sends_to_one_origin_reuse_a_kept_alive_connection(
    sender: HttpSender, target: Target
) -> None:
    for _ in range(5):
        assert await post(sender, target.url("/echo/keep")) == SendResult.delivered(200)
    assert len(target.connections("/echo/keep")) == 1


async def test_concurrent_sends_share_at_most_max_connections(target: Target) -> None:
    sender = HttpSender(max_connections=4)
    try:
        results = await asyncio.gather(*(post(sender, target.url("/pause")) for _ in range(20)))
    finally:
        await sender.aclose()
    assert results == [SendResult.delivered(200)] * 20
    assert len(target.connections("/pause")) <= 4


async def test_a_capped_answer_does_not_spoil_the_next_send(target: Target) -> None:
    sender = HttpSender(max_response_bytes=1000)
    try:
        assert await post(sender, target.url("/huge")) == SendResult.delivered(200)
        assert await post(sender, target.url("/status/500")) == SendResult.retry(
            "ERROR_FROM_TARGET", "HTTP 500: " + ("boom " * 52)[:256], status=500
        )
    finally:
        await sender.aclose()
    assert target.last("/status/500").peer != target.last("/huge").peer


async def test_denied_ipv6_literal_fails_without_connecting() -> None:
    sender = HttpSender(egress=EgressPolicy(deny=("::1/128",)))
    try:
        result = await post(sender, "http://[::1]:1/")
    finally:
        await sender.aclose()
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "NO_PERMISSIONS")


async def test_a_given_client_is_left_open(target: Target) -> None:
    async with aiohttp.ClientSession() as session:
        sender = HttpSender(client=session)
        assert await post(sender, target.url("/echo/given")) == SendResult.delivered(200)
        await sender.aclose()
        assert not session.closed
        assert await post(sender, target.url("/echo/given")) == SendResult.delivered(200)


async def test_closing_leaves_nothing_open(target: Target) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sender = HttpSender()
        await asyncio.gather(*(post(sender, target.url("/pause")) for _ in range(3)))
        await sender.aclose()
        del sender
        gc.collect()
    assert [str(w.message) for w in caught] == []
