"""IP address literals and CIDR ranges, as EventBridge reads them.

An address is ``(bits, value)``: 32 for IPv4, 128 for IPv6. An IPv4-mapped IPv6
literal reads as the IPv4 address. A CIDR range keeps the written address as its
bottom and sets the host bits for its top, so ``10.0.0.5/24`` covers .5 to .255.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from busway.errors import InvalidEventPatternError

if TYPE_CHECKING:
    from mypy_extensions import i64

_V4_SHAPE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_V6_SHAPE = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK = re.compile(r"[+-]?[0-9]+")

Address = tuple[int, int]
Range = tuple[int, int, int]


def looks_like_ip(text: str) -> bool:
    return bool(_V4_SHAPE.fullmatch(text) or _V6_SHAPE.fullmatch(text))


def parse_ip(text: str) -> Address | None:
    """The address ``text`` spells, or None when it is not an IP literal."""
    if ":" in text:
        return _parse_v6(text) if _V6_SHAPE.fullmatch(text) else None
    return _parse_v4(text)


def _parse_v4(text: str) -> Address | None:
    # One pass over the characters: no split, no int(); this runs on every string
    # value a CIDR or IP edge sees. Plain ASCII digits only, as EventBridge's [0-9]+.
    # Native ints (see edges.py): at most 32 bits are ever held.
    value: i64 = 0
    octet: i64 = 0
    digits: i64 = 0
    dots: i64 = 0
    for char in text:
        code: i64 = ord(char)
        if 48 <= code <= 57:
            octet = octet * 10 + (code - 48)
            if octet > 255:
                return None
            digits += 1
        elif code == 46 and digits and dots < 3:
            value = value << 8 | octet
            octet = digits = 0
            dots += 1
        else:
            return None
    if dots != 3 or not digits:
        return None
    return (32, value << 8 | octet)


def _parse_v6(text: str) -> Address | None:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    if mapped is not None:
        return (32, int(mapped))
    return (128, int(address))


def single_address_range(address: Address) -> Range:
    bits, value = address
    return (bits, value, value)


def parse_cidr(text: str) -> Range:
    """``text`` as ``(bits, bottom, top)``; raises with EventBridge's messages."""
    parts = text.split("/")
    while parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) != 2:
        raise InvalidEventPatternError("Malformed CIDR, one '/' required")
    if not _MASK.fullmatch(parts[1]):
        raise InvalidEventPatternError("Malformed CIDR, mask bits must be an integer")
    mask = int(parts[1])
    if mask < 0:
        raise InvalidEventPatternError("Malformed CIDR, mask bits must not be negative")
    address = _address_or_raise(parts[0])
    bits, bottom = address
    if mask >= bits:
        raise InvalidEventPatternError(f"IPv{4 if bits == 32 else 6} mask bits must be < {bits}")
    host_bits = (1 << (bits - mask)) - 1
    return (bits, bottom, bottom | host_bits)


def _address_or_raise(text: str) -> Address:
    if not looks_like_ip(text):
        raise InvalidEventPatternError(f"Nonstandard IP address: {text}")
    address = parse_ip(text)
    if address is None:
        raise InvalidEventPatternError(f"Invalid IP address: {text}")
    return address


def in_range(address: Address, ip_range: Range) -> bool:
    bits, bottom, top = ip_range
    return address[0] == bits and bottom <= address[1] <= top
