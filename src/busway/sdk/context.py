"""What a function handler gets besides the event: a Lambda-shaped context, so code
written for AWS Lambda runs unchanged."""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[Any, "LambdaContext"], Any | Awaitable[Any]]
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Function:
    """A handler registered under a name. ``concurrency`` caps its calls running at once
    (per server node, across workers); ``timeout`` is how long one call may take."""

    name: str
    handler: Handler
    concurrency: int = 10
    timeout: float = 30.0
    is_async: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Frozen, so set through object; read on every call, so computed once.
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.handler))
        if not FUNCTION_NAME.match(self.name):
            raise ValueError(
                f"function name {self.name!r} is not valid: use 1 to 64 of A-Z a-z 0-9 - _"
            )
        if not 1 <= self.concurrency <= 1000:
            raise ValueError("concurrency must be from 1 to 1000")
        if not 0 < self.timeout <= 90:
            raise ValueError("timeout must be more than 0 and at most 90 seconds")


class LambdaContext:
    """The attributes and method of AWS Lambda's Python context object, plus Busway's
    ``attempt`` and ``event_id``."""

    function_version = "$LATEST"
    memory_limit_in_mb = "128"
    identity = None
    client_context = None

    def __init__(
        self,
        *,
        function_name: str,
        invoked_function_arn: str,
        aws_request_id: str,
        timeout_ms: int,
        attempt: int = 1,
        event_id: str = "",
    ) -> None:
        self.function_name = function_name
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = aws_request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"busway/{function_name}"
        self.attempt = attempt
        self.event_id = event_id
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the call times out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext({self.function_name!r}, request {self.aws_request_id})"
