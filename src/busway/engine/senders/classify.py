"""What an HTTP answer means for a delivery (eventbridge.md §5.3).

Error codes are those AWS writes into a dead-letter message's ``ERROR_CODE``:

======================  ==============  ==================================================
code                    outcome         when
======================  ==============  ==================================================
``THROTTLING``          retry           429, or Busway's own per-destination rate limit
``ERROR_FROM_TARGET``   retry / failed  5xx (retried); 1xx, 3xx and other 4xx (not retried)
``TIMEOUT``             retry           no complete answer within the timeout
``CONNECTION_FAILURE``  retry / failed  connect or transport errors (retried); a host that
                                        does not resolve (not retried, as at AWS)
``NO_RESOURCE``         failed          404, 410
``NO_PERMISSIONS``      failed          401, 403, 407, or an address the egress policy denies
``INVALID_PARAMETER``   failed          a request that cannot be built (bad URL, method)
======================  ==============  ==================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Final

from busway.model import SendResult

THROTTLING: Final = "THROTTLING"
ERROR_FROM_TARGET: Final = "ERROR_FROM_TARGET"
TIMEOUT: Final = "TIMEOUT"
CONNECTION_FAILURE: Final = "CONNECTION_FAILURE"
NO_RESOURCE: Final = "NO_RESOURCE"
NO_PERMISSIONS: Final = "NO_PERMISSIONS"
INVALID_PARAMETER: Final = "INVALID_PARAMETER"

SNIPPET_CHARS: Final = 256

_FAILED_CODES: Final = {
    401: NO_PERMISSIONS,
    403: NO_PERMISSIONS,
    407: NO_PERMISSIONS,
    404: NO_RESOURCE,
    410: NO_RESOURCE,
}


def classify_response(
    status: int, *, headers: Mapping[str, str], body: bytes, now: datetime
) -> SendResult:
    """The outcome of an attempt that got an answer with ``status``.

    ``body`` is (the start of) the response body; its first characters go into the
    error message. ``now`` turns an HTTP-date ``Retry-After`` into seconds.
    """
    if 200 <= status < 300:
        return SendResult.delivered(status)
    message = describe_answer(status, body)
    if status == 429 or status >= 500:
        code = THROTTLING if status == 429 else ERROR_FROM_TARGET
        retry_after = parse_retry_after(headers.get("retry-after"), now=now)
        return SendResult.retry(code, message, status=status, retry_after=retry_after)
    return SendResult.failed(_FAILED_CODES.get(status, ERROR_FROM_TARGET), message, status=status)


def describe_answer(status: int, body: bytes) -> str:
    """``"HTTP <status>: <start of body>"``, at most ``SNIPPET_CHARS`` of body text."""
    snippet = body[: SNIPPET_CHARS * 4].decode("utf-8", "replace")[:SNIPPET_CHARS]
    return f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}"


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), or None.

    Negative values are kept: AWS stops retrying when a target sends one.
    """
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return _seconds_until(value, now=now)
    return seconds if math.isfinite(seconds) else None


def _seconds_until(http_date: str, *, now: datetime) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    # A date already past means "now", not the negative value that stops retries.
    return max((moment - now).total_seconds(), 0.0)
