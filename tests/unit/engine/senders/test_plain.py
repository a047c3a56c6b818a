"""The lean client behind plain ``http://`` POSTs, on the loop the server runs (uvloop)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.unit.engine.senders.conftest import Target
from yarl import URL

from busway.engine.senders.egress import EgressPolicy
from busway.engine.senders.http import HttpSender
from busway.engine.senders.plain import PlainClient
from busway.engine.senders.request import Call
from busway.model import Outcome, SendResult

pytestmark = pytest.mark.anyio

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return "asyncio", {"use_uvloop": True}


def client(max_connections: int = 8) -> PlainClient:
    return PlainClient(
        egress=EgressPolicy(), max_response_bytes=1000, max_connections=max_connections
    )


async def test_webhooks_on_uvloop_arrive_over_one_kept_alive_connection(target: Target) -> None:
    sender = HttpSender()
    try:
        for n in range(3):
            result = await sender.send_webhook(
                url=target.url("/echo/uv"),
                payload=b'{"n":%d}' % n,
                message_id="m",
                secret=None,
                now=NOW,
            )
            assert result == SendResult.delivered(200)
    finally:
        await sender.aclose()
    assert [seen.body for seen in target.seen] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert target.last("/echo/uv").headers["webhook-id"] == "m"
    assert len(target.connections("/echo/uv")) == 1


async def test_answers_carry_status_lower_case_headers_and_the_body(target: Target) -> None:
    plain = client()
    try:
        answer = await plain.fetch(Call("POST", URL(target.url("/status/503")), (), b"{}"))
    finally:
        plain.close()
    assert answer.status == 503
    assert answer.headers["content-length"] == str(len(answer.body))
    assert answer.body.startswith(b"boom")


async def test_a_header_with_a_line_break_is_refused_before_sending(target: Target) -> None:
    plain = client()
    call = Call("POST", URL(target.url("/echo/split")), (("X-A", "1\r\nX-B: 2"),), b"{}")
    with pytest.raises(ValueError, match="line break"):
        await plain.fetch(call)
    plain.close()
    assert target.count("/echo/split") == 0


async def test_a_cancelled_send_closes_its_connection(target: Target) -> None:
    plain = client()
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await plain.fetch(Call("POST", URL(target.url("/slow")), (), b"{}"))
        answer = await plain.fetch(Call("POST", URL(target.url("/echo/after")), (), b"{}"))
    finally:
        plain.close()
    assert answer.status == 200
    assert target.last("/echo/after").peer != target.last("/slow").peer


async def test_an_unreachable_port_is_a_connection_failure_to_retry() -> None:
    sender = HttpSender()
    try:
        result = await sender.send_webhook(
            url="http://127.0.0.1:1/", payload=b"{}", message_id="m", secret=None, now=NOW
        )
    finally:
        await sender.aclose()
    assert result.outcome is Outcome.RETRY
    assert result.error_code == "CONNECTION_FAILURE"


async def test_an_answer_without_a_length_ends_with_its_connection() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    plain = client()
    try:
        got = await plain.fetch(Call("POST", URL(f"http://127.0.0.1:{port}/"), (), b"{}"))
    finally:
        plain.close()
        server.close()
        await server.wait_closed()
    assert (got.status, got.body) == (200, b"all of it")
