from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from busway.engine.retry import (
    MAXIMUM_EVENT_AGE,
    MAXIMUM_RETRY_ATTEMPTS,
    GiveUp,
    RetryAt,
    RetryDecision,
    backoff_delay,
    capped_delay,
    decide_retry,
)
from busway.model import RetryPolicy, SendResult

ACCEPTED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DEFAULT_POLICY = RetryPolicy()
attempts_st = st.integers(min_value=1, max_value=400)
rand_st = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
policy_st = st.builds(
    RetryPolicy,
    maximum_retry_attempts=st.integers(min_value=0, max_value=185),
    maximum_event_age_seconds=st.integers(min_value=60, max_value=86_400),
)


def decide(
    result: SendResult,
    *,
    attempts: int,
    now: datetime = ACCEPTED,
    policy: RetryPolicy = DEFAULT_POLICY,
    rand: float = 0.5,
) -> RetryDecision:
    return decide_retry(
        result,
        policy=policy,
        attempts=attempts,
        first_try=ACCEPTED,
        event_time_accepted=ACCEPTED,
        now=now,
        rand=rand,
    )


@given(attempts_st, rand_st)
def test_delay_lies_between_half_and_full_capped_delay(attempt: int, rand: float) -> None:
    d = capped_delay(attempt)
    assert d / 2 <= backoff_delay(attempt, rand=rand) <= d


@given(attempts_st)
def test_expected_delay_never_decreases(attempt: int) -> None:
    assert backoff_delay(attempt + 1, rand=0.5) >= backoff_delay(attempt, rand=0.5)


def test_delays_double_from_one_second_to_ten_minutes() -> None:
    assert [capped_delay(n) for n in (1, 2, 3, 10, 11, 185)] == [1, 2, 4, 512, 600, 600]


def test_default_policy_spreads_185_retries_over_about_a_day() -> None:
    total = sum(backoff_delay(n, rand=0.5) for n in range(1, 186))
    assert 20 * 3600 <= total <= 30 * 3600


@given(policy_st, attempts_st, rand_st, st.integers(min_value=0, max_value=90_000))
def test_never_schedules_past_the_age_limit(
    policy: RetryPolicy, attempts: int, rand: float, elapsed: int
) -> None:
    now = ACCEPTED + timedelta(seconds=elapsed)
    decision = decide(
        SendResult.retry("TIMEOUT", "t"), attempts=attempts, now=now, policy=policy, rand=rand
    )
    if isinstance(decision, RetryAt):
        assert now < decision.at <= ACCEPTED + timedelta(seconds=policy.maximum_event_age_seconds)


@given(st.integers(min_value=0, max_value=185), attempts_st)
def test_attempt_limit_is_honoured_exactly(limit: int, attempts: int) -> None:
    policy = RetryPolicy(maximum_retry_attempts=limit)
    decision = decide(SendResult.retry("TIMEOUT", "t"), attempts=attempts, policy=policy)
    if attempts - 1 < limit:
        assert isinstance(decision, RetryAt)
    else:
        assert decision == GiveUp(MAXIMUM_RETRY_ATTEMPTS)


def test_zero_retries_means_one_try_only() -> None:
    policy = RetryPolicy(maximum_retry_attempts=0)
    assert decide(SendResult.retry("THROTTLING", "x"), attempts=1, policy=policy) == GiveUp(
        MAXIMUM_RETRY_ATTEMPTS
    )


def test_last_allowed_retry_is_scheduled() -> None:
    policy = RetryPolicy(maximum_retry_attempts=3)
    assert isinstance(decide(SendResult.retry("TIMEOUT", "t"), attempts=3, policy=policy), RetryAt)
    assert decide(SendResult.retry("TIMEOUT", "t"), attempts=4, policy=policy) == GiveUp(
        MAXIMUM_RETRY_ATTEMPTS
    )


def test_retry_is_scheduled_after_the_backoff() -> None:
    decision = decide(SendResult.retry("TIMEOUT", "t"), attempts=3, rand=0.0)
    assert decision == RetryAt(ACCEPTED + timedelta(seconds=2))


@pytest.mark.parametrize(
    "result",
    [SendResult.failed("NO_RESOURCE", "gone", status=404), SendResult.delivered(200)],
)
def test_results_that_are_not_retryable_give_up_without_condition(result: SendResult) -> None:
    assert decide(result, attempts=1) == GiveUp(None)


def test_retry_after_longer_than_backoff_wins() -> None:
    result = SendResult.retry("THROTTLING", "slow down", status=429, retry_after=120)
    assert decide(result, attempts=1) == RetryAt(ACCEPTED + timedelta(seconds=120))


def test_backoff_longer_than_retry_after_wins() -> None:
    result = SendResult.retry("THROTTLING", "slow down", status=429, retry_after=1)
    decision = decide(result, attempts=11, rand=0.0)
    assert decision == RetryAt(ACCEPTED + timedelta(seconds=300))


def test_negative_retry_after_stops_retries() -> None:
    result = SendResult.retry("THROTTLING", "stop", status=503, retry_after=-1)
    assert decide(result, attempts=1) == GiveUp(None)


def test_retry_after_past_the_age_limit_gives_up() -> None:
    policy = RetryPolicy(maximum_event_age_seconds=60)
    result = SendResult.retry("THROTTLING", "later", status=429, retry_after=61)
    assert decide(result, attempts=1, policy=policy) == GiveUp(MAXIMUM_EVENT_AGE)


def test_absurd_retry_after_gives_up_instead_of_overflowing() -> None:
    result = SendResult.retry("THROTTLING", "never", status=429, retry_after=1e300)
    assert decide(result, attempts=1) == GiveUp(MAXIMUM_EVENT_AGE)


def test_event_already_too_old_gives_up() -> None:
    now = ACCEPTED + timedelta(days=2)
    assert decide(SendResult.retry("TIMEOUT", "t"), attempts=2, now=now) == GiveUp(
        MAXIMUM_EVENT_AGE
    )
