"""``busway.AsyncClient``: the same methods as ``Client``, awaitable."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from busway.sdk.client import Client


class AsyncClient:
    """Every ``Client`` method as a coroutine, run on a worker thread so the event loop
    never blocks on the network."""

    def __init__(self, endpoint_url: str | None = None, **options: Any) -> None:
        self._client = Client(endpoint_url, **options)

    @property
    def endpoint_url(self) -> str:
        return self._client.endpoint_url

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)
        if name.startswith("_") or not callable(method):
            raise AttributeError(name)

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call

    async def aclose(self) -> None:
        self._client.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
