"""Throughput, best-of-N timing and tracemalloc helpers, and the orjson parse floor."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Throughput:
    events: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "events_per_s": self.events_per_s}


def throughput(
    step: Callable[[Any], object], items: Sequence[Any], *, min_seconds: float
) -> Throughput:
    """Run step over items, pass after pass, until min_seconds have gone by."""
    gc.collect()
    count = 0
    started = time.perf_counter()
    while True:
        for item in items:
            step(item)
        count += len(items)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return Throughput(count, elapsed)


def best_time(action: Callable[[], object], *, budget_s: float = 1.0, most: int = 5) -> float:
    """Shortest of a few runs of action (at least one, more while within budget_s)."""
    runs: list[float] = []
    while not runs or (len(runs) < most and sum(runs) < budget_s):
        gc.collect()
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return min(runs)


def traced_bytes(build: Callable[[], object]) -> tuple[object, int, int]:
    """(result, bytes still held by it, peak bytes while building) as tracemalloc sees them."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = build()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, after - before, peak - before


def parse_floor(events: Sequence[dict[str, Any]], *, min_seconds: float) -> Throughput:
    raw = [orjson.dumps(event) for event in events]
    return throughput(orjson.loads, raw, min_seconds=min_seconds)


def parse_and_match(
    events: Sequence[dict[str, Any]], match: Callable[[Any], object], *, min_seconds: float
) -> Throughput:
    """Parse each event's JSON and match it at once, as ingest does (the event is fresh)."""
    raw = [orjson.dumps(event) for event in events]
    loads = orjson.loads
    return throughput(lambda text: match(loads(text)), raw, min_seconds=min_seconds)
