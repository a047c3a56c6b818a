"""Which addresses HTTP targets may reach, and resolving a host to one it may.

A target's host is resolved, every address it resolves to is checked, and connections
are then made to those checked addresses only (the sender's resolver hands them to the
HTTP client), so that a second DNS answer cannot swap in an address that was never
checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from functools import cached_property

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Loopback, RFC 1918, link-local (incl. cloud metadata at 169.254.169.254), CGNAT,
# unique-local and the unspecified addresses: what an SSRF guard usually keeps out.
PRIVATE_RANGES = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
)


class EgressDeniedError(PermissionError):
    """A target host resolves to an address the egress policy does not permit."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"Address {address} of host {host} is denied by the egress policy")


class UnresolvableHostError(LookupError):
    """A target host has no address."""

    def __init__(self, host: str, reason: str) -> None:
        self.host = host
        super().__init__(f"Could not resolve host {host}: {reason}")


@dataclass(frozen=True)
class EgressPolicy:
    """Address allow and deny lists (CIDRs) for HTTP targets.

    An address is permitted when no ``deny`` network holds it and, if ``allow`` is not
    empty, some ``allow`` network does. ``EgressPolicy.private_denied()`` is the usual
    SSRF guard.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def private_denied(cls) -> EgressPolicy:
        """A policy that denies loopback, private and link-local ranges (``PRIVATE_RANGES``)."""
        return cls(deny=PRIVATE_RANGES)

    def permits(self, address: str) -> bool:
        """Whether ``address`` (IPv4 or IPv6 text) may be connected to."""
        ip = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self._deny):
            return False
        return not self._allow or any(ip in network for network in self._allow)

    @cached_property
    def _allow(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in self.allow)

    @cached_property
    def _deny(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in self.deny)


def literal_address(host: str) -> str | None:
    """``host`` in canonical form when it is an IP address, else None (a name)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def check_address(host: str, address: str, *, policy: EgressPolicy) -> None:
    """Raise ``EgressDeniedError`` unless ``policy`` permits ``address`` (of ``host``)."""
    if not policy.permits(address):
        raise EgressDeniedError(host, address)


async def resolve_permitted(
    host: str, port: int, *, policy: EgressPolicy, family: int = socket.AF_UNSPEC
) -> list[str]:
    """Every address of ``host``, IPv4 first, after checking all of them against ``policy``.

    Raises ``UnresolvableHostError`` or ``EgressDeniedError``.
    """
    addresses = await _resolve(host, port, family=family)
    for address in addresses:
        check_address(host, address, policy=policy)
    return addresses


async def _resolve(host: str, port: int, *, family: int) -> list[str]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, family=family, type=socket.SOCK_STREAM
        )
    except OSError as error:
        raise UnresolvableHostError(host, str(error)) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnresolvableHostError(host, "no addresses")
    # IPv4 first, since more servers listen on it alone (``localhost`` often resolves to
    # ::1 first while a server binds 127.0.0.1); the others are tried after it fails.
    return sorted(addresses, key=lambda address: ":" in address)
