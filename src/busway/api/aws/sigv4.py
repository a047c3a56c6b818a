# botocore ships no type information.
# mypy: disable-error-code="import-untyped", allow-subclassing-any
"""AWS Signature Version 4 on incoming requests, checked with botocore's own signer.

The expected signature is computed by ``botocore.auth.SigV4Auth`` over the request as
received: exactly the headers the client listed in ``SignedHeaders`` (whatever else a
proxy or the server added is left out), the client's own ``X-Amz-Date``, and the region
and service of the client's credential scope. Errors are AWS's codes and messages; the
JSON services answer them with HTTP 400, Scheduler (REST) with 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from busway.errors import ProtocolError

__all__ = ["ALGORITHM", "MAX_CLOCK_SKEW", "verify_signature"]

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = timedelta(minutes=15)
_REST_SERVICES = frozenset({"scheduler"})
_REQUIRED_PARTS = ("Credential", "Signature", "SignedHeaders")
_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def verify_signature(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    now: datetime,
) -> str:
    """Check the request's SigV4 ``Authorization`` header; return its access key id.

    ``path`` and ``query`` are as sent on the wire (still percent-encoded, e.g.
    Starlette's ``scope["raw_path"]`` and ``scope["query_string"]``); ``headers`` may
    be any mapping (names are matched case-insensitively); ``secrets`` maps access key
    ids to secret keys. Raises ``ProtocolError`` with AWS's code and message:
    ``MissingAuthenticationTokenException``, ``IncompleteSignatureException``,
    ``UnrecognizedClientException`` or ``InvalidSignatureException``.
    """
    lowered = _lower_headers(headers)
    authorization = lowered.get("authorization")
    if not authorization:
        raise ProtocolError("MissingAuthenticationTokenException", "Missing Authentication Token")
    parts = _parse_authorization(authorization, lowered)
    access_key, date, region, service = _parse_credential(parts["Credential"])
    status = 403 if service in _REST_SERVICES else 400
    timestamp = _request_timestamp(lowered, date, status=status)
    _check_clock(timestamp, now, status=status)
    secret = secrets.get(access_key)
    if secret is None:
        raise ProtocolError(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            status=status,
        )
    signed = [name.strip().lower() for name in parts["SignedHeaders"].split(";")]
    expected = _ReceivedRequestSigner(
        Credentials(access_key, secret),
        service,
        region,
        signed_headers={name: lowered.get(name, "") for name in signed},
    ).expected_signature(method=method, path=path, query=query, body=body, timestamp=timestamp)
    if not hmac.compare_digest(expected, parts["Signature"]):
        raise ProtocolError("InvalidSignatureException", _BAD_SIGNATURE, status=status)
    return access_key


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's signer, told which headers the client signed instead of choosing them
    itself (it would add ``host``, drop ``user-agent``, and trust a client's
    ``X-Amz-Content-SHA256`` instead of hashing the body we received)."""

    def __init__(
        self, credentials: Credentials, service: str, region: str, *, signed_headers: dict[str, str]
    ) -> None:
        super().__init__(credentials, service, region)
        self._signed_headers = signed_headers

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        chosen = HTTPHeaders()
        for name, value in self._signed_headers.items():
            chosen[name] = value
        return chosen

    def expected_signature(
        self, *, method: str, path: str, query: str, body: bytes, timestamp: str
    ) -> str:
        url = f"http://busway.invalid{path or '/'}" + (f"?{query}" if query else "")
        request = AWSRequest(method=method, url=url, data=body)
        request.context["timestamp"] = timestamp
        canonical = self.canonical_request(request)
        signature: str = self.signature(self.string_to_sign(request, canonical), request)
        return signature


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # Repeated headers are signed as one, their values joined by commas (SigV4 spec).
    lowered: dict[str, str] = {}
    items: Any = headers.items()
    for name, value in items:
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    return lowered


def _parse_authorization(authorization: str, headers: Mapping[str, str]) -> dict[str, str]:
    algorithm, _, rest = authorization.strip().partition(" ")
    parts: dict[str, str] = {}
    for piece in rest.replace(",", " ").split():
        key, _, value = piece.partition("=")
        parts[key] = value
    problems = [
        f"Authorization header requires '{name}' parameter. "
        for name in _REQUIRED_PARTS
        if not parts.get(name)
    ]
    if "x-amz-date" not in headers and "date" not in headers:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems:
        message = "".join(problems) + f"Authorization={authorization}"
        raise ProtocolError("IncompleteSignatureException", message)
    if algorithm != ALGORITHM:
        raise ProtocolError(
            "IncompleteSignatureException", f"Unsupported AWS 'algorithm': '{algorithm}'"
        )
    return parts


def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    pieces = credential.split("/")
    if len(pieces) != 5 or pieces[4] != "aws4_request":
        raise ProtocolError(
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'",
        )
    access_key, date, region, service, _ = pieces
    return access_key, date, region, service


def _request_timestamp(headers: Mapping[str, str], scope_date: str, *, status: int) -> str:
    """The request's time as SigV4 writes it (``20240101T000000Z``)."""
    raw = headers.get("x-amz-date")
    try:
        when = (
            datetime.strptime(raw, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
            if raw is not None
            else parsedate_to_datetime(headers["date"]).astimezone(UTC)
        )
    except (ValueError, TypeError) as error:
        raise ProtocolError(
            "IncompleteSignatureException",
            f"Date must be in ISO-8601 'basic format'. Got '{raw or headers['date']}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601",
            status=status,
        ) from error
    timestamp = when.strftime(SIGV4_TIMESTAMP)
    if timestamp[:8] != scope_date:
        raise ProtocolError(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope_date}' != '{timestamp[:8]}', from '{timestamp}'.",
            status=status,
        )
    return timestamp


def _check_clock(timestamp: str, now: datetime, *, status: int) -> None:
    signed_at = datetime.strptime(timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    now = now.astimezone(UTC)
    now_text = now.strftime(SIGV4_TIMESTAMP)
    if signed_at < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        raise ProtocolError(
            "InvalidSignatureException",
            f"Signature expired: {timestamp} is now earlier than {earliest} ({now_text} - 15 min.)",
            status=status,
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        raise ProtocolError(
            "InvalidSignatureException",
            f"Signature not yet current: {timestamp} is still later than {latest} "
            f"({now_text} + 15 min.)",
            status=status,
        )
