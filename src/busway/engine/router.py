"""Which rules and targets an event goes to, per bus.

Each bus's enabled rules are compiled into one ``Matcher``; a change to a bus's rules or
targets rebuilds that bus's routes off to the side and swaps them in, so matching never
waits for a rebuild and never sees half of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from busway.model import Rule, RuleState, Target
from busway.patterns import Matcher, Pattern, parse_pattern
from busway.storage.base import Catalog, Resource


@dataclass(frozen=True)
class BusRoutes:
    """One bus's compiled rules and their targets."""

    rules: Mapping[str, Rule] = field(default_factory=dict)
    targets: Mapping[str, Mapping[str, Target]] = field(default_factory=dict)
    matcher: Matcher[str] = field(default_factory=lambda: Matcher({}))
    # Each rule's (rule, target id) pairs, built once: routing runs for every event.
    pairs: Mapping[str, list[tuple[str, str]]] = field(init=False)

    def __post_init__(self) -> None:
        pairs = {rule: [(rule, target_id) for target_id in t] for rule, t in self.targets.items()}
        object.__setattr__(self, "pairs", pairs)

    def route(self, event: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(rule, target id) for every target of every enabled rule ``event`` matches."""
        matched = self.matcher.match(event)
        if not matched:
            return []
        pairs = self.pairs
        if len(matched) == 1:
            return list(pairs.get(next(iter(matched)), ()))
        routes: list[tuple[str, str]] = []
        for rule in sorted(matched):
            routes += pairs.get(rule, ())
        return routes


class Router:
    """The routes of every bus, kept in step with the catalog."""

    def __init__(self, catalog: Catalog, *, on_change: Callable[[], None] | None = None) -> None:
        """``on_change`` is called after every swap of a bus's routes."""
        self._catalog = catalog
        self._on_change = on_change
        self._buses: dict[str, BusRoutes] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def load(self) -> None:
        """Build the routes of every bus from the catalog."""
        for bus in await self._catalog.list_kind("bus"):
            await self.refresh(bus.name)

    async def refresh(self, bus: str) -> None:
        """Rebuild ``bus``'s routes from the catalog and swap them in."""
        lock = self._locks.setdefault(bus, asyncio.Lock())
        async with lock:
            rules = [rule_of(r) for r in await self._catalog.list_under("rule", bus)]
            targets = {
                rule.name: {
                    t.name: target_of(t)
                    for t in await self._catalog.list_under("target", f"{bus}/{rule.name}")
                }
                for rule in rules
            }
            self._buses[bus] = await asyncio.to_thread(_compile, rules, targets)
        if self._on_change is not None:
            self._on_change()

    def forget(self, bus: str) -> None:
        self._buses.pop(bus, None)

    def routes(self, bus: str) -> BusRoutes | None:
        """The bus's routes, or None when there is no such bus."""
        return self._buses.get(bus)

    def target(self, bus: str, rule: str, target_id: str) -> tuple[Rule, Target] | None:
        routes = self._buses.get(bus)
        if routes is None or rule not in routes.rules:
            return None
        target = routes.targets.get(rule, {}).get(target_id)
        return None if target is None else (routes.rules[rule], target)


def _compile(rules: list[Rule], targets: dict[str, dict[str, Target]]) -> BusRoutes:
    patterns: dict[str, Pattern] = {
        rule.name: parse_pattern(rule.event_pattern)
        for rule in rules
        if rule.matches_events and rule.event_pattern is not None
    }
    return BusRoutes({rule.name: rule for rule in rules}, targets, Matcher(patterns))


def rule_of(resource: Resource) -> Rule:
    doc = resource.doc
    return Rule(
        bus=resource.parent,
        name=resource.name,
        arn=resource.arn,
        state=RuleState(doc.get("state", "ENABLED")),
        event_pattern=doc.get("event_pattern"),
        schedule_expression=doc.get("schedule_expression"),
        description=doc.get("description"),
        role_arn=doc.get("role_arn"),
        managed_by=doc.get("managed_by"),
        created_by=doc.get("created_by"),
    )


def target_of(resource: Resource) -> Target:
    bus, rule = resource.parent.split("/", 1)
    return Target(bus=bus, rule=rule, id=resource.name, arn=resource.doc["arn"], spec=resource.doc)
