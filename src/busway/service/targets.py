"""Targets: PutTargets, RemoveTargets, ListTargetsByRule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from busway.engine.targets import target_kind
from busway.errors import LimitExceededError, ValidationError
from busway.service.context import Context
from busway.service.paging import page
from busway.service.rules import RuleService
from busway.storage.base import Resource
from busway.transform import InputTransformer, validate_target_input

MAX_TARGETS_PER_RULE = 5


class TargetService:
    def __init__(self, context: Context, rules: RuleService) -> None:
        self._c = context
        self._rules = rules

    async def put(
        self, *, rule: str, targets: Sequence[Mapping[str, Any]], event_bus_name: str | None = None
    ) -> dict[str, Any]:
        found = await self._rules.get(rule, event_bus_name)
        parent = f"{found.parent}/{rule}"
        for target in targets:
            _check_target(target)
        existing = {r.name for r in await self._c.catalog.list_under("target", parent)}
        if len(existing | {t["id"] for t in targets}) > MAX_TARGETS_PER_RULE:
            raise LimitExceededError()
        now = self._c.clock.now()
        for target in targets:
            doc = {key: value for key, value in target.items() if value is not None}
            await self._c.catalog.put(Resource("target", parent, target["id"], "", doc), now=now)
        await self._c.router.refresh(found.parent)
        return {"failed_entry_count": 0, "failed_entries": []}

    async def remove(
        self,
        *,
        rule: str,
        ids: Sequence[str],
        event_bus_name: str | None = None,
        force: bool | None = None,
    ) -> dict[str, Any]:
        found = await self._rules.get(rule, event_bus_name)
        parent = f"{found.parent}/{rule}"
        for target_id in ids:
            await self._c.catalog.delete("target", parent, target_id)
        await self._c.router.refresh(found.parent)
        return {"failed_entry_count": 0, "failed_entries": []}

    async def list(
        self,
        *,
        rule: str,
        event_bus_name: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        found = await self._rules.get(rule, event_bus_name)
        parent = f"{found.parent}/{rule}"

        async def fetch(after: str, size: int) -> list[Resource]:
            return await self._c.catalog.list_under("target", parent, after=after, limit=size)

        targets, token = await page(fetch, next_token=next_token, limit=limit)
        return {"targets": [dict(t.doc) for t in targets], "next_token": token}


def _check_target(target: Mapping[str, Any]) -> None:
    arn = target["arn"]
    if target_kind(arn) is None:
        raise ValidationError(
            f"Parameter {arn} is not valid. Reason: Busway cannot deliver to this kind of target; "
            "use an API destination, an http(s) URL, an event bus, an SQS queue, a log group, "
            "a Lambda function, an SNS topic, a mailto: address or a busway WebSocket channel."
        )
    spec = target.get("input_transformer")
    transformer = None
    if spec is not None:
        transformer = InputTransformer(
            input_paths_map=spec.get("input_paths_map") or {},
            input_template=spec.get("input_template", ""),
        )
    validate_target_input(
        target["id"],
        input=target.get("input"),
        input_path=target.get("input_path"),
        transformer=transformer,
    )
