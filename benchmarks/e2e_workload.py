"""The end-to-end benchmark's rules and PutEvents entries.

The 100 rules are ``ruleset.py``'s mixed set (ten kinds per source), each with one target.
The entries are its events, kept when Busway's matcher finds at least one rule for the event
as the server will build it (our region; no ``aws.*`` sources, which PutEvents refuses), so
every accepted event is delivered at least once and can be followed to the sink by its id.
An event matches about 2.7 rules, so it makes as many deliveries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

import ruleset

BUS = "bench"
REGION = "us-east-1"
ENTRIES_PER_REQUEST = 10


@dataclass(frozen=True)
class Workload:
    rules: tuple[str, ...]  # pattern texts; rule i is named rule_name(i)
    entries: tuple[dict[str, Any], ...]  # PutEvents entries, each matching some rule
    matched: tuple[tuple[int, ...], ...]  # the rules each entry matches
    events_considered: int

    @property
    def deliveries_per_event(self) -> float:
        return sum(map(len, self.matched)) / len(self.matched)

    @property
    def avg_detail_bytes(self) -> float:
        return sum(len(e["Detail"]) for e in self.entries) / len(self.entries)

    def bodies(self, per_request: int = ENTRIES_PER_REQUEST) -> list[dict[str, Any]]:
        """PutEvents request bodies of ``per_request`` entries, cycling through the entries."""
        entries = self.entries
        count = len(entries) // per_request
        return [
            {"Entries": list(entries[i * per_request : (i + 1) * per_request])}
            for i in range(count)
        ]


def rule_name(index: int) -> str:
    return f"rule-{index:03d}"


def build_workload(*, rules: int = 100, entries: int = 5000, seed: int = 20260301) -> Workload:
    from busway.patterns import Matcher, parse_pattern

    rule_set = ruleset.build_ruleset(rules, seed=seed)
    matcher = Matcher({i: parse_pattern(text) for i, text in enumerate(rule_set.texts)})
    events = ruleset.build_events(rule_set.world, entries * 2, seed=seed)
    kept, matched = [], []
    for event in events:
        if event["source"].startswith("aws."):
            continue
        found = matcher.match({**event, "region": REGION})
        if found and len(kept) < entries:
            kept.append(_entry(event))
            matched.append(tuple(sorted(found)))
    return Workload(rule_set.texts, tuple(kept), tuple(matched), len(events))


def _entry(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": orjson.dumps(event["detail"]).decode(),
        "Resources": event["resources"],
        "EventBusName": BUS,
    }
