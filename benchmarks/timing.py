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


def interleaved(
    steps: dict[str, tuple[Callable[[Any], object], Sequence[Any]]],
    *,
    rounds: int,
    seconds: float,
) -> dict[str, list[Throughput]]:
    """Each step timed ``rounds`` times for ``seconds``, the steps taking turns.

    On a shared machine the speed drifts over seconds; figures taken in turns see the
    same drift, so a ratio of two of them taken in the same round is steadier than a
    ratio of figures taken minutes apart.
    """
    taken: dict[str, list[Throughput]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, (step, items) in steps.items():
            taken[name].append(throughput(step, items, min_seconds=seconds))
    return taken


def median_rate(runs: Sequence[Throughput]) -> dict[str, float]:
    """The median round's figures (by events/s; of an even count, the upper middle
    one), as ``Throughput.as_dict`` gives them."""
    ranked = sorted(runs, key=lambda run: run.events_per_s)
    return ranked[len(ranked) // 2].as_dict()


def cost_ratios(costly: Sequence[Throughput], floor: Sequence[Throughput]) -> list[float]:
    """Per round, how many times the floor's cost per event ``costly`` costs."""
    return [f.events_per_s / c.events_per_s for c, f in zip(costly, floor, strict=True)]


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


def match_rounds(
    events: Sequence[dict[str, Any]],
    match: Callable[[Any], object],
    *,
    rounds: int,
    seconds: float,
) -> dict[str, list[Throughput]]:
    """In turns: parsing the events' JSON (the floor), matching the pre-parsed events,
    and parsing each event and matching it at once, as ingest does (the event is fresh)."""
    raw = [orjson.dumps(event) for event in events]
    loads = orjson.loads
    return interleaved(
        {
            "parse": (loads, raw),
            "match": (match, events),
            "parse_and_match": (lambda text: match(loads(text)), raw),
        },
        rounds=rounds,
        seconds=seconds,
    )
