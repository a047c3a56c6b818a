"""The HTTP sender: API destinations (with their connections) and signed webhooks.

Every connection goes to an address the ``EgressPolicy`` permits (see transport.py),
connections are kept alive per origin, each attempt is bounded by one overall timeout
(5 s, as at AWS), redirects are never followed, and at most ``max_response_bytes`` of
the answer are read. What happened comes back as a ``SendResult`` (codes in
``busway.engine.senders.classify``); nothing is raised for a failed delivery. Unlike
AWS, ``http://`` endpoints are accepted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

import aiohttp
from yarl import URL

from busway.engine.senders.classify import (
    CONNECTION_FAILURE,
    INVALID_PARAMETER,
    NO_PERMISSIONS,
    THROTTLING,
    TIMEOUT,
    classify_response,
)
from busway.engine.senders.egress import (
    EgressDeniedError,
    EgressPolicy,
    UnresolvableHostError,
)
from busway.engine.senders.oauth import REFRESH_STATUSES, AccessToken, TokenCache
from busway.engine.senders.ratelimit import TokenBucket
from busway.engine.senders.request import (
    Answer,
    Call,
    Pairs,
    build_invocation,
    dynamic_pairs,
    merge_pairs,
)
from busway.engine.senders.transport import Transport
from busway.engine.senders.webhook import webhook_headers
from busway.model import SendResult, format_time
from busway.transform.cloudevent import cloudevent_request, content_mode

DEFAULT_RATE_LIMIT: Final = 300
# Waits up to this long happen in process; longer ones become a THROTTLING retry.
MAX_INLINE_WAIT: Final = 1.0
WEBHOOK_USER_AGENT: Final = "Busway-Webhooks/1"


class HttpSender:
    """Sends events to HTTP targets over one shared ``aiohttp.ClientSession``.

    ``client`` may be given (tests, custom TLS); the sender then leaves closing it to the
    caller, and the egress policy is checked only for IP-literal hosts unless its
    connector resolves with ``transport.EgressResolver``. Otherwise the session is
    opened on the first send, holding at most ``max_connections`` connections. Token
    caches and rate-limit buckets live as long as the sender.
    """

    def __init__(
        self,
        *,
        egress: EgressPolicy = EgressPolicy(),  # noqa: B008 - frozen and immutable
        timeout: float = 5.0,
        max_response_bytes: int = 1 << 20,
        max_connections: int = 128,
        client: aiohttp.ClientSession | None = None,
    ) -> None:
        self._timeout = timeout
        self._max_response_bytes = max_response_bytes
        self._transport = Transport(
            egress=egress,
            max_connections=max_connections,
            max_response_bytes=max_response_bytes,
            session=client,
        )
        self._tokens = TokenCache()
        self._buckets: dict[str, TokenBucket] = {}

    async def send_to_destination(
        self,
        *,
        destination: Mapping[str, Any],
        connection: Mapping[str, Any],
        http_parameters: Mapping[str, Any] | None,
        event: Mapping[str, Any],
        payload: bytes,
        now: datetime,
    ) -> SendResult:
        """Invoke an API destination with ``payload`` (the event or its rendered input).

        ``event`` is the original event, which JSONPath parameter values read. ``now``
        is the wall-clock time of this attempt (OAuth token expiry, HTTP-date
        ``Retry-After``). Waits up to a second for the destination's rate limit and
        answers ``THROTTLING`` with ``retry_after`` beyond that. Header parameters
        can make the request a CloudEvent (``busway.transform.cloudevent``).
        """
        message_id = str(uuid.uuid4())
        extra, payload = as_cloudevent(
            http_parameters, event=event, payload=payload, message_id=message_id, now=now
        )
        try:
            call = build_invocation(
                destination=destination,
                connection=connection,
                http_parameters=http_parameters,
                event=event,
                payload=payload,
                max_response_bytes=self._max_response_bytes,
            )
        except (ValueError, KeyError, TypeError) as error:
            return SendResult.failed(INVALID_PARAMETER, f"Cannot build the request: {error}")
        for name, value in extra:
            call = call.with_header(name, value)
        throttled = await self._throttle(destination)
        if throttled is not None:
            return throttled
        if connection.get("authorization_type") == "OAUTH_CLIENT_CREDENTIALS":
            return await self._send_with_oauth(call, connection=connection, now=now)
        return await self._send(call, now=now)

    async def send_webhook(
        self,
        *,
        url: str,
        payload: bytes,
        message_id: str,
        secret: str | None,
        now: datetime,
        http_parameters: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] | None = None,
    ) -> SendResult:
        """POST ``payload`` to ``url`` with Standard Webhooks headers.

        ``message_id`` must be the same on every retry of one delivery; the timestamp
        is ``now``'s unix seconds; no signature is sent when ``secret`` is None. The
        target's header parameters are added (JSONPath values read ``event``) and can
        make the request a CloudEvent; the signature covers the body as sent.
        """
        extra, payload = as_cloudevent(
            http_parameters, event=event, payload=payload, message_id=message_id, now=now
        )
        try:
            signed = webhook_headers(
                message_id=message_id,
                timestamp=int(now.timestamp()),
                body=payload,
                secret=secret,
            )
            target = _parse_url(url)
        except ValueError as error:
            return SendResult.failed(INVALID_PARAMETER, str(error))
        headers = merge_pairs(
            (("User-Agent", WEBHOOK_USER_AGENT), ("Content-Type", "application/json")),
            dynamic_pairs(http_parameters or {}, "header_parameters", event=event or {}),
            extra,
            signed.items(),
        )
        return await self._send(Call("POST", target, headers, payload), now=now)

    async def aclose(self) -> None:
        """Close the HTTP client if this sender created it."""
        await self._transport.aclose()

    async def _throttle(self, destination: Mapping[str, Any]) -> SendResult | None:
        rate = float(destination.get("invocation_rate_limit_per_second") or DEFAULT_RATE_LIMIT)
        name = str(destination.get("name", ""))
        bucket = self._buckets.get(name)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[name] = TokenBucket(rate)
        wait = bucket.reserve(time.monotonic(), max_wait=MAX_INLINE_WAIT)
        if wait > MAX_INLINE_WAIT:
            message = f"Invocation rate limit of {rate:g}/s for API destination {name} reached"
            return SendResult.retry(THROTTLING, message, retry_after=wait)
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    async def _send_with_oauth(
        self, call: Call, *, connection: Mapping[str, Any], now: datetime
    ) -> SendResult:
        stale: AccessToken | None = None
        for _ in range(2):
            token = await self._tokens.token(
                connection, now=now, fetch=lambda c: self._fetch(c, now=now), stale=stale
            )
            if isinstance(token, SendResult):
                return token
            result = await self._send(
                call.with_header("Authorization", token.authorization), now=now
            )
            if result.status not in REFRESH_STATUSES:
                return result
            stale = token
        return result

    async def _send(self, call: Call, *, now: datetime) -> SendResult:
        answer = await self._fetch(call, now=now)
        if isinstance(answer, SendResult):
            return answer
        return classify_response(answer.status, headers=answer.headers, body=answer.body, now=now)

    async def _fetch(self, call: Call, *, now: datetime) -> Answer | SendResult:
        """Make ``call``; an answer of any status, or a SendResult when there was none."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._transport.fetch(call)
        except TimeoutError:
            return SendResult.retry(TIMEOUT, f"No answer within {self._timeout:g} s")
        except aiohttp.ClientConnectorDNSError as error:
            return _refusal(error.__cause__ or error)
        except (EgressDeniedError, UnresolvableHostError, ValueError) as error:
            return _refusal(error)
        except (aiohttp.ClientError, OSError) as error:
            return SendResult.retry(CONNECTION_FAILURE, f"{type(error).__name__}: {error}")


