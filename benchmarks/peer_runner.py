"""Times moto's and LocalStack's pattern matchers; runs inside benchmarks/.peer-venv only.

Usage: peer_runner.py INPUT.json  (prints one JSON object on stdout)

INPUT: {"peers": [...], "budget_s": float, "min_events": int, "record": int,
        "sets": [{"name": str, "rules": [pattern text, ...], "events": [event, ...]}]}

Each peer is timed the way it evaluates rules on PutEvents: a linear scan over every rule of the
bus, per event. moto loads each pattern once (EventPattern.load at PutRule) and calls
matches_event per rule; LocalStack keeps the pattern text and calls
localstack.utils.event_matcher.matches_event(text, event) per rule, which parses and validates
the pattern again each time. Only matching is timed, not their envelope building or delivery.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import time
from collections.abc import Callable
from typing import Any

Check = Callable[[dict[str, Any]], list[int]]


def moto_setup(rules: list[str]) -> Check:
    from moto.events.models import EventPattern

    patterns = [EventPattern.load(text) for text in rules]

    def check(event: dict[str, Any]) -> list[int]:
        return [i for i, p in enumerate(patterns) if p.matches_event(event)]

    return check


def localstack_setup(rules: list[str]) -> Check:
    from localstack.utils.event_matcher import matches_event, validate_event_pattern

    for text in rules:  # PutRule validates once; matching re-parses every time regardless
        validate_event_pattern(text)

    def check(event: dict[str, Any]) -> list[int]:
        return [i for i, text in enumerate(rules) if matches_event(text, event)]

    return check


PEERS = {"moto": (moto_setup, "moto"), "localstack": (localstack_setup, "localstack-core")}


def time_set(
    setup: Callable[[list[str]], Check], body: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    started = time.perf_counter()
    check = setup(body["rules"])
    compile_s = time.perf_counter() - started
    events, record = body["events"], config["record"]
    matched: list[list[int]] = []
    total = count = 0
    started = time.perf_counter()
    while True:
        hits = check(events[count % len(events)])
        total += len(hits)
        if count < record:
            matched.append(hits)
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= config["budget_s"]:
            break
    return {
        "events": count,
        "seconds": elapsed,
        "events_per_s": count / elapsed,
        "matches_per_event": total / count,
        "compile_s": compile_s,
        "matched": matched,
    }


def run_peer(name: str, config: dict[str, Any]) -> dict[str, Any]:
    setup, dist = PEERS[name]
    try:
        version = importlib.metadata.version(dist)
        setup([])
    except Exception as exc:  # a broken peer install is reported, not fatal
        return {"error": f"{type(exc).__name__}: {exc}"}
    results: dict[str, Any] = {}
    seconds_per_rule = 0.0
    for body in config["sets"]:
        estimate = seconds_per_rule * len(body["rules"]) * config["min_events"]
        if estimate > config["budget_s"]:
            results[body["name"]] = {
                "skipped": (
                    f"{config['min_events']} events would take ~{estimate:.0f} s, "
                    f"over the {config['budget_s']:g} s budget"
                )
            }
            continue
        result = time_set(setup, body, config)
        seconds_per_rule = max(seconds_per_rule, 1 / result["events_per_s"] / len(body["rules"]))
        results[body["name"]] = result
    return {"version": version, "sets": results}


def main() -> None:
    with open(sys.argv[1]) as f:
        config = json.load(f)
    out = {name: run_peer(name, config) for name in config["peers"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
