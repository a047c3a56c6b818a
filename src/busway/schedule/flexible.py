"""FlexibleTimeWindow: how far after its scheduled time an invocation may run."""

from __future__ import annotations

from datetime import timedelta


def flexible_offset(*, mode: str, maximum_window_minutes: int | None, rand: float) -> timedelta:
    """The delay after the scheduled time for one invocation.

    ``OFF`` gives no delay; ``FLEXIBLE`` gives ``rand`` (drawn uniformly from [0, 1) by
    the caller) of the window, so a uniform offset in [0, window). Raises ``ValueError``
    for an unknown mode, a FLEXIBLE window that is missing or not positive, or ``rand``
    outside [0, 1).
    """
    if mode == "OFF":
        return timedelta(0)
    if mode != "FLEXIBLE":
        raise ValueError(f"unknown FlexibleTimeWindow mode {mode!r}")
    if maximum_window_minutes is None or maximum_window_minutes < 1:
        raise ValueError("FLEXIBLE needs a MaximumWindowInMinutes of at least 1")
    if not 0.0 <= rand < 1.0:
        raise ValueError(f"rand must lie in [0, 1), not {rand}")
    return timedelta(minutes=maximum_window_minutes) * rand