def as_cloudevent(
    http_parameters: Mapping[str, Any] | None,
    *,
    event: Mapping[str, Any] | None,
    payload: bytes,
    message_id: str,
    now: datetime,
) -> tuple[Pairs, bytes]:
    """The headers to add and the body to send: ``payload`` as it is, or as a
    CloudEvent when the target's header parameters ask for one."""
    mode = content_mode((http_parameters or {}).get("header_parameters"))
    if mode is None:
        return (), payload
    return cloudevent_request(
        payload, mode=mode, event=event, fallback_id=message_id, fallback_time=format_time(now)
    )


@lru_cache(maxsize=1024)
def _parse_url(url: str) -> URL:
    # A webhook URL comes again with every event it receives: parse it once.
    return URL(url)


def _refusal(error: BaseException) -> SendResult:
    """The outcome of a request that was never sent: the address, name or URL is bad."""
    if isinstance(error, EgressDeniedError):
        return SendResult.failed(NO_PERMISSIONS, str(error))
    if isinstance(error, UnresolvableHostError):
        return SendResult.failed(CONNECTION_FAILURE, str(error))
    if isinstance(error, ValueError):
        return SendResult.failed(INVALID_PARAMETER, str(error))
    return SendResult.retry(CONNECTION_FAILURE, f"{type(error).__name__}: {error}")
