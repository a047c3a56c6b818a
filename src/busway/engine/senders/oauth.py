"""OAuth client-credentials tokens for OAUTH_CLIENT_CREDENTIALS connections.

The token request goes to ``authorization_endpoint`` with the connection's
``http_method``; the client id and secret travel as HTTP Basic credentials (RFC 6749
§2.3.1) and the connection's ``o_auth_http_parameters`` add headers, query parameters
and form-encoded body parameters (in the query for GET), which is where users put
``grant_type=client_credentials``, ``scope`` or ``audience``. Tokens are cached per
connection and renewed when they are within a minute of expiring (as AWS does) or when
the destination answers 401 or 407.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

import orjson
from yarl import URL

from busway.engine.senders.classify import NO_PERMISSIONS, classify_response
from busway.engine.senders.request import (
    Answer,
    Call,
    basic_authorization,
    merge_pairs,
    pairs,
    with_params,
)
from busway.model import SendResult

RENEW_BEFORE: Final = timedelta(seconds=60)
REFRESH_STATUSES: Final = frozenset({401, 407})
# Bounds an absurd expires_in so that the expiry time stays representable.
_LONGEST_LIFETIME: Final = timedelta(days=366)

Fetch = Callable[[Call], Awaitable[Answer | SendResult]]
CacheKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer of access: ``Authorization: <token_type> <access_token>``."""

    token_type: str
    access_token: str
    expires_at: datetime | None = None

    @property
    def authorization(self) -> str:
        return f"{self.token_type} {self.access_token}"

    def fresh(self, now: datetime) -> bool:
        """Whether the token is good for more than ``RENEW_BEFORE`` from ``now``."""
        return self.expires_at is None or now < self.expires_at - RENEW_BEFORE


class TokenCache:
    """Tokens per connection; one token request at a time per connection."""

    def __init__(self) -> None:
        self._tokens: dict[CacheKey, AccessToken] = {}
        self._locks: dict[CacheKey, asyncio.Lock] = {}

    async def token(
        self,
        connection: Mapping[str, Any],
        *,
        now: datetime,
        fetch: Fetch,
        stale: AccessToken | None = None,
    ) -> AccessToken | SendResult:
        """A fresh token for ``connection``, requested with ``fetch`` unless cached.

        ``stale`` is a token the destination just refused: it is not handed out again,
        but a newer token another caller fetched meanwhile is.
        """
        key = cache_key(connection)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached is not None and cached != stale and cached.fresh(now):
                return cached
            outcome = await request_token(connection, now=now, fetch=fetch)
            if isinstance(outcome, AccessToken):
                self._tokens[key] = outcome
            else:
                self._tokens.pop(key, None)
            return outcome


def cache_key(connection: Mapping[str, Any]) -> CacheKey:
    """Which cached token serves ``connection``: changing its endpoint or client renews it."""
    oauth = connection["auth_parameters"]["o_auth_parameters"]
    client = oauth["client_parameters"]
    return (str(connection.get("name", "")), oauth["authorization_endpoint"], client["client_id"])


async def request_token(
    connection: Mapping[str, Any], *, now: datetime, fetch: Fetch
) -> AccessToken | SendResult:
    """Ask the authorization endpoint for a token; a failure comes back as a SendResult."""
    answer = await fetch(token_call(connection["auth_parameters"]["o_auth_parameters"]))
    if isinstance(answer, SendResult):
        return _prefixed(answer)
    if not 200 <= answer.status < 300:
        return _prefixed(
            classify_response(answer.status, headers=answer.headers, body=answer.body, now=now)
        )
    try:
        return parse_token(answer.body, now=now)
    except ValueError as error:
        return SendResult.failed(
            NO_PERMISSIONS, f"OAuth token response: {error}", status=answer.status
        )


def token_call(oauth: Mapping[str, Any]) -> Call:
    """The token request of a connection's ``o_auth_parameters``."""
    client = oauth["client_parameters"]
    method = str(oauth.get("http_method") or "POST").upper()
    extra = oauth.get("o_auth_http_parameters") or {}
    headers = merge_pairs(
        (
            ("Authorization", basic_authorization(client["client_id"], client["client_secret"])),
            ("Accept", "application/json"),
        ),
        pairs(extra.get("header_parameters")),
    )
    query = pairs(extra.get("query_string_parameters"))
    body = pairs(extra.get("body_parameters"))
    url = URL(oauth["authorization_endpoint"])
    if method == "GET":
        return Call(method, with_params(url, query + body), headers)
    form = ("Content-Type", "application/x-www-form-urlencoded")
    return Call(
        method,
        with_params(url, query),
        merge_pairs((form,), headers),
        urlencode(body).encode(),
    )


def parse_token(body: bytes, *, now: datetime) -> AccessToken:
    """The token in a JSON token response. Raises ``ValueError`` when there is none."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("access_token"), str):
        raise ValueError("no access_token")
    expires_in = document.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = now + min(timedelta(seconds=max(expires_in, 0)), _LONGEST_LIFETIME)
    token_type = str(document.get("token_type") or "Bearer")
    return AccessToken(token_type, document["access_token"], expires_at)


def _prefixed(result: SendResult) -> SendResult:
    message = f"OAuth authorization endpoint: {result.error_message}"
    return SendResult(result.outcome, result.status, result.error_code, message, result.retry_after)
