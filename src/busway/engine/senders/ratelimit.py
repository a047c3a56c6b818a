"""A token bucket per API destination (``InvocationRateLimitPerSecond``).

Excess invocations are delayed, never dropped: a caller either waits for its reserved
slot or, when the wait is long, is told how long so that the delivery is retried later.
Times are monotonic seconds passed in by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` invocations per second, with bursts of up to ``rate`` (at least 1)."""

    rate: float
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    @property
    def capacity(self) -> float:
        return max(self.rate, 1.0)

    def reserve(self, now: float, *, max_wait: float) -> float:
        """Seconds until the caller may go, reserving that slot if it is within ``max_wait``.

        A result above ``max_wait`` reserves nothing: the caller should come back then.
        """
        self._refill(now)
        wait = max(0.0, (1.0 - self.tokens) / self.rate)
        if wait <= max_wait:
            self.tokens -= 1.0
        return wait

    def _refill(self, now: float) -> None:
        if self.updated is not None:
            elapsed = max(0.0, now - self.updated)
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now
