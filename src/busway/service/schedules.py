"""EventBridge Scheduler schedules: Create/Get/Update/Delete/ListSchedules."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from busway.engine.scheduler import RULES_GROUP, plan_first
from busway.engine.targets import target_kind
from busway.errors import AlreadyExistsError, NotFoundError, ValidationError
from busway.schedule import load_timezone, parse_expression
from busway.service.context import Context
from busway.service.paging import decode_token, encode_token
from busway.storage.schedules import ScheduleRecord

DEFAULT_GROUP = "default"
_SETTINGS = (
    "schedule_expression",
    "schedule_expression_timezone",
    "start_date",
    "end_date",
    "description",
    "state",
    "kms_key_arn",
    "target",
    "flexible_time_window",
    "action_after_completion",
)


def schedule_missing(name: str) -> NotFoundError:
    return NotFoundError(f"Schedule {name} does not exist.")


class ScheduleService:
    def __init__(self, context: Context, *, rand: Any = random.random) -> None:
        self._c = context
        self._rand = rand

    async def create(
        self,
        *,
        name: str,
        group_name: str | None = None,
        client_token: str | None = None,
        **spec: Any,
    ) -> dict[str, Any]:
        group = await self._group(group_name)
        doc = _checked(spec, client_token=client_token)
        existing = await self._c.schedules.get(group, name)
        if existing is not None:
            if client_token and existing.doc.get("client_token") == client_token:
                return {"schedule_arn": existing.arn}
            raise AlreadyExistsError(f"Schedule {name} already exists.")
        record = self._record(group, name, doc, created=self._c.clock.now())
        if not await self._c.schedules.create(record, now=self._c.clock.now()):
            raise AlreadyExistsError(f"Schedule {name} already exists.")
        self._c.wake_scheduler()
        return {"schedule_arn": record.arn}

    async def update(
        self,
        *,
        name: str,
        group_name: str | None = None,
        client_token: str | None = None,
        **spec: Any,
    ) -> dict[str, Any]:
        group = await self._group(group_name)
        existing = await self._c.schedules.get(group, name)
        if existing is None:
            raise schedule_missing(name)
        doc = _checked(spec, client_token=client_token)
        record = self._record(group, name, doc, created=existing.created or self._c.clock.now())
        if not await self._c.schedules.replace(record, now=self._c.clock.now()):
            raise schedule_missing(name)
        self._c.wake_scheduler()
        return {"schedule_arn": record.arn}

    async def get(self, *, name: str, group_name: str | None = None) -> dict[str, Any]:
        group = group_name or DEFAULT_GROUP
        found = await self._c.schedules.get(group, name) if group != RULES_GROUP else None
        if found is None:
            raise schedule_missing(name)
        return {
            "arn": found.arn,
            "name": found.name,
            "group_name": found.group,
            **found.doc,
            "creation_date": found.created,
            "last_modification_date": found.modified,
        }

    async def delete(
        self, *, name: str, group_name: str | None = None, client_token: str | None = None
    ) -> None:
        group = group_name or DEFAULT_GROUP
        if group == RULES_GROUP or not await self._c.schedules.delete(group, name):
            raise schedule_missing(name)

    async def list(
        self,
        *,
        group_name: str | None = None,
        name_prefix: str | None = None,
        state: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> dict[str, Any]:
        size = max_results or 100
        found = await self._c.schedules.find(
            group=group_name,
            prefix=name_prefix or "",
            enabled=None if state is None else state == "ENABLED",
            after=decode_token(next_token),
            limit=size + 1,
        )
        found = [r for r in found if r.group != RULES_GROUP]
        token = encode_token(found[size - 1].key) if len(found) > size else None
        return {"schedules": [_summary(r) for r in found[:size]], "next_token": token}

    def _record(
        self, group: str, name: str, doc: Mapping[str, Any], *, created: datetime
    ) -> ScheduleRecord:
        arn = self._c.scope.arn("scheduler", f"schedule/{group}/{name}")
        due, occurrence = plan_first(
            doc, now=self._c.clock.now(), created=created, rand=self._rand()
        )
        enabled = doc.get("state", "ENABLED") == "ENABLED"
        return ScheduleRecord(group, name, arn, doc, enabled, due, occurrence, created=created)

    async def _group(self, group_name: str | None) -> str:
        group = group_name or DEFAULT_GROUP
        if group == RULES_GROUP or await self._c.catalog.get("schedule-group", "", group) is None:
            raise NotFoundError(f"Schedule group {group} does not exist.")
        return group


def _checked(spec: Mapping[str, Any], *, client_token: str | None) -> dict[str, Any]:
    doc = {key: spec[key] for key in _SETTINGS if spec.get(key) is not None}
    parse_expression(doc["schedule_expression"])
    zone = doc.get("schedule_expression_timezone")
    if zone is not None:
        load_timezone(zone)
    window = doc["flexible_time_window"]
    if window.get("mode") == "FLEXIBLE" and not window.get("maximum_window_in_minutes"):
        raise ValidationError("MaximumWindowInMinutes is required when Mode is FLEXIBLE.")
    _check_target(doc["target"])
    if client_token:
        doc["client_token"] = client_token
    return doc


def _check_target(target: Mapping[str, Any]) -> None:
    if target_kind(target["arn"]) is None:
        raise ValidationError(
            f"Invalid target {target['arn']}: Busway delivers schedules to event buses, SQS "
            "queues, API destinations, http(s) URLs and log groups."
        )
    parameters = target.get("event_bridge_parameters") or {}
    if str(parameters.get("source", "")).startswith("aws."):
        raise ValidationError("EventBridgeParameters.Source must not start with aws.")


def _summary(record: ScheduleRecord) -> dict[str, Any]:
    return {
        "arn": record.arn,
        "name": record.name,
        "group_name": record.group,
        "state": record.doc.get("state", "ENABLED"),
        "creation_date": record.created,
        "last_modification_date": record.modified,
        "target": {"arn": record.doc["target"]["arn"]},
    }
