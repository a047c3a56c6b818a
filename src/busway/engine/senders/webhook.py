"""Standard Webhooks 1.0 signatures (ecosystem.md §2), for senders and for receivers.

A signed message carries ``webhook-id`` (the same on every retry, so receivers can
de-duplicate), ``webhook-timestamp`` (unix seconds of the attempt) and
``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` entries over
``"{id}.{timestamp}.{body}"``, keyed with the base64 part of a ``whsec_...`` secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

SECRET_PREFIX: Final = "whsec_"
DEFAULT_TOLERANCE: Final = timedelta(minutes=5)


@lru_cache(maxsize=64)
def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional).

    Raises ``ValueError`` when the rest is not base64.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ValueError(f"Webhook secret is not base64 after {SECRET_PREFIX!r}") from error


def sign_webhook(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value (one ``v1,`` entry) for a message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(
    *, message_id: str, timestamp: int, body: bytes, secret: str | None
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt; unsigned when ``secret`` is None."""
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if secret is not None:
        headers["webhook-signature"] = sign_webhook(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        )
    return headers


def verify_webhook(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """Whether a received message is authentic and recent.

    ``headers`` must look names up case-insensitively as HTTP libraries' header maps do,
    or use lower-case keys. True when the timestamp lies within ``tolerance`` of ``now``
    and any ``v1`` entry of ``webhook-signature`` matches.
    """
    message_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp", "")
    if not message_id or not stamp.isdigit():
        return False
    if abs(now.timestamp() - int(stamp)) > tolerance.total_seconds():
        return False
    expected = sign_webhook(secret=secret, message_id=message_id, timestamp=int(stamp), body=body)
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(entry.encode(), expected.encode()) for entry in offered)
