"""Busway's side of the benchmark: parse, compile, memory and throughput of one rule set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from busway.patterns import Matcher, Pattern, parse_pattern
from timing import best_time, parse_and_match, throughput, traced_bytes


def parse_all(texts: Sequence[str]) -> dict[int, Pattern]:
    return {i: parse_pattern(text) for i, text in enumerate(texts)}


def measure_busway(
    texts: Sequence[str], events: Sequence[dict[str, Any]], *, min_seconds: float
) -> dict[str, Any]:
    """Compile time, memory, throughput and matches per event of one rule set."""
    parse_s = best_time(lambda: parse_all(texts))
    patterns, patterns_bytes, _ = traced_bytes(lambda: parse_all(texts))
    assert isinstance(patterns, dict)
    compile_s = best_time(lambda: Matcher(patterns))
    matcher, matcher_bytes, matcher_peak = traced_bytes(lambda: Matcher(patterns))
    assert isinstance(matcher, Matcher)
    matched = [matcher.match(event) for event in events]
    speed = throughput(matcher.match, events, min_seconds=min_seconds)
    pipeline = parse_and_match(events, matcher.match, min_seconds=min_seconds)
    return {
        "parse_pattern_s": parse_s,
        "compile_s": compile_s,
        "patterns_bytes": patterns_bytes,
        "matcher_bytes": matcher_bytes,
        "matcher_peak_bytes": matcher_peak,
        "matches_per_event": sum(map(len, matched)) / len(events),
        "match": speed.as_dict(),
        "parse_and_match": pipeline.as_dict(),
        "matched": matched,
    }
