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


def paired(
    steps: dict[str, tuple[Callable[[Any], object], Sequence[Any]]],
    *,
    rounds: int,
    seconds: float,
    slice_size: int = 100,
) -> dict[str, list[Throughput]]:
    """Each step timed in ``rounds`` rounds of about ``seconds``, the steps taking turns
    on every slice of ``slice_size`` items (the same items' slice for each step, the
    order rotating from slice to slice).

    On a shared VM the speed drifts by tens of percent within a second; steps timed a
    millisecond apart see the same drift, so the ratio of two of them, taken within a
    round, carries almost none of it. (Timed for seconds each, one step after the other,
    they did not: the parse floor alone swung from 2.5 to 3.7 µs per event between two
    consecutive passes.)
    """
    count = min(len(items) for _, items in steps.values())
    slices = [
        {name: (step, items[start : start + slice_size]) for name, (step, items) in steps.items()}
        for start in range(0, count, slice_size)
    ]
    taken: dict[str, list[Throughput]] = {name: [] for name in steps}
    for _ in range(rounds):
        gc.collect()
        spent = dict.fromkeys(steps, 0.0)
        passes = 0
        started = time.perf_counter()
        while passes == 0 or time.perf_counter() - started < seconds:
            _paired_pass(slices, spent)
            passes += 1
        for name, seconds_spent in spent.items():
            taken[name].append(Throughput(passes * count, seconds_spent))
    return taken


def _paired_pass(
    slices: list[dict[str, tuple[Callable[[Any], object], Sequence[Any]]]],
    spent: dict[str, float],
) -> None:
    """One pass over ``slices``, each step timed on each slice, the order rotating; the
    seconds each step took are added to ``spent``."""
    clock = time.perf_counter
    for turn, chunk in enumerate(slices):
        names = list(chunk)
        for offset in range(len(names)):
            name = names[(turn + offset) % len(names)]
            step, items = chunk[name]
            begun = clock()
            for item in items:
                step(item)
            spent[name] += clock() - begun


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
    """Paired (see ``paired``): parsing the events' JSON (the floor), matching the
    pre-parsed events, and parsing each event and matching it at once, as ingest does
    (the event is fresh)."""
    raw = [orjson.dumps(event) for event in events]
    loads = orjson.loads
    return paired(
        {
            "parse": (loads, raw),
            "match": (match, events),
            "parse_and_match": (lambda text: match(loads(text)), raw),
        },
        rounds=rounds,
        seconds=seconds,
    )
