"""Making one HTTP request for the sender: an aiohttp session behind the egress policy.

Host names are resolved by ``EgressResolver``, which checks every address against the
``EgressPolicy`` and hands the connector only those, so a connection (new or kept alive)
always goes to a checked address while the URL, ``Host`` header and TLS server name stay
the target's own. aiohttp connects to IP literals without asking the resolver; those are
checked before the request. Redirects are not followed, cookies are not kept, and at most
``max_response_bytes`` of an answer are read.
"""

from __future__ import annotations

import socket
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from busway.engine.senders.egress import (
    EgressPolicy,
    check_address,
    literal_address,
    resolve_permitted,
)
from busway.engine.senders.plain import PlainClient
from busway.engine.senders.request import Answer, Call

SCHEMES: Final = frozenset({"http", "https"})
# Seconds an idle connection is kept for reuse; short enough not to outlive most servers'.
KEEPALIVE_SECONDS: Final = 15.0
# Seconds a checked DNS answer is reused: the connector re-resolves (and re-checks) after.
DNS_CACHE_SECONDS: Final = 10
MAX_CLEARED_HOSTS: Final = 4096


class EgressResolver(AbstractResolver):
    """Resolves a host to the addresses ``policy`` permits, or raises (see egress.py)."""

    def __init__(self, policy: EgressPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every address of ``host``, all permitted; raises for a denied or unknown host."""
        addresses = await resolve_permitted(host, port, policy=self._policy, family=family)
        return [_result(host, address, port) for address in addresses]

    async def close(self) -> None:
        return None


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": flags,
    }


def open_session(*, egress: EgressPolicy, max_connections: int) -> aiohttp.ClientSession:
    """A session whose connections all go to addresses ``egress`` permits.

    Must be called with an event loop running. The caller's own overall timeout bounds
    each request, so the session sets none.
    """
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        resolver=EgressResolver(egress),
        ttl_dns_cache=DNS_CACHE_SECONDS,
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),
        trust_env=False,
    )


class Transport:
    """Makes requests over one aiohttp session, opened on first use unless given."""

    def __init__(
        self,
        *,
        egress: EgressPolicy,
        max_connections: int,
        max_response_bytes: int,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._egress = egress
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._owns_session = session is None
        self._session = session
        # Host names and permitted IP literals, so that each is parsed and checked once.
        self._cleared: set[str] = set()
        # Only when no session was given: a caller's session (custom TLS, tests) is used
        # for every request.
        self._plain = (
            PlainClient(
                egress=egress,
                max_response_bytes=max_response_bytes,
                max_connections=max_connections,
            )
            if session is None
            else None
        )

    async def fetch(self, call: Call) -> Answer:
        """Make ``call`` and read its answer.

        Raises ``ValueError`` for a URL that is not http(s), ``EgressDeniedError`` for a
        denied address, and aiohttp's or egress.py's errors for failed connections.
        """
        url = call.url
        if url.scheme not in SCHEMES or not url.host:
            raise ValueError(f"Not an http(s) URL: {url}")
        if self._plain is not None and url.scheme == "http" and call.method == "POST":
            return await self._plain.fetch(call)
        if url.host not in self._cleared:
            self._check_literal(url.host)
        response = await self._opened().request(
            call.method, url, headers=call.headers, data=call.content, allow_redirects=False
        )
        try:
            body = await self._read_capped(response)
        finally:
            response.release()
        return Answer(response.status, response.headers, body)

    async def aclose(self) -> None:
        """Close the session if this transport opened it."""
        if self._plain is not None:
            self._plain.close()
        if self._owns_session and self._session is not None:
            await self._session.close()

    def _opened(self) -> aiohttp.ClientSession:
        # Opened on first use: aiohttp binds a session to the loop it is created in.
        if self._session is None:
            self._session = open_session(egress=self._egress, max_connections=self._max_connections)
        return self._session

    def _check_literal(self, host: str) -> None:
        address = literal_address(host)
        if address is not None:
            check_address(host, address, policy=self._egress)
        if len(self._cleared) < MAX_CLEARED_HOSTS:
            self._cleared.add(host)

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        body = bytearray()
        while len(body) < self._max_response_bytes:
            chunk = await response.content.read(self._max_response_bytes - len(body))
            if not chunk:
                return bytes(body)
            body += chunk
        # Unread data stays behind: the connection is closed rather than reused.
        response.close()
        return bytes(body)
