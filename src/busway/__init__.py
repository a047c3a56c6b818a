"""Busway: a self-hosted event bus in the shape of Amazon EventBridge."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["App", "AsyncClient", "Client", "Retry", "__version__"]


def __getattr__(name: str) -> Any:
    # The SDK pulls in botocore; load it only for code that asks for a client.
    if name in ("App", "Client", "AsyncClient", "Retry"):
        from busway import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'busway' has no attribute {name!r}")
