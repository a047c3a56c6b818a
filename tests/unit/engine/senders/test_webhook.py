from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from tests.unit.engine.senders.conftest import Target

from busway.engine.senders.http import HttpSender
from busway.engine.senders.webhook import sign_webhook, verify_webhook
from busway.model import Outcome, SendResult

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = b'{"type":"order.created","data":{"id":1}}'


async def deliver(sender: HttpSender, target: Target, *, secret: str | None, now: datetime) -> None:
    result = await sender.send_webhook(
        url=target.url("/echo/hook"), payload=BODY, message_id="msg_1", secret=secret, now=now
    )
    assert result == SendResult.delivered(200)


@pytest.mark.anyio
async def test_webhook_is_signed_as_standard_webhooks_says(
    sender: HttpSender, target: Target
) -> None:
    await deliver(sender, target, secret=SECRET, now=NOW)
    seen = target.last("/echo/hook")
    stamp = int(NOW.timestamp())
    assert (seen.method, seen.body) == ("POST", BODY)
    assert seen.headers["webhook-id"] == "msg_1"
    assert seen.headers["webhook-timestamp"] == str(stamp)
    digest = hmac.new(KEY, f"msg_1.{stamp}.".encode() + BODY, hashlib.sha256).digest()
    assert seen.headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()
    assert verify_webhook(secret=SECRET, headers=seen.headers, body=BODY, now=NOW)


@pytest.mark.anyio
async def test_retries_keep_the_id_and_restamp(sender: HttpSender, target: Target) -> None:
    later = NOW + timedelta(minutes=10)
    await deliver(sender, target, secret=SECRET, now=NOW)
    await deliver(sender, target, secret=SECRET, now=later)
    first, second = (s for s in target.seen if s.path == "/echo/hook")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.headers["webhook-timestamp"] == str(int(later.timestamp()))
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]


@pytest.mark.anyio
async def test_unsigned_without_secret(sender: HttpSender, target: Target) -> None:
    await deliver(sender, target, secret=None, now=NOW)
    seen = target.last("/echo/hook")
    assert "webhook-signature" not in seen.headers
    assert seen.headers["webhook-id"] == "msg_1"


@pytest.mark.anyio
async def test_malformed_secret_fails_without_sending(sender: HttpSender, target: Target) -> None:
    result = await sender.send_webhook(
        url=target.url("/echo/bad"), payload=BODY, message_id="m", secret="whsec_!!", now=NOW
    )
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "INVALID_PARAMETER")
    assert target.count("/echo/bad") == 0


def signed_headers(*, at: datetime = NOW, body: bytes = BODY) -> dict[str, str]:
    stamp = int(at.timestamp())
    signature = sign_webhook(secret=SECRET, message_id="msg_1", timestamp=stamp, body=body)
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": f"v1,bm90LWl0 {signature}",
    }


def test_verify_accepts_any_matching_signature_in_the_list() -> None:
    assert verify_webhook(secret=SECRET, headers=signed_headers(), body=BODY, now=NOW)


def test_verify_rejects_a_changed_body() -> None:
    assert not verify_webhook(secret=SECRET, headers=signed_headers(), body=BODY + b" ", now=NOW)


def test_verify_rejects_another_secret() -> None:
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    assert not verify_webhook(secret=other, headers=signed_headers(), body=BODY, now=NOW)


def test_verify_rejects_old_or_future_timestamps() -> None:
    headers = signed_headers()
    assert verify_webhook(secret=SECRET, headers=headers, body=BODY, now=NOW + timedelta(minutes=4))
    assert not verify_webhook(
        secret=SECRET, headers=headers, body=BODY, now=NOW + timedelta(minutes=6)
    )
    assert not verify_webhook(
        secret=SECRET, headers=headers, body=BODY, now=NOW - timedelta(minutes=6)
    )


def test_verify_rejects_missing_headers() -> None:
    assert not verify_webhook(secret=SECRET, headers={}, body=BODY, now=NOW)
