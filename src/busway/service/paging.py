"""Opaque NextToken pagination over name-ordered listings."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from busway.errors import ProtocolError
from busway.storage.base import Resource

T = TypeVar("T")
PAGE_LIMIT = 100


def encode_token(last_name: str) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_name}".encode()).decode()


def decode_token(token: str | None) -> str:
    """The name a page ended at; ``InvalidToken`` for a token Busway did not hand out."""
    if not token:
        return ""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("v1:"):
        raise ProtocolError("InvalidToken", "The NextToken provided is invalid.")
    return text[3:]


async def page(
    fetch: Callable[[str, int], Awaitable[list[Resource]]],
    *,
    next_token: str | None,
    limit: int | None,
) -> tuple[list[Resource], str | None]:
    """One page from ``fetch(after, limit)``, and the token for the next, if any."""
    size = limit or PAGE_LIMIT
    found = await fetch(decode_token(next_token), size + 1)
    if len(found) > size:
        return found[:size], encode_token(found[size - 1].name)
    return found, None


def page_list(
    items: Sequence[T], *, key: Callable[[T], str], next_token: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """The same over an in-memory list already sorted by ``key``."""
    after = decode_token(next_token)
    size = limit or PAGE_LIMIT
    rest = [item for item in items if key(item) > after]
    if len(rest) > size:
        return rest[:size], encode_token(key(rest[size - 1]))
    return rest, None
