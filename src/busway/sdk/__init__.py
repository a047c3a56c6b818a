"""Busway's Python SDK: ``Client`` and ``AsyncClient`` for producers and operators.

They speak the same AWS protocols boto3 does, with Python-shaped methods: events are
dicts, patterns may be dicts, errors are exceptions from ``busway.errors``.
"""

from busway.sdk.async_client import AsyncClient
from busway.sdk.client import Client, PutResult

__all__ = ["AsyncClient", "Client", "PutResult"]
