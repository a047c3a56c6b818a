"""Busway's Python SDK: ``Client`` and ``AsyncClient`` for producers and operators,
``App`` for consumers (functions run by ``busway worker``, with a test mode).

They speak the same AWS protocols boto3 does, with Python-shaped methods: events are
dicts, patterns may be dicts, errors are exceptions from ``busway.errors``.
"""

from busway.sdk.app import App, Retry
from busway.sdk.async_client import AsyncClient
from busway.sdk.client import Client, PutResult
from busway.sdk.context import LambdaContext
from busway.sdk.worker import Call, Worker

__all__ = ["App", "AsyncClient", "Call", "Client", "LambdaContext", "PutResult", "Retry", "Worker"]
