"""Who may open a WebSocket or use the ``@connections`` routes.

With authentication on, a WebSocket handshake needs ``Authorization: Bearer ID:SECRET``
(a configured access key pair, which allows everything) or a connect token
(``connect_token``) that an application signs with such a pair and hands to one user's
browser, which passes it as ``?token=``: it allows only its channel and key (without a
key, only the channel's broadcasts) until it expires. A key pair in the URL is refused:
servers and proxies log URLs.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import orjson
from starlette.websockets import WebSocket

from busway.api.aws.endpoint import Authenticate
from busway.errors import ProtocolError

_BEARER: Final = "bearer "
TOKEN_PREFIX: Final = "bw1."


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token lets a connection subscribe to: anything (``channel`` None), or
    only ``channel`` (and only ``key`` in it, when not None)."""

    channel: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Access:
    """Who may connect: anyone when ``credentials`` is None (authentication off);
    otherwise a bearer token ``ID:SECRET`` of ``credentials``, a connect token signed
    with one of them (``connect_token``), or (HTTP routes only) a request
    ``signature`` check passes."""

    credentials: Mapping[str, str] | None = None
    signature: Authenticate | None = None

    def admit(self, token: str | None, *, now: datetime) -> Grant:
        """What ``token`` grants. Raises ``ProtocolError`` (401, 403) when it grants nothing."""
        if self.credentials is None:
            return Grant()
        if not token:
            raise ProtocolError(
                "MissingAuthenticationToken", "Missing Authentication Token", status=401
            )
        if token.startswith(TOKEN_PREFIX):
            return self._connect_grant(token, now=now)
        key_id, _, secret = token.partition(":")
        expected = self.credentials.get(key_id)
        if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise _INVALID_TOKEN
        return Grant()

    def _connect_grant(self, token: str, *, now: datetime) -> Grant:
        body, _, signature = token.removeprefix(TOKEN_PREFIX).partition(".")
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            secret = (self.credentials or {})[claims["kid"]]
            channel, key, expires = str(claims["channel"]), claims.get("key"), float(claims["exp"])
        except (ValueError, KeyError, TypeError):
            raise _INVALID_TOKEN from None
        if not hmac.compare_digest(signature, _sign(secret, body)):
            raise _INVALID_TOKEN
        if now.timestamp() >= expires:
            raise ProtocolError("ExpiredToken", "The connect token has expired.", status=401)
        return Grant(channel, None if key is None else str(key))


_KEY_PAIR_IN_URL = (
    "An access key pair goes in the Authorization header, never in the URL; "
    "give browsers a connect token."
)
_INVALID_TOKEN = ProtocolError(
    "UnrecognizedClient", "The security token included in the request is invalid.", status=403
)


def connect_token(
    *,
    access_key_id: str,
    secret_access_key: str,
    channel: str,
    key: str | None,
    expires_at: datetime,
) -> str:
    """A token that lets its holder (e.g. a browser, as ``?token=``) subscribe to
    ``channel``, only under ``key`` when given, until ``expires_at``; signed with a
    configured access key pair, which it does not reveal."""
    claims = {
        "kid": access_key_id,
        "channel": channel,
        "key": key,
        "exp": int(expires_at.timestamp()),
    }
    body = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    return f"{TOKEN_PREFIX}{body}.{_sign(secret_access_key, body)}"


def _sign(secret: str, body: str) -> str:
    digest = hmac.digest(secret.encode(), (TOKEN_PREFIX + body).encode(), "sha256")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def bearer_token(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization[: len(_BEARER)].lower() == _BEARER:
        return authorization[len(_BEARER) :].strip()
    return None


def handshake_token(websocket: WebSocket) -> str | None:
    """The handshake's token: from its Authorization header, or (connect tokens only:
    servers log URLs) from ``?token=``."""
    token = bearer_token(websocket.headers)
    if token is not None:
        return token
    token = websocket.query_params.get("token")
    if token and not token.startswith(TOKEN_PREFIX):
        raise ProtocolError("Forbidden", _KEY_PAIR_IN_URL, status=403)
    return token
