"""Rules: PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule,
ListRuleNamesByTarget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from busway.arn import bus_name_of
from busway.engine.scheduler import RULES_GROUP, plan_first
from busway.errors import NotFoundError, ValidationError
from busway.model import DEFAULT_BUS, RuleState
from busway.patterns import parse_pattern
from busway.schedule import parse_rule_expression
from busway.service.buses import bus_missing
from busway.service.context import Context
from busway.service.paging import page, page_list
from busway.storage.base import Resource
from busway.storage.schedules import ScheduleRecord

_LISTED = ("event_pattern", "state", "description", "schedule_expression", "role_arn", "managed_by")


def rule_missing(rule: str, bus: str) -> NotFoundError:
    return NotFoundError(f"Rule {rule} does not exist on EventBus {bus}.")


class RuleService:
    def __init__(self, context: Context) -> None:
        self._c = context

    async def put(
        self,
        *,
        name: str,
        event_bus_name: str | None = None,
        event_pattern: str | None = None,
        schedule_expression: str | None = None,
        state: str | None = None,
        description: str | None = None,
        role_arn: str | None = None,
        tags: Sequence[Mapping[str, str]] | None = None,
    ) -> dict[str, Any]:
        bus = await self._bus(event_bus_name)
        _check_rule(bus, event_pattern, schedule_expression)
        doc = {
            "event_pattern": event_pattern,
            "schedule_expression": schedule_expression,
            "state": state or RuleState.ENABLED.value,
            "description": description,
            "role_arn": role_arn,
            "created_by": self._c.scope.account,
        }
        arn = self._c.scope.rule_arn(bus, name)
        resource = Resource("rule", bus, name, arn, {k: v for k, v in doc.items() if v is not None})
        existed = await self._c.catalog.get("rule", bus, name)
        await self._c.catalog.put(resource, now=self._c.clock.now())
        if tags and existed is None:
            await self._c.catalog.tag(arn, {t["key"]: t["value"] for t in tags})
        await self._c.router.refresh(bus)
        created = existed.created if existed and existed.created else self._c.clock.now()
        await self._sync_schedule(name, arn, doc, created=created)
        return {"rule_arn": arn}

    async def _sync_schedule(
        self, name: str, arn: str, doc: Mapping[str, Any], *, created: datetime
    ) -> None:
        """Keep the rule's timer in step: rate schedules count from the rule's creation."""
        schedules = self._c.schedules
        expression = doc.get("schedule_expression")
        if expression is None:
            await schedules.delete(RULES_GROUP, name)
            return
        timer = {"kind": "rule", "schedule_expression": expression}
        now = self._c.clock.now()
        due, occurrence = plan_first(timer, now=now, created=created, rand=0.0)
        enabled = doc.get("state") != RuleState.DISABLED.value
        record = ScheduleRecord(RULES_GROUP, name, arn, timer, enabled, due, occurrence)
        if not await schedules.replace(record, now=now):
            await schedules.create(record, now=now)
        self._c.wake_scheduler()

    async def get(self, name: str, event_bus_name: str | None) -> Resource:
        bus = await self._bus(event_bus_name)
        found = await self._c.catalog.get("rule", bus, name)
        if found is None:
            raise rule_missing(name, bus)
        return found

    async def describe(self, *, name: str, event_bus_name: str | None = None) -> dict[str, Any]:
        rule = await self.get(name, event_bus_name)
        return {"name": rule.name, "arn": rule.arn, "event_bus_name": rule.parent, **rule.doc}

    async def list(
        self,
        *,
        name_prefix: str | None = None,
        event_bus_name: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        bus = await self._bus(event_bus_name)

        async def fetch(after: str, size: int) -> list[Resource]:
            return await self._c.catalog.list_under(
                "rule", bus, prefix=name_prefix or "", after=after, limit=size
            )

        found, token = await page(fetch, next_token=next_token, limit=limit)
        rules = [
            {"name": r.name, "arn": r.arn, "event_bus_name": bus, **_listed(r.doc)} for r in found
        ]
        return {"rules": rules, "next_token": token}

    async def set_state(self, *, name: str, event_bus_name: str | None, state: RuleState) -> None:
        rule = await self.get(name, event_bus_name)
        doc = {**rule.doc, "state": state.value}
        changed = Resource("rule", rule.parent, rule.name, rule.arn, doc, created=rule.created)
        await self._c.catalog.put(changed, now=self._c.clock.now())
        await self._c.router.refresh(rule.parent)
        created = rule.created or self._c.clock.now()
        await self._sync_schedule(rule.name, rule.arn, doc, created=created)

    async def enable(self, *, name: str, event_bus_name: str | None = None) -> None:
        await self.set_state(name=name, event_bus_name=event_bus_name, state=RuleState.ENABLED)

    async def disable(self, *, name: str, event_bus_name: str | None = None) -> None:
        await self.set_state(name=name, event_bus_name=event_bus_name, state=RuleState.DISABLED)

    async def delete(
        self, *, name: str, event_bus_name: str | None = None, force: bool | None = None
    ) -> None:
        bus = await self._bus(event_bus_name)
        if await self._c.catalog.list_under("target", f"{bus}/{name}", limit=1):
            raise ValidationError("Rule can't be deleted since it has targets.")
        if await self._c.catalog.delete("rule", bus, name):
            await self._c.router.refresh(bus)
            if bus == DEFAULT_BUS:
                await self._c.schedules.delete(RULES_GROUP, name)

    async def names_by_target(
        self,
        *,
        target_arn: str,
        event_bus_name: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        bus = await self._bus(event_bus_name)
        routes = self._c.router.routes(bus)
        names = sorted(
            rule
            for rule, targets in (routes.targets.items() if routes else ())
            if any(t.arn == target_arn for t in targets.values())
        )
        found, token = page_list(names, key=str, next_token=next_token, limit=limit)
        return {"rule_names": found, "next_token": token}

    async def _bus(self, event_bus_name: str | None) -> str:
        bus = bus_name_of(event_bus_name or DEFAULT_BUS)
        if await self._c.catalog.get("bus", "", bus) is None:
            raise bus_missing(bus)
        return bus


def _check_rule(bus: str, event_pattern: str | None, schedule_expression: str | None) -> None:
    if event_pattern is None and schedule_expression is None:
        raise ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if schedule_expression is not None:
        if bus != DEFAULT_BUS:
            raise ValidationError("ScheduleExpression is supported only on the default event bus.")
        parse_rule_expression(schedule_expression)
    if event_pattern is not None:
        parse_pattern(event_pattern)


def _listed(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {key: doc[key] for key in _LISTED if key in doc}
