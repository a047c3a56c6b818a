"""The HTTP sender: API destinations (with their connections) and signed webhooks.

Every attempt resolves the target host and checks each address against the
``EgressPolicy`` before connecting, is bounded by one overall timeout (5 s, as at AWS),
never follows redirects, and reads at most ``max_response_bytes`` of the answer. What
happened comes back as a ``SendResult`` (codes in ``busway.engine.senders.classify``);
nothing is raised for a failed delivery. Unlike AWS, ``http://`` endpoints are accepted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import httpx

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
    resolve_permitted,
)
from busway.engine.senders.oauth import REFRESH_STATUSES, AccessToken, TokenCache
from busway.engine.senders.ratelimit import TokenBucket
from busway.engine.senders.request import Answer, Call, build_invocation
from busway.engine.senders.webhook import webhook_headers
from busway.model import SendResult

DEFAULT_RATE_LIMIT: Final = 300
# Waits up to this long happen in process; longer ones become a THROTTLING retry.
MAX_INLINE_WAIT: Final = 1.0
WEBHOOK_USER_AGENT: Final = "Busway-Webhooks/1"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class HttpSender:
    """Sends events to HTTP targets over one shared ``httpx.AsyncClient``.

    ``client`` may be given (tests, custom TLS); the sender then leaves closing it to
    the caller. Token caches and rate-limit buckets live as long as the sender.
    """

    def __init__(
        self,
        *,
        egress: EgressPolicy = EgressPolicy(),  # noqa: B008 - frozen and immutable
        timeout: float = 5.0,
        max_response_bytes: int = 1 << 20,
        max_connections: int = 128,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._egress = egress
        self._timeout = timeout
        self._max_response_bytes = max_response_bytes
        self._owns_client = client is None
        # Keep-alive as many connections as may be open: httpcore closes idle connections
        # whenever the pool holds more than max_keepalive_connections (it counts every
        # connection, not the idle ones), which under load reconnects on every request.
        # The dispatcher runs at most max_connections sends, so requests never queue in
        # the pool, whose queue handling costs O(queued x connections) per request.
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False, limits=limits
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
        answers ``THROTTLING`` with ``retry_after`` beyond that.
        """
        try:
            call = build_invocation(
                destination=destination,
                connection=connection,
                http_parameters=http_parameters,
                event=event,
                payload=payload,
                max_response_bytes=self._max_response_bytes,
            )
        except (ValueError, KeyError, TypeError, httpx.InvalidURL) as error:
            return SendResult.failed(INVALID_PARAMETER, f"Cannot build the request: {error}")
        throttled = await self._throttle(destination)
        if throttled is not None:
            return throttled
        if connection.get("authorization_type") == "OAUTH_CLIENT_CREDENTIALS":
            return await self._send_with_oauth(call, connection=connection, now=now)
        return await self._send(call, now=now)

    async def send_webhook(
        self, *, url: str, payload: bytes, message_id: str, secret: str | None, now: datetime
    ) -> SendResult:
        """POST ``payload`` to ``url`` with Standard Webhooks headers.

        ``message_id`` must be the same on every retry of one delivery; the timestamp
        is ``now``'s unix seconds; no signature is sent when ``secret`` is None.
        """
        try:
            signed = webhook_headers(
                message_id=message_id,
                timestamp=int(now.timestamp()),
                body=payload,
                secret=secret,
            )
            target = httpx.URL(url)
        except (ValueError, httpx.InvalidURL) as error:
            return SendResult.failed(INVALID_PARAMETER, str(error))
        headers = (
            ("User-Agent", WEBHOOK_USER_AGENT),
            ("Content-Type", "application/json"),
            *signed.items(),
        )
        return await self._send(Call("POST", target, headers, payload), now=now)

    async def aclose(self) -> None:
        """Close the HTTP client if this sender created it."""
        if self._owns_client:
            await self._client.aclose()

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
                return await self._receive(await self._pinned_request(call))
        except (TimeoutError, httpx.TimeoutException):
            return SendResult.retry(TIMEOUT, f"No answer within {self._timeout:g} s")
        except EgressDeniedError as error:
            return SendResult.failed(NO_PERMISSIONS, str(error))
        except UnresolvableHostError as error:
            return SendResult.failed(CONNECTION_FAILURE, str(error))
        except (httpx.UnsupportedProtocol, httpx.InvalidURL, ValueError) as error:
            return SendResult.failed(INVALID_PARAMETER, str(error))
        except httpx.TransportError as error:
            return SendResult.retry(CONNECTION_FAILURE, f"{type(error).__name__}: {error}")

    async def _pinned_request(self, call: Call) -> httpx.Request:
        url = call.url
        if url.scheme not in _DEFAULT_PORTS or not url.host:
            raise ValueError(f"Not an http(s) URL: {url}")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        address = await resolve_permitted(url.host, port, policy=self._egress)
        headers = httpx.Headers(call.headers)
        extensions: dict[str, Any] = {}
        if address != url.host:
            headers.setdefault("Host", url.netloc.decode("ascii"))
            if url.scheme == "https":
                extensions["sni_hostname"] = url.host
            url = url.copy_with(host=address)
        return self._client.build_request(
            call.method, url, headers=headers, content=call.content, extensions=extensions
        )

    async def _receive(self, request: httpx.Request) -> Answer:
        response = await self._client.send(request, stream=True, follow_redirects=False)
        try:
            body = await self._read_capped(response)
        finally:
            await response.aclose()
        return Answer(response.status_code, dict(response.headers), body)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk[: self._max_response_bytes - len(body)]
            if len(body) >= self._max_response_bytes:
                break
        return bytes(body)
