"""Busway's side of the benchmark: parse, compile, memory and throughput of one rule set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from busway.patterns import Matcher, Pattern, parse_pattern
from timing import best_time, cost_ratios, match_rounds, median_rate, traced_bytes

# Parse, match and parse-and-match are timed paired, slice by slice (see
# timing.paired), in this many rounds; ratios are taken within a round and the median
# round reported.
ROUNDS = 9


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
    rounds = match_rounds(events, matcher.match, rounds=ROUNDS, seconds=min_seconds / ROUNDS)
    parse, match, both = rounds["parse"], rounds["match"], rounds["parse_and_match"]
    # In ingest an event is matched right after it is parsed: matching costs there
    # (parse + match) - parse, with the event still in cache.
    in_ingest = [ratio - 1 for ratio in cost_ratios(both, parse)]
    return {
        "parse_pattern_s": parse_s,
        "compile_s": compile_s,
        "patterns_bytes": patterns_bytes,
        "matcher_bytes": matcher_bytes,
        "matcher_peak_bytes": matcher_peak,
        "matches_per_event": sum(map(len, matched)) / len(events),
        "parse": median_rate(parse),
        "match": median_rate(match),
        "parse_and_match": median_rate(both),
        "match_to_parse_rounds": cost_ratios(match, parse),
        "in_ingest_rounds": in_ingest,
        "matched": matched,
    }
