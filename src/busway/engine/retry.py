"""When to try a delivery again, and when to give up (eventbridge.md §5.3).

Pure: no I/O and no clock reads; the caller passes ``now`` and the random draw. AWS does
not publish its schedule, so Busway doubles from 1 s up to 10 minutes with "equal
jitter" (half the delay fixed, half random): with the default 185 retries that spreads
delivery attempts over roughly a day, which is what AWS's defaults imply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from busway.model import Outcome, RetryPolicy, SendResult

BASE_DELAY: Final = 1.0
MAX_DELAY: Final = 600.0
# 2**10 already exceeds MAX_DELAY; capping the exponent keeps huge attempts cheap.
_MAX_EXPONENT: Final = 32

MAXIMUM_RETRY_ATTEMPTS: Final = "MaximumRetryAttempts"
MAXIMUM_EVENT_AGE: Final = "MaximumEventAgeInSeconds"


@dataclass(frozen=True, slots=True)
class RetryAt:
    """Try again at ``at`` (an aware datetime)."""

    at: datetime


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop trying. ``exhausted_condition`` is AWS's ``EXHAUSTED_RETRY_CONDITION``
    (``MaximumRetryAttempts`` or ``MaximumEventAgeInSeconds``), or None when the error
    was not retryable in the first place."""

    exhausted_condition: str | None


RetryDecision = RetryAt | GiveUp


def capped_delay(attempt: int) -> float:
    """The un-jittered delay after the ``attempt``-th failed try: 1, 2, 4, ... 600 s."""
    exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
    return min(BASE_DELAY * 2.0**exponent, MAX_DELAY)


def backoff_delay(attempt: int, *, rand: float) -> float:
    """Seconds to wait after the ``attempt``-th failed try (``attempt`` >= 1).

    ``rand`` is a uniform draw from [0, 1); the result lies in [d/2, d] for the capped
    delay d of ``capped_delay``.
    """
    delay = capped_delay(attempt)
    return delay / 2 + rand * delay / 2


def decide_retry(
    result: SendResult,
    *,
    policy: RetryPolicy,
    attempts: int,
    first_try: datetime,
    event_time_accepted: datetime,
    now: datetime,
    rand: float,
) -> RetryDecision:
    """Whether and when to try again after ``attempts`` tries, the last ending in ``result``.

    Only ``Outcome.RETRY`` results are retried, and not when the target sent a negative
    ``Retry-After``. A retry is allowed while the retries made so far (``attempts - 1``)
    stay below ``policy.maximum_retry_attempts``; it is scheduled after the larger of the
    backoff and the target's ``Retry-After`` and given up when that time falls past the
    event's age limit, counted from when Busway accepted it (or from the first try, if
    clocks disagree and that was earlier).
    """
    if result.outcome is not Outcome.RETRY:
        return GiveUp(None)
    if result.retry_after is not None and result.retry_after < 0:
        return GiveUp(None)
    if attempts > policy.maximum_retry_attempts:
        return GiveUp(MAXIMUM_RETRY_ATTEMPTS)
    wait = _wait(result, attempts=attempts, rand=rand)
    deadline = min(event_time_accepted, first_try) + timedelta(
        seconds=policy.maximum_event_age_seconds
    )
    # Compared as seconds first so that an absurd Retry-After cannot overflow datetime.
    if wait > (deadline - now).total_seconds():
        return GiveUp(MAXIMUM_EVENT_AGE)
    return RetryAt(now + timedelta(seconds=wait))


def _wait(result: SendResult, *, attempts: int, rand: float) -> float:
    # AWS uses "the more conservative" of the target's Retry-After and its own backoff.
    return max(backoff_delay(attempts, rand=rand), result.retry_after or 0.0)
