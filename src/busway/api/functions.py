"""The worker protocol: how ``busway worker`` processes take function invocations and
hand back their outcomes, as native JSON over HTTP.

``POST /functions/invocations`` leases work (a long poll)::

    {"worker": "host:1234", "max": 64, "wait": 5,
     "functions": [{"name": "billing", "concurrency": 10, "timeout": 30}]}
    -> {"invocations": [{"id": "...", "function": "billing", "arn": "arn:aws:lambda:...",
                         "event": {...}, "event_id": "...", "attempt": 1, "timeout_ms": 30000}]}

``POST /functions/results`` reports outcomes, any number per request::

    {"worker": "host:1234", "functions": ["billing"],
     "results": [{"id": "..."}, {"id": "...", "error": {"type": "ValueError", "message": "..."}}]}
    -> {"unknown": ["ids that timed out before their result came"]}

An ``error`` may carry ``"code": "TIMEOUT"`` when the worker stopped a call that ran out
of time. When the server has credentials, requests are SigV4-signed like the AWS APIs.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from busway.api.aws.endpoint import Authenticate
from busway.engine.senders.function import (
    MAX_CONCURRENCY,
    MAX_TIMEOUT_SECONDS,
    FunctionBroker,
    FunctionSpec,
    Invocation,
    Report,
)
from busway.errors import ProtocolError

MAX_BODY_BYTES = 4_194_304
MAX_WAIT_SECONDS = 20.0
MAX_LEASE = 1_000
MAX_FUNCTIONS = 100
MAX_ERROR_CHARS = 4_096
AUTH_CODES = frozenset(
    {
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
    }
)
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def function_routes(broker: FunctionBroker, *, authenticate: Authenticate | None) -> list[Route]:
    """The two routes of the worker protocol over ``broker``."""

    async def invocations(request: Request) -> Response:
        try:
            body = await _read(request, authenticate)
            specs = _specs(body.get("functions"))
            limit = _number(body.get("max", 64), "max", low=0, high=MAX_LEASE)
            wait = _number(body.get("wait", 0), "wait", low=0, high=MAX_WAIT_SECONDS)
        except ProtocolError as error:
            return _refuse(error)
        leased = await _lease_until_gone(request, broker, specs, limit=int(limit), wait=wait)
        return _answer({"invocations": [_invocation(i) for i in leased]})

    async def results(request: Request) -> Response:
        try:
            body = await _read(request, authenticate)
            reports = _reports(body.get("results"))
            names = _names(body.get("functions", []))
        except ProtocolError as error:
            return _refuse(error)
        return _answer({"unknown": broker.complete(reports, functions=names)})

    return [
        Route("/functions/invocations", invocations, methods=["POST"]),
        Route("/functions/results", results, methods=["POST"]),
    ]


async def _lease_until_gone(
    request: Request,
    broker: FunctionBroker,
    specs: Sequence[FunctionSpec],
    *,
    limit: int,
    wait: float,
) -> list[Invocation]:
    """Lease, but stop waiting when the worker hangs up: a poll left waiting for a gone
    worker would also hold up the server's shutdown."""
    lease = asyncio.ensure_future(broker.lease(specs, limit=limit, wait=wait))
    if wait <= 0:
        return await lease
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({lease, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gone
    if not lease.done():
        lease.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lease
        return []
    return lease.result()


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _read(request: Request, authenticate: Authenticate | None) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise _invalid(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    if authenticate is not None:
        authenticate(request, raw)
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ProtocolError("SerializationException", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ProtocolError("SerializationException", "The body must be a JSON object.")
    return body


def _specs(raw: Any) -> list[FunctionSpec]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_FUNCTIONS:
        raise _invalid(f"functions must be a list of 1 to {MAX_FUNCTIONS} functions.")
    specs = []
    for item in raw:
        if not isinstance(item, dict):
            raise _invalid("Each function must be an object with a name.")
        specs.append(
            FunctionSpec(
                name=_name(item.get("name")),
                concurrency=int(
                    _number(item.get("concurrency", 10), "concurrency", low=1, high=MAX_CONCURRENCY)
                ),
                timeout=_number(
                    item.get("timeout", 30), "timeout", low=0.001, high=MAX_TIMEOUT_SECONDS
                ),
            )
        )
    return specs


def _names(raw: Any) -> list[str]:
    if not isinstance(raw, list) or len(raw) > MAX_FUNCTIONS:
        raise _invalid(f"functions must be a list of at most {MAX_FUNCTIONS} names.")
    return [_name(name) for name in raw]


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not NAME.match(raw):
        raise _invalid(f"Function name {raw!r} is not valid: use 1 to 64 of A-Z a-z 0-9 - _.")
    return raw


def _number(raw: Any, name: str, *, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
        raise _invalid(f"{name} must be a number from {low:g} to {high:g}.")
    return float(raw)


def _reports(raw: Any) -> list[Report]:
    if not isinstance(raw, list):
        raise _invalid("results must be a list.")
    return [_report(item) for item in raw]


def _report(raw: Any) -> Report:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise _invalid("Each result must be an object with an id.")
    error = raw.get("error")
    if error is None:
        return Report(raw["id"])
    if not isinstance(error, Mapping) or not isinstance(error.get("type"), str):
        raise _invalid("A result's error must be an object with a type.")
    return Report(
        raw["id"],
        error_type=error["type"][:200] or "Error",
        error_message=str(error.get("message") or "")[:MAX_ERROR_CHARS],
        error_code=str(error.get("code") or "FUNCTION_ERROR"),
    )


def _invocation(invocation: Invocation) -> dict[str, Any]:
    return {
        "id": invocation.id,
        "function": invocation.function,
        "arn": invocation.arn,
        # The payload is JSON already (the dispatcher drops what is not): embed it as is.
        "event": orjson.Fragment(invocation.payload),
        "event_id": invocation.event_id,
        "attempt": invocation.attempt,
        "timeout_ms": int(invocation.timeout * 1000),
    }


def _invalid(message: str) -> ProtocolError:
    return ProtocolError("ValidationException", message)


def _refuse(error: ProtocolError) -> Response:
    status = 403 if error.code in AUTH_CODES else 400
    return _answer({"code": error.code, "message": error.message}, status=status)


def _answer(body: Mapping[str, Any], *, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
